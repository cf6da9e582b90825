"""Analytics at province scale: seed 1,000,000 messages in 100,000 conversations (12 months), count them with the
app's own job (`rebuild-analytics`), then time every dashboard view and every CSV export through the app's console
routes with an admin session and no result cache: last 12 months and last 7 days, all channels and one channel,
p95 over --loads loads each. SQLite (a fresh file) and PostgreSQL (a fresh database of its own).

Run: .venv/bin/python scripts/bench_analytics.py [--db sqlite,postgres] [--messages 1000000] [--conversations 100000]
     [--loads 20] [--pg-admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--write]
     Seed once and measure later: --seed-only (keeps both databases), then --sqlite-db FILE --pg-reuse.

Rows are written with bulk INSERTs shaped exactly like the app's rows (conversations; citizen, bot and officer
messages; a turn outcome per bot reply; handoffs claimed, rated and replied to by 12 officers; unanswered questions
for the "none" turns); the daily counters then come only from the job. Timing is in-process (FastAPI's TestClient
on the app without its background tasks), i.e. server time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import ROOT, percentile, write_section

sys.path.insert(0, str(ROOT))

CHANNELS = (("widget", 0.55), ("telegram", 0.35), ("api", 0.10))
DECISIONS = (("answer", 0.62), ("clarify", 0.14), ("none", 0.09), ("out_of_scope", 0.08), ("greet", 0.04),
             ("handoff", 0.02), ("busy", 0.01))
ASPECTS = ("documents", "fee", "time", "agency", "online", "steps", "legal", "forms")
OFFICERS = ("Trần Văn Minh", "Lê Thị Lan", "Phạm Quốc Huy", "Đỗ Thu Trang", "Hoàng Văn Nam", "Vũ Thị Hạnh",
            "Bùi Đức Long", "Ngô Thị Mai", "Đặng Văn Tú", "Phan Thị Hương", "Lý Minh Khoa", "Trịnh Thị Nga")
BATCH = 20_000
TABLES = ("decisions", "csat", "procedures", "aspects", "unanswered", "handoff_procedures", "csat_procedures",
          "officers", "daily")
QUESTIONS = ("làm sao để đổi tên cho con", "thủ tục nhận nuôi chó mèo", "xin giấy phép bán hàng rong",
             "đăng ký biển số xe đạp điện", "cấp lại bằng tốt nghiệp cấp 3", "làm thẻ thư viện tỉnh",
             "xin trợ cấp học bổng cho con", "chứng nhận hộ nghèo cần gì", "đổi tên đường trên sổ đỏ",
             "xin xác nhận độc thân để đi làm")


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([w for w, _ in weighted], [p for _, p in weighted])[0]


def reset_caches() -> None:
    from api.core.config import get_settings
    from api.db.base import get_engine, get_sessionmaker

    if get_engine.cache_info().currsize:
        get_engine().dispose()
    for cached in (get_sessionmaker, get_engine, get_settings):
        cached.cache_clear()


def seed(messages: int, conversations: int, now: dt.datetime) -> dict[str, Any]:
    """Bulk rows shaped like the app's; returns what was written."""
    from sqlalchemy import func, insert, select, text

    from api.db.base import session_scope
    from api.db.models import (
        Conversation,
        Handoff,
        Message,
        ProcedureRow,
        Role,
        StaffUser,
        TurnOutcome,
        UnansweredQuestion,
    )

    rng = random.Random(16)
    per = messages // conversations  # messages per conversation (10 at 1M / 100k)
    with session_scope() as db:
        procedures = list(db.scalars(select(ProcedureRow.id)))
        first_conversation = (db.scalar(select(func.max(Conversation.id))) or 0) + 1
        next_message_id = (db.scalar(select(func.max(Message.id))) or 0) + 1
        officers = []
        for n, name in enumerate(OFFICERS):
            user = StaffUser(username=f"bench-officer-{n}", full_name=name, role=Role.officer, password_hash="!")
            db.add(user)
            officers.append(user)
        db.flush()
        officer_ids = [u.id for u in officers]
    counts = {"conversations": 0, "messages": 0, "turn_outcomes": 0, "handoffs": 0, "unanswered": 0}
    start = now - dt.timedelta(days=365)
    conversation_rows: list[dict[str, Any]] = []
    message_rows: list[dict[str, Any]] = []
    outcome_rows: list[dict[str, Any]] = []
    handoff_rows: list[dict[str, Any]] = []
    unanswered_rows: list[dict[str, Any]] = []

    def flush(final: bool = False) -> None:
        nonlocal conversation_rows, message_rows, outcome_rows, handoff_rows, unanswered_rows
        if not final and len(message_rows) < BATCH:
            return
        with session_scope() as db:
            for model, rows in ((Conversation, conversation_rows), (Message, message_rows),
                                (TurnOutcome, outcome_rows), (Handoff, handoff_rows),
                                (UnansweredQuestion, unanswered_rows)):
                if rows:  # Core executemany: the ORM's bulk path is several times slower
                    db.connection().execute(insert(model.__table__), rows)
        conversation_rows, message_rows, outcome_rows, handoff_rows, unanswered_rows = [], [], [], [], []

    for cid in range(first_conversation, first_conversation + conversations):
        channel = pick(rng, CHANNELS)
        began = start + dt.timedelta(seconds=rng.uniform(0, 365 * 86400 - 3600))
        conversation_rows.append({"id": cid, "channel": channel, "user_id": f"bench-{cid}", "mode": "bot",
                                  "created_at": began, "updated_at": began})
        counts["conversations"] += 1
        handed = rng.random() < 0.08
        moment = began
        officer = rng.choice(officer_ids) if handed else None
        claimed_at: dt.datetime | None = None
        for n in range(per):
            moment += dt.timedelta(seconds=rng.uniform(5, 60))
            if handed and n >= per - 2:  # the last two messages: the officer's reply and the citizen's thanks
                if claimed_at is None:
                    created = moment
                    claimed_at = created + dt.timedelta(seconds=rng.expovariate(1 / 240))
                    rated = rng.random() < 0.6
                    handoff_rows.append({
                        "conversation_id": cid, "reason": rng.choice(("citizen_request", "no_answer", "complaint")),
                        "status": "resolved", "retrieved": [{"procedure_id": rng.choice(procedures)}],
                        "officer_id": officer, "rating": rng.choice((1, 2, 3, 4, 4, 5, 5, 5)) if rated else None,
                        "created_at": created, "claimed_at": claimed_at,
                        "resolved_at": claimed_at + dt.timedelta(minutes=5)})
                    counts["handoffs"] += 1
                    moment = claimed_at + dt.timedelta(seconds=rng.expovariate(1 / 45))
                    message_rows.append({"id": next_message_id, "conversation_id": cid, "author": "officer",
                                         "text": "Chào bạn, tôi là cán bộ một cửa.", "staff_id": officer,
                                         "created_at": moment, "turn_state": None})
                else:
                    message_rows.append({"id": next_message_id, "conversation_id": cid, "author": "citizen",
                                         "text": "cảm ơn", "staff_id": None, "created_at": moment,
                                         "turn_state": "done"})
                next_message_id += 1
                continue
            citizen = n % 2 == 0
            message_rows.append({"id": next_message_id, "conversation_id": cid,
                                 "author": "citizen" if citizen else "bot", "text": "…", "staff_id": None,
                                 "created_at": moment, "turn_state": "done" if citizen else None})
            if not citizen:
                decision = pick(rng, DECISIONS)
                answered = decision == "answer"
                outcome_rows.append({
                    "conversation_id": cid, "message_id": next_message_id, "citizen_message_id": next_message_id - 1,
                    "channel": channel, "decision": decision,
                    "procedure_id": rng.choice(procedures) if answered or decision == "handoff" else None,
                    "aspect": rng.choice(ASPECTS) if answered and rng.random() < 0.7 else None,
                    "score": round(rng.uniform(0.8, 0.99), 3), "created_at": moment})
                counts["turn_outcomes"] += 1
                if decision == "none":
                    question = rng.choice(QUESTIONS) + rng.choice(("", "", " ạ", " vậy", " ở đâu"))
                    unanswered_rows.append({"text": question, "channel": channel, "created_at": moment,
                                            "resolved": False})
                    counts["unanswered"] += 1
            next_message_id += 1
        counts["messages"] += per
        flush()
    flush(final=True)
    with session_scope() as db:  # ids were given explicitly: PostgreSQL's sequences move past them
        if db.get_bind().dialect.name == "postgresql":
            for table in ("conversations", "messages"):
                db.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"))
    return counts


