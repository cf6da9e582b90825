"""The dashboard's daily counters (`analytics_daily`), kept up from the source tables.

Per office-local day (Asia/Ho_Chi_Minh by default) and channel: conversations started, messages by author, bot
turns by decision, procedures and aspects answered. Each source table is counted incrementally by id: a refresh
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

from sqlalchemy import ColumnElement, Select, Table, delete, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.core.security import as_utc
from api.db.base import rows_changed
from api.db.models import AnalyticsDaily, AnalyticsSource, Conversation, Message, TurnOutcome, utcnow

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
)


def _settled_upto(db: Session, source: Source, after: int, cutoff: dt.datetime) -> int:
    """The highest id such that every row after `after` up to it is older than the cutoff."""
    unsettled = db.scalar(select(func.min(source.id_column)).where(source.id_column > after,
                                                                    source.created_column >= cutoff))
    if unsettled is not None:
        return int(unsettled) - 1
    return int(db.scalar(select(func.max(source.id_column)).where(source.id_column > after)) or after)


def _add(db: Session, rows: list[dict[str, Any]]) -> None:
    """count += n for each (day, channel, metric, key), inserting the rows that are new (one executemany)."""
    if not rows:
        return
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = AnalyticsDaily.__table__
    assert isinstance(table, Table)
    statement = insert(table)
    statement = statement.on_conflict_do_update(index_elements=["day", "channel", "metric", "key"],
                                                set_={"count": table.c.count + statement.excluded.count})
    db.connection().execute(statement, rows)


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
    db.execute(delete(AnalyticsDaily))
    db.execute(delete(AnalyticsSource))
    return refresh(db, zone, now)


