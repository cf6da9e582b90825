"""The dashboard's daily counters (`analytics_daily`), kept up from the source tables.

Per office-local day (Asia/Ho_Chi_Minh by default) and channel: conversations started, messages by author, bot
turns by decision, procedures and aspects answered; each addition goes in the same step to the month's row
(`analytics_monthly`), which periods over 90 days read. Unanswered questions are counted per day, channel and
folded wording (`analytics_unanswered`, and by month), so the top list never groups the raw questions. Handoffs
have one row of facts each (`analytics_handoffs`: wait, first reply, rating, procedure, day, channel, officer),
written by the handoff service as a handoff is opened, claimed, answered and rated (`sync_handoff`), and by the
refresh for handoffs written otherwise. Each source table is counted incrementally by id: a refresh
adds the rows after the source's last counted id (`analytics_sources`) up to the last row older than
`SETTLE_SECONDS` (a row whose transaction is still open is never skipped), under a compare-and-set on the
watermark so two app processes never count a row twice. The dashboard refreshes when the last refresh is older
than `REFRESH_EVERY_SECONDS`: figures are at most REFRESH_EVERY + SETTLE (90 s) behind the tables.
`rebuild` (the CLI's `rebuild-analytics`) counts everything again from scratch.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, Table, case, delete, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.core.security import as_utc
from api.db.base import rows_changed
from api.db.models import (
    AnalyticsDaily,
    AnalyticsHandoff,
    AnalyticsMonthly,
    AnalyticsSource,
    AnalyticsUnanswered,
    AnalyticsUnansweredMonthly,
    Conversation,
    Handoff,
    Message,
    MessageAuthor,
    TurnOutcome,
    UnansweredQuestion,
    utcnow,
)
from api.domain.office_hours import OfficeHours
from knowledge_base.text import fold, normalize

SETTLE_SECONDS = 30
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_/+-]+$")
REFRESH_EVERY_SECONDS = 60


def local_day(db: Session, column: Any, zone: ZoneInfo) -> ColumnElement[Any]:
    """The office-local calendar day of a stored UTC timestamp, in SQL."""
    # constants inlined, not bound: PostgreSQL matches the GROUP BY expression to the selected one
    if db.get_bind().dialect.name == "postgresql":
        if not _ZONE_NAME.match(zone.key):
            raise ValueError(f"unexpected time zone name {zone.key!r}")
        return func.date(func.timezone(literal_column(f"'{zone.key}'"), column))
    # SQLite keeps UTC wall time as text; the office's zone has no daylight saving (Vietnam: UTC+7)
    offset = zone.utcoffset(dt.datetime(2000, 1, 1)) or dt.timedelta(0)
    return func.date(column, literal_column(f"'{int(offset.total_seconds() // 60):+d} minutes'"))


def _name(metric: str) -> ColumnElement[str]:
    return literal_column(f"'{metric}'")


@dataclass(frozen=True)
class Source:
    name: str
    id_column: InstrumentedAttribute[int]
    created_column: InstrumentedAttribute[dt.datetime]

    def queries(self, day: ColumnElement[Any]) -> list[Select[Any]]:
        """(day, channel, metric, key, count) for rows in an id range (the range is added by the caller)."""
        if self.name == "conversations":
            return [select(day, Conversation.channel, _name("conversations"), _name(""), func.count())
                    .group_by(day, Conversation.channel)]
        if self.name == "messages":
            return [select(day, Conversation.channel, _name("messages"), Message.author, func.count())
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .group_by(day, Conversation.channel, Message.author)]
        answered = TurnOutcome.decision == "answer"
        return [
            select(day, TurnOutcome.channel, _name("decisions"), TurnOutcome.decision, func.count())
            .group_by(day, TurnOutcome.channel, TurnOutcome.decision),
            select(day, TurnOutcome.channel, _name("procedures"), TurnOutcome.procedure_id, func.count())
            .where(answered, TurnOutcome.procedure_id.is_not(None))
            .group_by(day, TurnOutcome.channel, TurnOutcome.procedure_id),
            select(day, TurnOutcome.channel, _name("aspects"), TurnOutcome.aspect, func.count())
            .where(answered, TurnOutcome.aspect.is_not(None))
            .group_by(day, TurnOutcome.channel, TurnOutcome.aspect),
        ]


SOURCES = (
    Source("conversations", Conversation.id, Conversation.created_at),
    Source("messages", Message.id, Message.created_at),
    Source("turn_outcomes", TurnOutcome.id, TurnOutcome.created_at),
    Source("unanswered_questions", UnansweredQuestion.id, UnansweredQuestion.created_at),
    Source("handoffs", Handoff.id, Handoff.created_at),
)


def _settled_upto(db: Session, source: Source, after: int, cutoff: dt.datetime) -> int:
    """The highest id such that every row after `after` up to it is older than the cutoff."""
    unsettled = db.scalar(select(func.min(source.id_column)).where(source.id_column > after,
                                                                    source.created_column >= cutoff))
    if unsettled is not None:
        return int(unsettled) - 1
    return int(db.scalar(select(func.max(source.id_column)).where(source.id_column > after)) or after)


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _upsert(db: Session, model: Any, keys: list[str], rows: list[dict[str, Any]]) -> None:
    """count += n for each key, inserting the rows that are new (one executemany); where the table keeps the
    latest wording (`last_id`, `text`), the newer row's wins."""
    if not rows:
        return
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = model.__table__
    assert isinstance(table, Table)
    statement = insert(table)
    values: dict[str, Any] = {"count": table.c.count + statement.excluded.count}
    if "last_id" in table.c:
        newer = statement.excluded.last_id > table.c.last_id
        values["text"] = case((newer, statement.excluded.text), else_=table.c.text)
        values["last_id"] = case((newer, statement.excluded.last_id), else_=table.c.last_id)
    db.connection().execute(statement.on_conflict_do_update(index_elements=keys, set_=values), rows)


