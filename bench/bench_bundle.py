"""Benchmark: one-exhibit bundle whose file-listing annex has 100,000 files.

Run ``python -m bench.bench_bundle [--files N]``; prints a markdown table and writes it to
``bench-results/bundle.md``. Aim: under 60 s and under 500 MB peak memory.
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from reports.demo import demo_bundle_input
from reports.package import build_bundle


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--profile", default="IN-EVIDENCE")
    parser.add_argument("--out", type=Path, default=Path("bench-results/bundle.md"))
    args = parser.parse_args(argv)
    before = _peak_rss_mb()
    with tempfile.TemporaryDirectory(prefix="sealbag-bench-") as scratch:
        inp = demo_bundle_input(args.profile, files_per_exhibit=args.files, exhibits=1)
        started = time.perf_counter()
        result = build_bundle(inp, Path(scratch) / "bundle")
        seconds = time.perf_counter() - started
        pdf_mb = result.pdf_path.stat().st_size / 1e6
        shutil.rmtree(Path(scratch) / "bundle")
    peak = _peak_rss_mb()
    table = "\n".join(
        [
            "| benchmark | files | pages | PDF MB | seconds | peak RSS MB | aim |",
            "|---|---:|---:|---:|---:|---:|---|",
            f"| bundle ({args.profile}, 1 exhibit) | {args.files:,} | {result.pages:,} "
            f"| {pdf_mb:.1f} | {seconds:.1f} | {peak:.0f} | < 60 s, < 500 MB |",
            "",
            f"Python {platform.python_version()} on {platform.machine()}, "
            f"{platform.system()}; RSS before the build {before:.0f} MB.",
        ]
    )
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
