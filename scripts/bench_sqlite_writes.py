"""How long a citizen's message waits to be stored when many turns write to SQLite at once.

Runs the gateway's own storage functions (`store_citizen_message`, then `finish_turn` with a reply, as a turn does)
from as many worker threads as the app's thread pool has (40), each playing citizens who send a message, wait
for the bot (a sleep standing in for Rasa) and send the next, a new conversation every 10 messages. Two threads
burn CPU in Python meanwhile (0, 1 or 2: the GIL shared with the app's event loop and search under load). Each mode
runs in a fresh process on a fresh, migrated SQLite file: `SQLITE_QUEUE_WRITES=1` (the app's writers line up,
api/db/sqlite_writes.py) and `=0` (SQLite's own busy wait: polling); the burners are a list, a row each.

    .venv/bin/python scripts/bench_sqlite_writes.py [--threads 40] [--duration 30] [--burners 0,1,2] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchlib import ROOT, percentile, write_section
from sqlalchemy.exc import SQLAlchemyError

MODES = {"queued": "1", "polling": "0"}


def run_mode(threads: int, duration: float, burners: int, think_s: float) -> dict[str, object]:
    """One mode, in this process (its settings come from the environment the parent set)."""
    from api.core.config import Settings
    from api.db.migrate import upgrade
    from api.services.gateway import CitizenMessage, Reply, finish_turn, store_citizen_message

    upgrade()
    settings = Settings()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def timed(call: object, *args: object) -> object:
        started = time.monotonic()
        try:
            return call(*args)  # type: ignore[operator]
        except SQLAlchemyError as error:  # a failed write is the result being measured
            with lock:
                errors.append(type(error).__name__ + ": " + str(error)[:80])
            return None
        finally:
            with lock:
                latencies.append(time.monotonic() - started)

    def citizen(number: int) -> None:
        sent = 0
        while time.monotonic() < stop:
            user = f"bench-{number}-{sent // 10}"
            message = CitizenMessage(channel="rest", user_id=user, text=f"hỏi thủ tục số {sent}",
                                     client_msg_id=f"{number}-{sent}")
            stored = timed(store_citizen_message, message, settings)
            sent += 1
            time.sleep(think_s)  # Rasa reading the message
            if stored is not None:
                timed(finish_turn, stored, [Reply("Trả lời: hồ sơ gồm tờ khai và giấy tờ tùy thân.")])

    def burner() -> None:
        while time.monotonic() < stop:
            sum(i * i for i in range(20000))

    workers = [threading.Thread(target=citizen, args=(n,)) for n in range(threads)]
    workers += [threading.Thread(target=burner) for _ in range(burners)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    return {"transactions": len(latencies), "per_s": len(latencies) / elapsed,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "p999_ms": percentile(latencies, 99.9) * 1000, "max_ms": max(latencies, default=0) * 1000,
            "over_1s": sum(1 for value in latencies if value > 1), "errors": len(errors),
            "error_kinds": sorted(set(errors))[:3]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=40, help="writer threads (the app's thread pool: 40)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per mode")
    parser.add_argument("--burners", default="0,1,2", help="threads burning CPU in Python beside them (a list: a "
                                                            "row each)")
    parser.add_argument("--think", type=float, default=0.05, help="seconds between a message and its reply")
    parser.add_argument("--modes", default="queued,polling", help="comma-separated: queued, polling")
    parser.add_argument("--write", action="store_true", help="write the table to docs/benchmarks.md")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_mode(args.threads, args.duration, int(args.burners), args.think)))
        return

    rows = []
    for burners, mode in [(b, m) for b in args.burners.split(",") for m in args.modes.split(",")]:
        with tempfile.TemporaryDirectory(prefix="bench-sqlite-writes-") as folder:
            env = {**os.environ, "SQLITE_QUEUE_WRITES": MODES[mode], "VAR_DIR": folder,
                   "DATABASE_URL": f"sqlite:///{Path(folder) / 'app.db'}"}
            command = [sys.executable, __file__, "--child", "--threads", str(args.threads), "--duration",
                       str(args.duration), "--burners", burners, "--think", str(args.think)]
            output = subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout
            result = json.loads(output.strip().splitlines()[-1])
        rows.append((burners, mode, result))
        print(burners, mode, json.dumps(result, ensure_ascii=False))

    table = ["| CPU burners | writers wait | transactions | per s | p50 | p99 | p99.9 | max | over 1 s | errors |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for burners, mode, r in rows:
        label = "in the app's line (`WriteQueue`)" if mode == "queued" else "by SQLite's polling"
        table.append(f"| {burners} | {label} | {r['transactions']} | {r['per_s']:.0f} | {r['p50_ms']:.0f} ms | "
                     f"{r['p99_ms']:.0f} ms | {r['p999_ms']:.0f} ms | {r['max_ms']:.0f} ms | {r['over_1s']} | "
                     f"{r['errors']} |")
    print("\n".join(table))
    if args.write:
        command = "scripts/bench_sqlite_writes.py " + " ".join(sys.argv[1:])
        load = os.getloadavg()[0]
        write_section("sqlite-writes", f".venv/bin/python {command}".strip(),
                      f"{args.threads} writer threads, {args.duration:.0f} s per row, "
                      f"load average (1 min) at the end {load:.1f}.\n\n" + "\n".join(table))


if __name__ == "__main__":
    main()
