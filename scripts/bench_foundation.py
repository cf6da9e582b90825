"""Foundation benchmarks: setup time (cold, warm), Rasa train time, idle RSS per process, chat latency.

Run: .venv/bin/python scripts/bench_foundation.py [--skip-setup]
Cold setup = a fresh clone with no virtual environments (pip's download cache may be warm).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from benchlib import ROOT, percentile, rss_mb, write_section

from tests.utils.stack import running_stack  # benchlib puts the repo root on sys.path


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def setup_times() -> tuple[float, float, float]:
    clone = Path(tempfile.mkdtemp(prefix="tlhc-bench-")) / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    try:
        cold = timed(["bash", "scripts/setup.sh"], clone)
        warm = timed(["bash", "scripts/setup.sh"], clone)
        train = timed([str(clone / ".venv-rasa/bin/rasa"), "train", "--force", "--out", str(clone / "var/bench"),
                       "--fixed-model-name", "bench"], clone)
    finally:
        shutil.rmtree(clone.parent, ignore_errors=True)
    return cold, warm, train


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
    args = parser.parse_args()
    rows = []
    if not args.skip_setup:
        cold, warm, train = setup_times()
        rows += [f"| setup, cold (fresh clone, both venvs, migrations, seed, Rasa train) | {cold:.0f} s |",
                 f"| setup, warm (nothing changed) | {warm:.1f} s |",
                 f"| `rasa train --force` (NLU + policies) | {train:.0f} s |"]
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