def _add(db: Session, rows: list[dict[str, Any]]) -> None:
    """count += n for each (day, channel, metric, key), and for its month."""
    _upsert(db, AnalyticsDaily, ["day", "channel", "metric", "key"], rows)
    months: dict[tuple[dt.date, str, str, str], int] = {}
    for row in rows:
        slot = (month_of(row["day"]), row["channel"], row["metric"], row["key"])
        months[slot] = months.get(slot, 0) + row["count"]
    _upsert(db, AnalyticsMonthly, ["month", "channel", "metric", "key"],
            [{"month": m, "channel": c, "metric": k, "key": key, "count": n} for (m, c, k, key), n in months.items()])


def unanswered_key(text: str) -> str:
    """What unanswered questions are counted by: the wording folded (no diacritics, case or punctuation)."""
    return fold(normalize(text))[:160]


def _count_unanswered(db: Session, zone: ZoneInfo, after: int, upto: int) -> int:
    """Count the unanswered questions with ids in (after, upto] by day, channel and folded wording, and by month."""
    Q = UnansweredQuestion
    days: dict[tuple[dt.date, str, str], dict[str, Any]] = {}
    months: dict[tuple[dt.date, str, str], dict[str, Any]] = {}
    query = select(Q.id, Q.text, Q.channel, Q.created_at).where(Q.id > after, Q.id <= upto).order_by(Q.id)
    for qid, text, channel, created in db.execute(query):
        day = as_utc(created).astimezone(zone).date()
        key, channel = unanswered_key(text or ""), str(channel or "")[:32]
        for slots, slot in ((days, (day, channel, key)), (months, (month_of(day), channel, key))):
            row = slots.get(slot)
            if row is None:
                slots[slot] = {"channel": channel, "key": key, "text": text or "", "count": 1, "last_id": qid}
            else:
                row.update(count=row["count"] + 1, text=text or "", last_id=qid)  # ids ascending: the latest wins
    _upsert(db, AnalyticsUnanswered, ["day", "channel", "key"], [{"day": d, **row} for (d, _, _), row in days.items()])
    _upsert(db, AnalyticsUnansweredMonthly, ["month", "channel", "key"],
            [{"month": m, **row} for (m, _, _), row in months.items()])
    return len(days)


def _procedure_of(retrieved: Any) -> str | None:
    """The procedure the bot had found when it handed over (the first retrieved), if any."""
    first = retrieved[0] if isinstance(retrieved, list) and retrieved else None
    pid = first.get("procedure_id") if isinstance(first, dict) else None
    return pid if isinstance(pid, str) else None


