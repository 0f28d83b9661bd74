"""Helpers shared by the benchmarks: machine description and result tables."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(os.environ.get("SEALBAG_BENCH_RESULTS", "bench-results"))


def machine() -> str:
    """One line describing the machine the numbers come from."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    kernel = platform.release()
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Linux {kernel}, "
        f"Python {platform.python_version()}"
    )


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "not installed"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


def write_table(
    name: str, title: str, header: list[str], rows: list[list[str]], notes: str = ""
) -> str:
    """Render a markdown table, print it, and save it as bench-results/<name>.md."""
    lines = [
        f"### {title}",
        "",
        f"Machine: {machine()}  ",
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
    ]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    if notes:
        lines += ["", notes]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.md").write_text(text, encoding="utf-8")
    print(text)
    return text