def existing_counts() -> dict[str, int]:
    """What a database seeded by an earlier run holds (--sqlite-db)."""
    from sqlalchemy import text

    from api.db.base import session_scope

    with session_scope() as db:
        return {name: int(db.scalar(text(f"SELECT count(*) FROM {table}")) or 0) for name, table in (
            ("conversations", "conversations"), ("messages", "messages"), ("turn_outcomes", "turn_outcomes"),
            ("handoffs", "handoffs"), ("unanswered", "unanswered_questions"))}


def admin_cookie() -> str:
    from api.db.base import session_scope
    from api.db.models import Role, StaffUser
    from api.services import staff

    with session_scope() as db:
        user = StaffUser(username=f"bench-admin-{os.getpid()}-{time.time_ns()}", full_name="Quản trị", role=Role.admin,
                         password_hash="!")
        db.add(user)
        db.flush()
        return staff.open_session(db, user, 600).token


def measure(loads: int, load_average: list[float]) -> list[tuple[str, float, float]]:
    from fastapi.testclient import TestClient

    from api.deps import SESSION_COOKIE
    from api.main import create_app

    client = TestClient(create_app(), base_url="https://testserver")  # no lifespan: no index build, no backlog
    client.cookies.set(SESSION_COOKIE, admin_cookie())
    results = []
    for period in ("12m", "7d"):
        for channel in ("", "telegram"):
            query = f"period={period}&channel={channel}"
            paths = [("dashboard", f"/console/analytics?{query}")]
            paths += [(f"{name}.csv", f"/console/analytics/export/{name}.csv?{query}") for name in TABLES]
            for label, path in paths:
                times = []
                for _ in range(loads):
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append(time.perf_counter() - started)
                    assert response.status_code == 200, (path, response.status_code, response.text[:300])
                load_average.append(os.getloadavg()[0])
                results.append((f"{label} · {period} · {channel or 'all channels'}", percentile(times, 50),
                                percentile(times, 95)))
                label_, p50, p95 = results[-1]
                print(f"  {label_:<45} p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms", flush=True)
    return results