def _when(value: Any) -> dt.datetime | None:
    """A timestamp as stored (a MIN() over one in SQLite gives the stored text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return as_utc(value) if isinstance(value, dt.datetime) else None


def sync_handoffs(db: Session, zone: ZoneInfo, *conditions: ColumnElement[bool],
                  office: OfficeHours | None = None) -> int:
    """Write the facts of the handoffs matching the conditions from the handoffs as they are now (idempotent):
    opened when and where, claimed when, by whom, first reply of that officer after the claim, rating; whether
    it is a ticket (a complaint, or opened outside the office hours as set when it is written)."""
    first_reply = (select(func.min(Message.created_at))
                   .where(Message.conversation_id == Handoff.conversation_id,
                          Message.author == MessageAuthor.officer, Message.staff_id == Handoff.officer_id,
                          Message.created_at >= Handoff.claimed_at)
                   .correlate(Handoff).scalar_subquery())
    query = (select(Handoff.id, Handoff.reason, Handoff.retrieved, Handoff.officer_id, Handoff.rating,
                    Handoff.created_at, Handoff.claimed_at, first_reply, Conversation.channel)
             .join(Conversation, Conversation.id == Handoff.conversation_id).where(*conditions))
    if office is None:
        from api.core.config import get_settings

        office = get_settings().office()
    rows = []
    for hid, reason, retrieved, officer, rating, created, claimed, replied, channel in db.execute(query):
        opened, taken = as_utc(created), _when(claimed)
        first = _when(replied) if taken is not None else None
        rows.append({"handoff_id": hid, "day": opened.astimezone(zone).date(), "channel": str(channel or "")[:32],
                     "reason": reason, "procedure_id": _procedure_of(retrieved), "officer_id": officer,
                     "rating": rating, "created_at": opened, "claimed_at": taken, "first_reply_at": first,
                     "wait_seconds": (taken - opened).total_seconds() if taken else None,
                     "first_reply_seconds": max(0.0, (first - taken).total_seconds()) if first and taken else None,
                     "ticket": reason == "complaint" or not office.is_open(opened)})
    if rows:
        insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
        table = AnalyticsHandoff.__table__
        assert isinstance(table, Table)
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=["handoff_id"],
            set_={c.name: statement.excluded[c.name] for c in table.c if c.name != "handoff_id"})
        db.connection().execute(statement, rows)
    return len(rows)


def sync_handoff(db: Session, handoff_id: int, zone: ZoneInfo | None = None) -> None:
    """The handoff service's call after it opened, claimed, transferred, answered or rated a handoff (same
    transaction): its facts row is up to date when the change commits."""
    if zone is None:
        from api.core.config import get_settings

        zone = get_settings().zone()
    db.flush()
    sync_handoffs(db, zone, Handoff.id == handoff_id)


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _key(value: Any) -> str:
    return str(getattr(value, "value", value) or "")[:160]


def _watermark(db: Session, name: str) -> int:
    state = db.get(AnalyticsSource, name)
    if state is None:
        dialect = db.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        db.execute(insert(AnalyticsSource).values(name=name, last_id=0).on_conflict_do_nothing())
        state = db.get(AnalyticsSource, name)
        assert state is not None
    return state.last_id


def refresh(db: Session, zone: ZoneInfo, now: dt.datetime | None = None,
            sources: Iterable[Source] = SOURCES) -> int:
    """Count the settled rows added since the last refresh (the caller's transaction); how many counter rows
    were added to."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(seconds=SETTLE_SECONDS)
    added = 0
    for source in sources:
        after = _watermark(db, source.name)
        upto = _settled_upto(db, source, after, cutoff)
        if not rows_changed(db, update(AnalyticsSource).where(AnalyticsSource.name == source.name,
                                                              AnalyticsSource.last_id == after)
                            .values(last_id=upto, refreshed_at=now)
                            .execution_options(synchronize_session=False)):
            continue  # another process counted this range meanwhile
        if upto <= after:
            continue
        if source.name == "unanswered_questions":
            added += _count_unanswered(db, zone, after, upto)
            continue
        if source.name == "handoffs":
            added += sync_handoffs(db, zone, Handoff.id > after, Handoff.id <= upto)
            continue
        day = local_day(db, source.created_column, zone)
        rows: dict[tuple[dt.date, str, str, str], int] = {}
        for query in source.queries(day):
            ranged = query.where(source.id_column > after, source.id_column <= upto)
            for day_value, channel, metric, key, count in db.execute(ranged):
                slot = (_as_date(day_value), str(channel or "")[:32], str(metric), _key(key))
                rows[slot] = rows.get(slot, 0) + int(count)
        _add(db, [{"day": d, "channel": c, "metric": m, "key": k, "count": n} for (d, c, m, k), n in rows.items()])
        added += len(rows)
    return added


def after_purge(db: Session) -> None:
    """After rows were deleted (retention): where a source's newest rows went, move its watermark back to the
    newest row left. SQLite gives a new row the id after the largest one left, so ids the watermark had passed
    come back and would never be counted; every row up to the new watermark exists and is counted already."""
    for source in SOURCES:
        newest = int(db.scalar(select(func.max(source.id_column))) or 0)
        db.execute(update(AnalyticsSource).where(AnalyticsSource.name == source.name,
                                                 AnalyticsSource.last_id > newest)
                   .values(last_id=newest).execution_options(synchronize_session=False))


def last_refresh(db: Session) -> dt.datetime | None:
    """When the counters were last brought up to date (the oldest source's refresh), None if never."""
    states = list(db.scalars(select(AnalyticsSource.refreshed_at)))
    if len(states) < len(SOURCES) or any(s is None for s in states):
        return None
    return min(s for s in states if s is not None)


def refresh_if_stale(db: Session, zone: ZoneInfo, now: dt.datetime | None = None) -> bool:
    """Refresh when the last refresh is older than REFRESH_EVERY_SECONDS; whether it refreshed."""
    now = now or utcnow()
    last = last_refresh(db)
    if last is not None and as_utc(last) > now - dt.timedelta(seconds=REFRESH_EVERY_SECONDS):
        return False
    refresh(db, zone, now)
    return True


def rebuild(db: Session, zone: ZoneInfo, now: dt.datetime | None = None) -> int:
    """Every counter again from the source tables (the caller's transaction)."""
    for model in (AnalyticsDaily, AnalyticsMonthly, AnalyticsUnanswered, AnalyticsUnansweredMonthly,
                  AnalyticsHandoff):
        db.execute(delete(model))
    db.execute(delete(AnalyticsSource))
    return refresh(db, zone, now)


