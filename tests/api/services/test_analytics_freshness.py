"""The dashboard's counters are kept up as turns are stored: a turn is counted within 5 minutes, never twice, and
a rebuild from scratch gives the same counts."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import time_machine
from sqlalchemy import func, select

from api.core.config import get_settings
from api.db.base import session_scope
from api.db.models import (
    AnalyticsDaily,
    AnalyticsHandoff,
    AnalyticsMonthly,
    AnalyticsUnanswered,
    AnalyticsUnansweredMonthly,
)
from api.services import analytics, analytics_counts
from api.services.gateway import CitizenMessage, Reply, finish_turn, store_citizen_message

START = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)  # 10:00 in Vietnam
DAY = analytics.Filters(dt.date(2026, 3, 2), dt.date(2026, 3, 2))
YEAR = analytics.Filters(dt.date(2025, 4, 1), dt.date(2026, 3, 31))  # whole months: March from the monthly roll-up


def summary(f: analytics.Filters = DAY) -> dict[str, object]:
    settings = get_settings()
    with session_scope() as db:
        return analytics.dashboard(db, f, settings.zone(), settings.office()).summary


def one_turn() -> None:
    stored = store_citizen_message(CitizenMessage("web", uuid.uuid4().hex, "xin chào"), get_settings())
    finish_turn(stored, [Reply("Chào bạn")])


def test_a_stored_turn_is_on_the_dashboard_within_five_minutes(migrated: None) -> None:
    with time_machine.travel(START, tick=False) as clock:
        assert summary()["messages"] == 0
        one_turn()
        clock.shift(dt.timedelta(seconds=5))
        assert summary()["messages"] == 0  # just counted a few seconds ago: not yet
        clock.shift(dt.timedelta(minutes=5))
        counted = summary()
        assert counted["messages"] == 2 and counted["conversations"] == 1
        assert YEAR.spans() == ([], (dt.date(2025, 4, 1), dt.date(2026, 3, 1)))
        assert (summary(YEAR)["messages"], summary(YEAR)["conversations"]) == (2, 1)  # the month's roll-up too
        assert counted["decisions"] == {"out_of_scope": 1}
        for _ in range(3):  # refreshing again counts nothing twice
            clock.shift(dt.timedelta(minutes=2))
            assert summary()["messages"] == 2
        one_turn()
        clock.shift(dt.timedelta(minutes=5))
        assert summary()["messages"] == 4 and summary(YEAR)["messages"] == 4


def test_a_rebuild_counts_the_same(migrated: None) -> None:
    settings = get_settings()
    tables = (AnalyticsDaily, AnalyticsMonthly, AnalyticsUnanswered, AnalyticsUnansweredMonthly, AnalyticsHandoff)

    def everything() -> dict[str, list[Any]]:
        with session_scope() as db:
            return {model.__tablename__: sorted(tuple(row) for row in db.execute(select(model.__table__)).all())
                    for model in tables}

    with session_scope() as db:
        analytics_counts.refresh(db, settings.zone())
    before = everything()
    with session_scope() as db:
        analytics_counts.rebuild(db, settings.zone())
        assert db.scalar(select(func.count()).select_from(AnalyticsDaily)) > 0
        assert db.scalar(select(func.count()).select_from(AnalyticsMonthly)) > 0
    assert everything() == before
