"""Retention: what citizens wrote is kept RETENTION_DAYS (180 by default), then purged, keeping anonymous daily counts.

A conversation is purged when its last message (or, without messages, its last change) is older than the cutoff and
it has no open handoff or ticket (waiting, assigned, ticket): its messages, handoffs (with their notes), Rasa's
tracker events for its sender, and the details of audit events about it. Unanswered questions older than the cutoff
are deleted too, and so are the details of older audit events that may hold a citizen's words or a login's address
(history searches, failed logins). What is kept: per day and channel, how many conversations,
citizen messages, handoffs and unanswered questions there were (`daily_counts`), and the dashboard's counters,
brought up to date first (`analytics_counts.refresh`: they are otherwise refreshed only when someone looks).

The app runs it on a schedule (api/main.py, every RETENTION_EVERY_HOURS); a compare-and-set on `maintenance_runs`
makes one replica run it at a time. `python -m api.cli purge` runs it by hand.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.core.config import Settings
from api.db.base import rows_changed, session_scope
from api.db.models import (
    AuditEvent,
    Conversation,
    DailyCount,
    Handoff,
    HandoffStatus,
    MaintenanceRun,
    Message,
    MessageAuthor,
    UnansweredQuestion,
    utcnow,
)
from api.services import analytics_counts

log = logging.getLogger(__name__)

JOB = "retention"
OPEN = (HandoffStatus.waiting, HandoffStatus.assigned, HandoffStatus.ticket)
# audit actions whose details may hold what someone wrote (a search) or an address (a failed login)
PERSONAL_AUDIT = ("history.", "staff.login_failed")
BATCH = 200


@dataclass
class PurgeReport:
    cutoff: str = ""
    conversations: int = 0
    messages: int = 0
    handoffs: int = 0
    tracker_events: int = 0
    unanswered: int = 0
    audit_details: int = 0
    skipped: bool = False  # another replica holds the job


def due(db: Session, cutoff: dt.datetime) -> list[int]:
    """Conversations to purge: last activity before the cutoff and no open handoff or ticket."""
    last = (select(Message.conversation_id, func.max(Message.created_at).label("last"))
            .group_by(Message.conversation_id).subquery())
    open_handoff = select(Handoff.id).where(Handoff.conversation_id == Conversation.id, Handoff.status.in_(OPEN))
    query = (select(Conversation.id).outerjoin(last, last.c.conversation_id == Conversation.id)
             .where(func.coalesce(last.c.last, Conversation.updated_at) < cutoff, ~open_handoff.exists())
             .order_by(Conversation.id))
    return list(db.scalars(query))


def _count(db: Session, counts: dict[tuple[dt.date, str], Counter[str]]) -> None:
    for (day, channel), counter in counts.items():
        row = db.get(DailyCount, (day, channel))
        if row is None:
            row = DailyCount(day=day, channel=channel, conversations=0, citizen_messages=0, handoffs=0, unanswered=0)
            db.add(row)
        row.conversations += counter["conversations"]
        row.citizen_messages += counter["citizen_messages"]
        row.handoffs += counter["handoffs"]
        row.unanswered += counter["unanswered"]
    db.flush()


def _day(moment: dt.datetime) -> dt.date:
    return moment.date()


def purge_conversations(db: Session, ids: list[int]) -> tuple[list[str], PurgeReport]:
    """Delete these conversations with their messages and handoffs, counted; their Rasa senders."""
    report = PurgeReport()
    counts: dict[tuple[dt.date, str], Counter[str]] = {}
    conversations = list(db.scalars(select(Conversation).where(Conversation.id.in_(ids))))
    channel_of = {c.id: c.channel for c in conversations}
    for c in conversations:
        counts.setdefault((_day(c.created_at), c.channel), Counter())["conversations"] += 1
    for conversation_id, created_at in db.execute(select(Message.conversation_id, Message.created_at).where(
            Message.conversation_id.in_(ids), Message.author == MessageAuthor.citizen)):
        counts.setdefault((_day(created_at), channel_of[conversation_id]), Counter())["citizen_messages"] += 1
    handoffs = list(db.execute(select(Handoff.id, Handoff.conversation_id, Handoff.created_at)
                               .where(Handoff.conversation_id.in_(ids))))
    for _, conversation_id, created_at in handoffs:
        counts.setdefault((_day(created_at), channel_of[conversation_id]), Counter())["handoffs"] += 1
    _count(db, counts)
    targets = [f"handoff:{h.id}" for h in handoffs] + [f"conversation:{i}" for i in ids]
    for start in range(0, len(targets), BATCH):
        report.audit_details += rows_changed(db, update(AuditEvent).where(
            AuditEvent.target.in_(targets[start:start + BATCH]), AuditEvent.detail.is_not(None))
            .values(detail=None).execution_options(synchronize_session=False))
    report.messages = rows_changed(db, delete(Message).where(Message.conversation_id.in_(ids))
                                   .execution_options(synchronize_session=False))
    report.handoffs = len(handoffs)
    db.execute(delete(Handoff).where(Handoff.conversation_id.in_(ids)).execution_options(synchronize_session=False))
    db.execute(delete(Conversation).where(Conversation.id.in_(ids)).execution_options(synchronize_session=False))
    report.conversations = len(conversations)
    return [c.rasa_sender for c in conversations], report


def purge_tracker_events(tracker_url: str, senders: Iterable[str]) -> int:
    """Rasa's tracker store (`events`, by sender_id; SQLite or PostgreSQL): the purged conversations' events."""
    senders = list(senders)
    if not senders:
        return 0
    url = sa.engine.make_url(tracker_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return 0  # Rasa never ran here: nothing to delete (and no empty file made)
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table("events"):
            return 0
        events = sa.table("events", sa.column("sender_id"))
        deleted = 0
        with engine.begin() as connection:
            for start in range(0, len(senders), BATCH):
                chunk = senders[start:start + BATCH]
                deleted += connection.execute(sa.delete(events).where(events.c.sender_id.in_(chunk))).rowcount
        return deleted
    finally:
        engine.dispose()


def purge_old_records(db: Session, cutoff: dt.datetime, report: PurgeReport) -> None:
    counts: dict[tuple[dt.date, str], Counter[str]] = {}
    for channel, created_at in db.execute(select(UnansweredQuestion.channel, UnansweredQuestion.created_at)
                                          .where(UnansweredQuestion.created_at < cutoff)):
        counts.setdefault((_day(created_at), channel or "?"), Counter())["unanswered"] += 1
    _count(db, counts)
    report.unanswered = rows_changed(db, delete(UnansweredQuestion)
                                     .where(UnansweredQuestion.created_at < cutoff)
                                     .execution_options(synchronize_session=False))
    personal = or_(*[AuditEvent.action.startswith(prefix) for prefix in PERSONAL_AUDIT])
    report.audit_details += rows_changed(db, update(AuditEvent).where(
        AuditEvent.created_at < cutoff, AuditEvent.detail.is_not(None), personal)
        .values(detail=None).execution_options(synchronize_session=False))


def claim(db: Session, name: str, not_since: dt.datetime) -> bool:
    """Start a job unless someone started it after `not_since` (compare-and-set: one replica wins)."""
    if db.get(MaintenanceRun, name) is None:
        db.add(MaintenanceRun(name=name))
        db.flush()
    now = utcnow()
    started = rows_changed(db, update(MaintenanceRun).where(
        MaintenanceRun.name == name,
        or_(MaintenanceRun.started_at.is_(None), MaintenanceRun.started_at < not_since))
        .values(started_at=now).execution_options(synchronize_session=False))
    return started == 1


def run(settings: Settings, *, not_since: dt.datetime | None = None, now: dt.datetime | None = None) -> PurgeReport:
    """One purge, if this process wins the job (not started since `not_since`; default: 10 minutes ago, so a run
    under way elsewhere is never doubled)."""
    now = now or utcnow()
    with session_scope() as db:
        if not claim(db, JOB, not_since or utcnow() - dt.timedelta(minutes=10)):
            return PurgeReport(skipped=True)
    cutoff = now - dt.timedelta(days=settings.retention_days)
    with session_scope() as db:
        # the dashboard's counters first take in every row about to go (they are refreshed only when someone
        # looks at the dashboard): the purge never takes a conversation out of the analytics
        analytics_counts.refresh(db, settings.zone(), now)
        ids = due(db, cutoff)
        senders: list[str] = []
        report = PurgeReport()
        for start in range(0, len(ids), BATCH):
            batch_senders, batch = purge_conversations(db, ids[start:start + BATCH])
            senders += batch_senders
            report.conversations += batch.conversations
            report.messages += batch.messages
            report.handoffs += batch.handoffs
            report.audit_details += batch.audit_details
        purge_old_records(db, cutoff, report)
        analytics_counts.after_purge(db)
    # after the app's commit: a conversation is gone from the app before its Rasa memory is
    report.tracker_events = purge_tracker_events(settings.rasa_tracker_url, senders)
    report.cutoff = cutoff.isoformat(timespec="seconds")
    with session_scope() as db:
        db.execute(update(MaintenanceRun).where(MaintenanceRun.name == JOB)
                   .values(finished_at=utcnow(), outcome=asdict(report)))
    log.info("retention purge", extra=asdict(report))
    return report


async def schedule(settings: Settings) -> None:
    """The app's scheduled purge: tries a minute after start and then every hour; runs when no replica started it in
    the last RETENTION_EVERY_HOURS."""
    await asyncio.sleep(60)
    while True:
        try:
            due_since = utcnow() - dt.timedelta(hours=settings.retention_every_hours)
            await run_in_threadpool(run, settings, not_since=due_since)
        except Exception:
            log.exception("retention purge failed")
        await asyncio.sleep(3600)
