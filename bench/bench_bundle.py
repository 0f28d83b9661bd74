"""Benchmark: one-exhibit bundle whose file-listing annex has 100,000 files.

``python -m bench.bench_bundle [--files N]`` prints a markdown table and saves it as
``bench-results/bundle.md``. Aim: under 60 s and under 500 MB peak memory (the annex is streamed
page by page, never one giant table).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import peak_rss_mb, write_table
from reports.demo import demo_bundle_input
from reports.package import build_bundle


def run(files: int, profile: str) -> list[list[str]]:
    before = peak_rss_mb()
    with tempfile.TemporaryDirectory(prefix="sealbag-bench-") as scratch:
        inp = demo_bundle_input(profile, files_per_exhibit=files, exhibits=1)
        started = time.perf_counter()
        result = build_bundle(inp, Path(scratch) / "bundle")
        seconds = time.perf_counter() - started
        pdf_mb = result.pdf_path.stat().st_size / 1e6
        shutil.rmtree(Path(scratch) / "bundle")
    peak = peak_rss_mb()
    return [
        [
            f"bundle ({profile}, 1 exhibit)",
            f"{files:,}",
            f"{result.pages:,}",
            f"{pdf_mb:.1f}",
            f"{seconds:.1f}",
            f"{peak:.0f} (before: {before:.0f})",
            "< 60 s, < 500 MB",
        ]
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--profile", default="IN-EVIDENCE")
    args = parser.parse_args(argv)
    write_table(
        "bundle",
        f"MLA evidence bundle with a {args.files:,}-file listing annex",
        ["bundle", "files", "pages", "PDF MB", "seconds", "peak RSS MB", "aim"],
        run(args.files, args.profile),
        notes="Seconds cover the whole build: pre-flight, layout passes, final render, "
        "post-render checks, attachments and SHA256SUMS.",
    )


if __name__ == "__main__":
    main()