def run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    from api.db.migrate import upgrade

    reuse = (kind == "sqlite" and args.sqlite_db) or (kind == "postgres" and args.pg_reuse)
    if kind == "sqlite" and args.sqlite_db:
        url = f"sqlite:///{args.sqlite_db}"
    elif kind == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="bench-analytics-")) / "analytics.db"
        url = f"sqlite:///{path}"
        print(f"sqlite: {path}", flush=True)
    elif reuse:
        url = args.pg_admin_url.rsplit("/", 1)[0] + f"/{args.pg_database}"
    else:
        admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {args.pg_database}"))
            connection.execute(text(f"CREATE DATABASE {args.pg_database}"))
        admin.dispose()
        url = args.pg_admin_url.rsplit("/", 1)[0] + f"/{args.pg_database}"
    os.environ["DATABASE_URL"] = url
    reset_caches()
    upgrade()
    from api.db.base import session_scope
    from api.services import kb_store

    with session_scope() as db:
        kb_store.seed_if_empty(db)
    started = time.perf_counter()
    if reuse:
        counts = existing_counts()
        seeded_s = float("nan")
    else:
        print(f"{kind}: seeding {args.messages:,} messages …", flush=True)
        counts = seed(args.messages, args.conversations, dt.datetime.now(dt.UTC))
        seeded_s = time.perf_counter() - started
    print(f"{kind}: seeded {counts} in {seeded_s:.0f} s; rebuilding the counters …", flush=True)
    if args.seed_only:
        return {"kind": kind, "counts": counts, "seed_s": seeded_s}
    from api.core.config import get_settings
    from api.services import analytics_counts

    started = time.perf_counter()
    with session_scope() as db:
        counter_rows = analytics_counts.rebuild(db, get_settings().zone(), dt.datetime.now(dt.UTC))
    rebuild_s = time.perf_counter() - started
    print(f"{kind}: rebuild {rebuild_s:.1f} s ({counter_rows} counter rows)", flush=True)
    load_average: list[float] = [os.getloadavg()[0]]
    results = measure(args.loads, load_average)
    if kind == "postgres" and not (args.keep or args.pg_reuse):
        reset_caches()
        admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {args.pg_database}"))
        admin.dispose()
    return {"kind": kind, "counts": counts, "seed_s": seeded_s, "rebuild_s": rebuild_s, "rows": counter_rows,
            "results": results, "load": (min(load_average), max(load_average))}


