"""``python -m bench``: run every benchmark and collect bench-results/RESULTS.md.

Each benchmark runs in its own process, so peak-memory figures belong to that
benchmark alone.
"""

from __future__ import annotations

import subprocess
import sys

from bench.common import RESULTS

BENCHMARKS = (
    "bench_database",
    "bench_acquire",
    "bench_catalog",
    "bench_custody",
    "bench_bundle",
    "bench_bundle_db",
)


def main() -> int:
    failures = 0
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        # one broken benchmark must not hide the others
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode:
            failures += 1
            print(f"{name} failed", file=sys.stderr)
    parts = [
        p.read_text(encoding="utf-8")
        for p in sorted(RESULTS.glob("*.md"))
        if p.name != "RESULTS.md"
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "RESULTS.md").write_text(
        "# Sealbag benchmark results\n\n" + "\n".join(parts), encoding="utf-8"
    )
    print(f"results: {RESULTS / 'RESULTS.md'}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
