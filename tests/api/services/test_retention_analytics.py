"""Retention and the dashboard: a purge never takes a conversation out of the analytics (its own module: a fresh
database, so the counters see only these rows)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from api.core.config import get_settings
from api.db.base import session_scope
from api.db.models import AnalyticsDaily, HandoffStatus, utcnow
from api.services import analytics_counts, retention
from tests.api.services.test_retention import OLD, RECENT, conversation, settings_with, tracker


def test_the_dashboard_still_counts_what_the_purge_took(migrated: None, tmp_path: Path) -> None:
    """Nobody opened the dashboard (its counters are refreshed when someone does): the purge brings them up to date
    before it deletes anything, so the conversations it takes stay in the figures."""
    conversation("cu-mot", OLD, channel="telegram")
    conversation("cu-hai", OLD, HandoffStatus.resolved, channel="telegram")
    conversation("moi-mot", RECENT, channel="telegram")

    report = retention.run(settings_with(tracker(tmp_path / "tracker.db", [])), not_since=utcnow())

    assert report.conversations == 2
    with session_scope() as db:
        totals = {(metric, key): count for metric, key, count in db.execute(
            select(AnalyticsDaily.metric, AnalyticsDaily.key, func.sum(AnalyticsDaily.count))
            .where(AnalyticsDaily.channel == "telegram").group_by(AnalyticsDaily.metric, AnalyticsDaily.key))}
    assert totals[("conversations", "")] == 3
    assert totals[("messages", "citizen")] == 3 and totals[("messages", "bot")] == 3


def test_rows_stored_after_a_purge_took_the_newest_ones_are_counted(migrated: None, tmp_path: Path) -> None:
    """SQLite gives a new row the id after the largest one left: when a purge took the newest rows, new rows get
    ids the counters had already passed. The purge moves the counters' place back, so they are counted."""
    conversation("cu-bon", OLD, channel="web")  # the newest conversation and messages: purged
    retention.run(settings_with(tracker(tmp_path / "tracker.db", [])), not_since=utcnow())
    conversation("moi-hai", RECENT, channel="web")

    with session_scope() as db:
        analytics_counts.refresh(db, get_settings().zone(), utcnow() + dt.timedelta(minutes=1))
    with session_scope() as db:
        counted = db.scalar(select(func.sum(AnalyticsDaily.count)).where(
            AnalyticsDaily.channel == "web", AnalyticsDaily.metric == "conversations"))
    assert counted == 2
