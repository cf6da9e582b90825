"""Retention: old conversations without an open handoff are purged everywhere (messages, handoffs, Rasa's tracker
events, audit details, unanswered questions), anonymous daily counts stay, one replica runs it at a time."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import cli
from api.core.config import Settings, get_settings
from api.db.base import session_scope
from api.db.migrate import upgrade
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
from api.services import retention
from tests.conftest import _reset_database_caches as reset_database_caches

OLD = utcnow() - dt.timedelta(days=200)
RECENT = utcnow() - dt.timedelta(days=10)


def conversation(user_id: str, when: dt.datetime, handoff: HandoffStatus | None = None, channel: str = "api") -> int:
    with session_scope() as db:
        row = Conversation(channel=channel, user_id=user_id, created_at=when, updated_at=when)
        db.add(row)
        db.flush()
        db.add_all([Message(conversation_id=row.id, author=MessageAuthor.citizen, text=f"CCCD của {user_id}",
                            created_at=when),
                    Message(conversation_id=row.id, author=MessageAuthor.bot, text="Trả lời", created_at=when)])
        if handoff is not None:
            item = Handoff(conversation_id=row.id, reason="citizen_request", status=handoff, note="ghi chú",
                           created_at=when)
            db.add(item)
            db.flush()
            db.add(AuditEvent(action="handoff.claim", target=f"handoff:{item.id}",
                              detail={"conversation_id": row.id}, created_at=when))
        return row.id


def tracker(path: Path, senders: list[str]) -> str:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        connection.executemany("INSERT INTO events (sender_id, data) VALUES (?, ?)",
                               [(s, "{\"text\": \"CCCD\"}") for s in senders for _ in range(3)])
    return f"sqlite:///{path}"


def settings_with(tracker_url: str) -> Settings:
    return get_settings().model_copy(update={"rasa_tracker_url": tracker_url})


def test_old_conversations_are_purged_and_counted(migrated: None, tmp_path: Path) -> None:
    old = conversation("cu-da-xong", OLD, HandoffStatus.resolved)
    bot_only = conversation("cu-chi-bot", OLD)
    ticket = conversation("cu-con-ve", OLD, HandoffStatus.ticket)
    recent = conversation("moi", RECENT)
    with session_scope() as db:
        db.add(UnansweredQuestion(text="câu hỏi cũ", channel="api", created_at=OLD))
        db.add(UnansweredQuestion(text="câu hỏi mới", channel="api", created_at=RECENT))
        db.add(AuditEvent(action="history.search", detail={"q": "số nhà"}, created_at=OLD))
        db.add(AuditEvent(action="kb.publish", detail={"diff": "giữ"}, created_at=OLD))
    url = tracker(tmp_path / "tracker.db", ["api:cu-da-xong", "api:cu-chi-bot", "api:cu-con-ve", "api:moi"])

    report = retention.run(settings_with(url), not_since=utcnow())
    assert (report.conversations, report.messages, report.handoffs, report.tracker_events) == (2, 4, 1, 6)
    assert report.unanswered == 1 and report.audit_details == 2

    with session_scope() as db:
        left = set(db.scalars(select(Conversation.id).where(Conversation.id.in_([old, bot_only, ticket, recent]))))
        assert left == {ticket, recent}
        assert not db.scalars(select(Message).where(Message.conversation_id.in_([old, bot_only]))).all()
        assert db.scalars(select(UnansweredQuestion.text)).all() == ["câu hỏi mới"]
        details = {(e.action, e.detail and e.detail.get("conversation_id")): e.detail
                   for e in db.scalars(select(AuditEvent).where(AuditEvent.created_at <= OLD))}
        assert details[("handoff.claim", None)] is None and details[("history.search", None)] is None
        assert details[("handoff.claim", ticket)] == {"conversation_id": ticket}  # an open ticket keeps its own
        assert details[("kb.publish", None)] == {"diff": "giữ"}
        counts = db.get(DailyCount, (OLD.date(), "api"))
        assert counts is not None
        assert (counts.conversations, counts.citizen_messages, counts.handoffs, counts.unanswered) == (2, 2, 1, 1)
    with sqlite3.connect(tmp_path / "tracker.db") as connection:
        senders = {row[0] for row in connection.execute("SELECT sender_id FROM events")}
    assert senders == {"api:cu-con-ve", "api:moi"}


def test_one_replica_at_a_time(migrated: None) -> None:
    settings = settings_with("sqlite:////nonexistent/tracker.db")
    assert not retention.run(settings, not_since=utcnow()).skipped
    assert retention.run(settings, not_since=utcnow() - dt.timedelta(hours=24)).skipped  # started just now
    with session_scope() as db:
        job = db.get(MaintenanceRun, retention.JOB)
        assert job is not None and job.finished_at is not None and job.outcome is not None
    assert not Path("/nonexistent/tracker.db").exists()


def test_the_cli_purges(migrated: None) -> None:
    conversation("cu-qua-cli", OLD)
    with session_scope() as db:  # the job was not started recently
        db.execute(MaintenanceRun.__table__.update().values(started_at=utcnow() - dt.timedelta(hours=1)))
    result = CliRunner().invoke(cli, ["purge"])
    assert result.exit_code == 0, result.output
    assert "1 conversations" in result.output
    with session_scope() as db:
        assert db.scalar(select(Conversation).where(Conversation.user_id == "cu-qua-cli")) is None


def test_the_purge_on_postgres(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scaled mode: the app's database and Rasa's tracker store on PostgreSQL."""
    upgrade(postgres_url)
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE events (id SERIAL PRIMARY KEY, sender_id VARCHAR(255), data TEXT)"))
        connection.execute(sa.text("INSERT INTO events (sender_id, data) VALUES ('api:pg-cu', 'x'), "
                                   "('api:pg-moi', 'y')"))
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    reset_database_caches()
    try:
        conversation("pg-cu", OLD, HandoffStatus.resolved)
        conversation("pg-moi", RECENT)
        report = retention.run(settings_with(postgres_url), not_since=utcnow())
        assert (report.conversations, report.handoffs, report.tracker_events) == (1, 1, 1)
        with session_scope() as db:
            assert db.scalars(select(Conversation.user_id)).all() == ["pg-moi"]
            assert db.get(DailyCount, (OLD.date(), "api")) is not None
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT sender_id FROM events")).scalars().all() == ["api:pg-moi"]
    finally:
        engine.dispose()
        monkeypatch.undo()
        reset_database_caches()
