"""Benchmark: acquire a page-cached random file to raw with MD5+SHA-1+SHA-256.

Compares Sealbag with ``md5sum``, ``sha256sum`` and ``dc3dd hash=md5 hash=sha1
hash=sha256`` (which also writes a copy) on the same file in the same run, and
reports each tool's throughput, its ratio to ``md5sum`` and its peak memory.

Run: ``python -m bench.bench_acquire [--size 2G] [--repeat 3] [--workdir DIR]``.
Prints a markdown table and writes it to ``bench-results/acquire.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path("bench-results") / "acquire.md"

_SEALBAG_SNIPPET = """
import sys
from forensics.imaging import acquire_image
rec = acquire_image(sys.argv[1], sys.argv[2], fmt="raw", name="bench",
                    algorithms=("md5", "sha1", "sha256"), verify=False)
print(rec.source_hashes["md5"])
"""


def _run(
    cmd: list[str], env: dict[str, str] | None, rss_file: Path
) -> tuple[float, float | None, str]:
    """Run ``cmd``; return wall seconds, peak RSS in MB (when GNU time exists) and stdout."""
    # flush dirty pages left by the previous run, so its writeback does not
    # steal CPU from this one
    os.sync()
    time.sleep(0.5)
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    full = [gnu_time, "-f", "%M", "-o", str(rss_file), *cmd] if gnu_time else cmd
    start = time.perf_counter()
    proc = subprocess.run(full, capture_output=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}")
    peak = None
    if gnu_time:
        peak = int(rss_file.read_text().strip().splitlines()[-1]) / 1024
    return seconds, peak, proc.stdout.decode("utf-8", "replace")


def _make_source(path: Path, size: int) -> None:
    block = 8 << 20
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(block, left)
            fh.write(os.urandom(n))
            left -= n
    with open(path, "rb") as fh:  # pull it into the page cache
        while fh.read(block):
            pass


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs, {mem_gb:.0f} GiB RAM; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"{ssl.OPENSSL_VERSION}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the table."""
    from forensics.units import parse_size

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="2G", help="source size (default 2G)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool (median kept)")
    parser.add_argument("--workdir", default=None, help="scratch folder (default: a temp dir)")
    args = parser.parse_args(argv)
    size = parse_size(args.size)
    repo_root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    work = Path(tempfile.mkdtemp(prefix="sealbag-bench-", dir=args.workdir))
    try:
        src = work / "source.bin"
        _make_source(src, size)
        tools: dict[str, list[str] | None] = {
            "md5sum": ["md5sum", str(src)],
            "sha256sum": ["sha256sum", str(src)],
            "dc3dd (md5+sha1+sha256, copy)": (
                ["dc3dd", f"if={src}", f"hof={work / 'dc3dd.out'}", "hash=md5", "hash=sha1",
                 "hash=sha256", "nwspc=on"] if shutil.which("dc3dd") else None
            ),
            "sealbag acquire raw (md5+sha1+sha256, copy)": [
                sys.executable, "-c", _SEALBAG_SNIPPET, str(src), str(work / "out"),
            ],
        }
        rows = []
        md5_hex = None
        for label, cmd in tools.items():
            if cmd is None:
                rows.append((label, None, None, None))
                continue
            times, peaks = [], []
            for _ in range(args.repeat):
                shutil.rmtree(work / "out", ignore_errors=True)
                (work / "dc3dd.out").unlink(missing_ok=True)
                seconds, peak, out = _run(cmd, env, work / 'rss.txt')
                times.append(seconds)
                peaks.append(peak)
                if label == "md5sum":
                    md5_hex = out.split()[0]
                elif label.startswith("sealbag") and md5_hex and out.strip() != md5_hex:
                    raise SystemExit("sealbag's MD5 differs from md5sum's: benchmark aborted")
            known = [p for p in peaks if p is not None]
            rows.append((label, statistics.median(times), size / statistics.median(times) / 1e6,
                         max(known) if known else None))
        base = rows[0][2]
        dc3dd = next((r[2] for r in rows if r[0].startswith("dc3dd")), None)
        lines = [
            f"Acquisition benchmark: {size / 2**30:.2f} GiB random file, page-cached, "
            f"median of {args.repeat} run(s), verification off. Seconds are wall time of the "
            "whole command (process start included).",
            "",
            f"Machine: {_machine()}",
            "",
            "| Tool | Seconds | MB/s | × md5sum | Peak RSS (MB) |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, seconds, mbps, peak in rows:
            if seconds is None:
                lines.append(f"| {label} | not installed | | | |")
                continue
            peak_text = f"{peak:.0f}" if peak is not None else "n/a"
            lines.append(f"| {label} | {seconds:.2f} | {mbps:.0f} | {mbps / base:.2f} | "
                         f"{peak_text} |")
        ours = rows[-1][2]
        if dc3dd:
            lines += ["", f"Sealbag / dc3dd throughput: {ours / dc3dd:.2f} ×"]
        table = "\n".join(lines) + "\n"
        print(table)
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(table, encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