def report(runs: list[dict[str, Any]], loads: int) -> str:
    lines = ["| view | " + " | ".join(f"{r['kind']} p50 | {r['kind']} p95" for r in runs) + " |",
             "|---|" + "---:|---:|" * len(runs)]
    for index, (label, _, _) in enumerate(runs[0]["results"]):
        cells = " | ".join(f"{r['results'][index][1] * 1000:.0f} ms | {r['results'][index][2] * 1000:.0f} ms"
                           for r in runs)
        lines.append(f"| {label} | {cells} |")
    worst = {r["kind"]: max(p95 for _, _, p95 in r["results"]) for r in runs}
    head = [f"- {r['kind']}: {r['counts']['messages']:,} messages, {r['counts']['conversations']:,} conversations, "
            f"{r['counts']['turn_outcomes']:,} turn outcomes, {r['counts']['handoffs']:,} handoffs, "
            f"{r['counts']['unanswered']:,} unanswered questions over 12 months ("
            + ("seeded by an earlier run" if r["seed_s"] != r["seed_s"] else f"seeded in {r['seed_s']:.0f} s") + "); "
            f"`rebuild-analytics` counted them in **{r['rebuild_s']:.1f} s** ({r['rows']:,} counter rows); "
            f"slowest p95 **{worst[r['kind']] * 1000:.0f} ms**; load average (1 min) while measuring "
            f"{r['load'][0]:.1f}–{r['load'][1]:.1f}" for r in runs]
    return "\n".join(head) + f"\n\np50 / p95 over {loads} loads of each (admin session, no result cache):\n\n" + \
        "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--pg-database", default="analytics_bench")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--sqlite-db", help="a SQLite file seeded by an earlier run: reused, not seeded again")
    parser.add_argument("--pg-reuse", action="store_true",
                        help="a PostgreSQL database (--pg-database) seeded by an earlier run: reused and kept")
    parser.add_argument("--seed-only", action="store_true", help="seed, keep the databases and stop")
    parser.add_argument("--write", action="store_true", help="write the section of docs/benchmarks.md")
    args = parser.parse_args()
    if args.seed_only:
        args.keep = True
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-analytics-var-"))
    runs = [run(kind, args) for kind in args.db.split(",")]
    if args.seed_only:
        return
    body = report(runs, args.loads)
    print(body)
    if args.write:
        command = "scripts/bench_analytics.py " + " ".join(sys.argv[1:])
        write_section("analytics", command, body)


if __name__ == "__main__":
    main()
