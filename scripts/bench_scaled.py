"""Broken on purpose: the scaled layout under 200 conversations at once, one app replica and one Rasa server killed.

Run: .venv/bin/python scripts/bench_scaled.py --label scaled-<commit> [--conversations 200] [--duration 120]
                                             [--kill-at 40] [--no-kill]

Starts a PostgreSQL and a Redis of its own (temporary folders, free ports; never the machine's shared servers),
the scaled layout through its one command (`python -m api.cli serve --scaled`: nginx, two app replicas, two Rasa
servers with an action server each), and plays `scripts/bench_load.py`'s virtual citizens against nginx for
--duration seconds. --kill-at seconds into the row it kills (SIGKILL) the first app replica and the first Rasa
server; the launcher starts them again after its back-off. Errors are counted exactly as bench_load counts them
(0 is the bar); the row goes to docs/benchmarks.md (section load-LABEL) and var/bench/load-LABEL.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import shlex
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import bench_load
from benchlib import ROOT, rss_mb, write_section

sys.path.insert(0, str(ROOT))
from api.runtime.scratch_services import temporary_postgres, temporary_redis
from tests.utils.stack import running_stack


def process_rss(pids: dict[str, int]) -> dict[str, float]:
    """Resident memory (MB) of each named process and its descendants (a Rasa server's or uvicorn's workers)."""
    table = bench_load.proc_table()
    out: dict[str, float] = {}
    for name, root in pids.items():
        tree, frontier = {root}, [root]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, (ppid, _, _) in table.items() if ppid == parent]
            tree.update(children)
            frontier.extend(children)
        total = 0.0
        for pid in tree:
            with contextlib.suppress(OSError):  # gone meanwhile
                total += rss_mb(pid)
        out[name] = round(total, 1)
    return out


def nginx_errors(path: Path, keep: int = 40) -> dict[str, object]:
    """nginx's error log of the row: each kind of line counted (numbers blanked), and the first lines as written
    (an upstream that closed before or after the response's headers: retried on the other replica, or cut)."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
    kinds = Counter(re.sub(r"\d+", "N", m.group(1) + ": " + m.group(2) if (
        m := re.match(r"\S+ \S+ \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*?)(?:, client: .*)?$", line)) else line)[:200]
        for line in lines)
    return {"lines": len(lines), "kinds": dict(kinds.most_common()), "first": lines[:keep]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", required=True)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--duration", type=float, default=120)
    parser.add_argument("--kill-at", type=float, default=40, help="seconds into the row")
    parser.add_argument("--no-kill", action="store_true")
    args = parser.parse_args()
    if not re.fullmatch(r"[A-Za-z0-9.-]+", args.label):
        parser.error("--label: letters, digits, dots and dashes")
    command = ".venv/bin/python scripts/bench_scaled.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    with temporary_postgres("tlhc", "rasa") as database_url, temporary_redis() as redis_url:
        env = {"DATABASE_URL": database_url, "RASA_TRACKER_URL": database_url.rsplit("/", 1)[0] + "/rasa",
               "REDIS_URL": redis_url}
        started = time.monotonic()
        with running_stack(extra_env=env, scaled=(2, 2)) as stack:
            print(f"scaled layout ready in {time.monotonic() - started:.0f} s: nginx {stack.app_url}", flush=True)
            pids = stack.child_pids()
            rss_idle = process_rss(pids)
            target = bench_load.Target(stack.app_url, database_url, [stack.launcher_pid],
                                       "Scaled layout (nginx, 2 app replicas, 2 Rasa + 2 action servers, "
                                       "PostgreSQL, Redis)", stack.var_dir / "logs")
            pool = bench_load.build_pool()
            use_ids = bench_load.probe_ids(stack.app_url)
            assert use_ids, "the app must accept client_msg_id (nginx retries POSTs on the other replica)"
            ctx = bench_load.Context(stack=target, pool=pool, run_id=uuid.uuid4().hex[:6], use_ids=use_ids,
                                     bind_loopback=True, turns=0)
            row = bench_load.RowSpec(f"{args.conversations}x{args.duration:.0f}", args.conversations, args.duration)
            killed: list[str] = []
            rss_loaded: dict[str, float] = {}

            def measure_and_kill() -> None:
                time.sleep(max(0.0, args.kill_at - 5))
                rss_loaded.update(process_rss(stack.child_pids()))
                time.sleep(5)
                if args.no_kill:
                    return
                for name in ("app1", "rasa1"):
                    os.kill(pids[name], signal.SIGKILL)
                    killed.append(f"{name} (pid {pids[name]}) at {args.kill_at:.0f} s")
                print(f"killed: {', '.join(killed)}", flush=True)

            killer = threading.Thread(target=measure_and_kill, daemon=True)
            killer.start()
            result = asyncio.run(bench_load.run_row(ctx, row, 0))
            killer.join()
            result["stored_at_end"] = bench_load.stored_messages(database_url, result["sender_prefix"])
            restarted = [line for line in stack.output if "restarted" in line or "stopped" in line]
            nginx_log = nginx_errors(stack.var_dir / "nginx" / "error.log")
    loadavg = os.getloadavg()
    meta = {"label": args.label, "command": command, "target": target.description, "killed": killed,
            "rss_mb_idle": rss_idle, "rss_mb_loaded": rss_loaded, "launcher": restarted, "nginx_errors": nginx_log,
            "loadavg_after": list(loadavg), "started": dt.datetime.now().isoformat(timespec="seconds"),
            "rows": [result]}
    out_file = ROOT / "var" / "bench" / f"load-{args.label}.json"
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    print(bench_load.HEADER + "\n" + bench_load.table_row(result), flush=True)
    kills = f"killed with SIGKILL mid-run: {'; '.join(killed)} (the launcher restarted them)" if killed else "no kill"
    memory = ", ".join(f"{name} {mb:.0f}" for name, mb in sorted(rss_loaded.items()))
    intro = (f"{target.description}; PostgreSQL and Redis of its own; client_msg_id sent; {kills}. Same "
             f"definitions as the embedded rows above (an error is any status but 200 and the busy 503, a dropped or "
             f"timed-out connection, a 200 without a reply). The machine was shared with other work (load 1m before "
             f"the row in the table). Resident memory under load, MB: {memory}. "
             f"Raw: `var/bench/load-{args.label}.json`.")
    write_section(f"load-{args.label}", command, intro + "\n\n" + bench_load.HEADER + "\n"
                  + bench_load.table_row(result))
    print(f"written: docs/benchmarks.md (load-{args.label}), {out_file.relative_to(ROOT)}")
    if result["errors"]:
        print(f"ERRORS: {result['errors_by_kind']}", file=sys.stderr)
        sys.exit(1)




if __name__ == "__main__":
    main()
