"""Helpers shared by the benchmark scripts: percentiles and writing a section of docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_section(name: str, command: str, body: str) -> None:
    """Replace (or append) the section `name` of docs/benchmarks.md."""
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    section = (f"<!-- bench:{name} -->\n_Measured {stamp} on {machine()} with:_ `{command}`\n\n{body.strip()}\n"
               f"<!-- /bench:{name} -->")
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    BENCHMARKS.write_text(text, encoding="utf-8")
