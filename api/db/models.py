"""Tables of the app. The app is the one owner of this state; other processes go through its API."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db.base import Base


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Role(str, enum.Enum):
    admin = "admin"
    officer = "officer"


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # set when an admin resets the password: nothing but changing it is allowed until the user does
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default="0")


class StaffSession(Base):
    """A login. Only the token's hash is stored, so a leaked database does not leak sessions."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[StaffUser] = relationship(lazy="joined")


class ConversationMode(str, enum.Enum):
    bot = "bot"
    waiting = "waiting"
    assigned = "assigned"


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128))
    mode: Mapped[ConversationMode] = mapped_column(
        Enum(ConversationMode, native_enum=False, length=16), default=ConversationMode.bot
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # REST conversations: the SHA-256 of the key its first message was given (None on other channels)
    key_hash: Mapped[str | None] = mapped_column(String(64))

    @property
    def rasa_sender(self) -> str:
        return f"{self.channel}:{self.user_id}"


class MessageAuthor(str, enum.Enum):
    citizen = "citizen"
    bot = "bot"
    officer = "officer"
    system = "system"


class TurnState(str, enum.Enum):
    """Where a citizen message stands with the bot (None: not for the bot, e.g. sent while with an officer)."""

    queued = "queued"  # stored; its turn is under way in the process that stored it
    deferred = "deferred"  # the citizen was told many people are asking; the backlog answers it
    running = "running"  # the backlog took it (turn_started_at says when)
    done = "done"  # answered (or no longer for the bot)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_created", "conversation_id", "created_at"),
                      Index("ix_messages_conversation_turn", "conversation_id", "turn_state"),
                      Index("ix_messages_turn_state", "turn_state"),
                      UniqueConstraint("conversation_id", "client_msg_id",
                                       name="uq_messages_conversation_client_msg_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author: Mapped[MessageAuthor] = mapped_column(Enum(MessageAuthor, native_enum=False, length=16))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[str | None] = mapped_column(String(512))
    buttons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # the officer who wrote an officer message (kept when the conversation is transferred)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the id a channel client gave the message: a retried send is stored once
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    # when the message was handed to the citizen's channel: in the reply to their request, or by a channel pusher
    # (Telegram) for officer and system messages and for bot answers given later by the backlog
    pushed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # citizen messages only: the bot's turn for it (see TurnState)
    turn_state: Mapped[TurnState | None] = mapped_column(Enum(TurnState, native_enum=False, length=16))
    turn_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """What staff did: who, when, what, on which record."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class KbRecord(Base):
    """A knowledge-base record: the published content the bot uses, a pending draft, and a version
    number that every change increments (optimistic locking: a save names the version it edited).
    Abstract: procedures and FAQs each have their own table; code that serves both is typed with this."""

    __abstract__ = True

    id: Mapped[str]  # each table declares its own (lengths differ)
    published: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    archived: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ProcedureRow(KbRecord):
    __tablename__ = "procedures"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)


class FaqRow(KbRecord):
    __tablename__ = "faqs"

    id: Mapped[str] = mapped_column(String(160), primary_key=True)
    procedure_id: Mapped[str | None] = mapped_column(String(120), index=True)


class KbRevision(Base):
    """Every change of a procedure or FAQ: who, when, what (diff), and the full content after it."""

    __tablename__ = "kb_revisions"
    __table_args__ = (Index("ix_kb_revisions_entity", "kind", "entity_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # procedure | faq
    entity_id: Mapped[str] = mapped_column(String(160))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))  # create, edit, publish, rollback, archive, restore, import
    state: Mapped[str] = mapped_column(String(16))  # which content the snapshot is: draft | published
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    diff: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UnansweredQuestion(Base):
    """What citizens asked that the bot could not answer (masked), for admins to act on."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(32), default="")
    best_candidate: Mapped[str | None] = mapped_column(String(120))
    score: Mapped[float | None]
    resolved: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # what an admin did with it: "faq" (an FAQ was written from it) or "dismissed"; None while open, or when it
    # was only marked resolved (REST API)
    outcome: Mapped[str | None] = mapped_column(String(16))
    faq_id: Mapped[str | None] = mapped_column(String(160))
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class HandoffStatus(str, enum.Enum):
    waiting = "waiting"  # in the officers' queue
    assigned = "assigned"  # an officer claimed it
    resolved = "resolved"
    ticket = "ticket"  # outside office hours, or a complaint: answered when an officer can


class Handoff(Base):
    """A conversation handed to a person: the citizen asked, the bot found nothing, or a complaint."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_status_created", "status", "created_at"),
        Index("ix_handoffs_officer_status", "officer_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # citizen_request | no_answer | complaint
    status: Mapped[HandoffStatus] = mapped_column(Enum(HandoffStatus, native_enum=False, length=16))
    note: Mapped[str | None] = mapped_column(Text)
    # what the bot had found when it handed over: [{"procedure_id", "title", "score"}], if the action sent it
    retrieved: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    rating: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class QuickReply(Base):
    """A saved reply template officers insert into their answer (title + text); admins and the author edit it."""

    __tablename__ = "quick_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ZaloToken(Base):
    """The Zalo OA's token pair (one row per app), encrypted: `sealed` is Fernet over {"access", "refresh"}.
    A refresh token works once, so a refresh locks this row (replicas wait, then use the new pair)."""

    __tablename__ = "zalo_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # sha256 of the ZALO_REFRESH_TOKEN setting the pair came from: a new setting value replaces the pair
    seed_hash: Mapped[str] = mapped_column(String(64))
    refreshed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    failure: Mapped[str | None] = mapped_column(String(300))  # why the last refresh failed; None when it worked
    failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ZaloUser(Base):
    """What Zalo's sending rules need per citizen: when they last wrote (the 48-hour window), how many messages
    were sent since (at most 8), whether they unfollowed the OA (no pushes)."""

    __tablename__ = "zalo_users"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_msg_id: Mapped[str | None] = mapped_column(String(64))
    last_citizen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_since: Mapped[int] = mapped_column(Integer, default=0)
    unfollowed: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class TurnOutcome(Base):
    """What one bot turn decided, as data (analytics): recorded by the turn function, attached by the gateway to the
    bot's first reply (`message_id`) and to the citizen message it answered. Decisions: answer | clarify | none |
    out_of_scope (Rasa replied by itself: small talk or a question outside public services) | handoff | busy (the
    busy notice; the backlog answers later) | unavailable (Rasa or the action server failed) | complaint | rating |
    greet. No text: the message beside it holds what was said."""

    __tablename__ = "turn_outcomes"
    __table_args__ = (Index("ix_turn_outcomes_conversation_pending", "conversation_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    citizen_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32), default="")
    decision: Mapped[str] = mapped_column(String(16))
    procedure_id: Mapped[str | None] = mapped_column(String(120))
    aspect: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AnalyticsDaily(Base):
    """Daily counters for the dashboard, per office-local day and channel: metric conversations (key ""), messages
    (key: author), decisions (key: decision), procedures and aspects (key: the id answered). Kept up from the
    source tables by `api/services/analytics_counts.py` (incrementally, by id), rebuilt by `rebuild-analytics`."""

    __tablename__ = "analytics_daily"
    __table_args__ = (
        # the daily series (conversations, messages, decisions) without reading the procedures' and aspects' rows
        Index("ix_analytics_daily_series", "metric", "day", "channel", "key", "count"),
        {"sqlite_with_rowid": False},
    )

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    metric: Mapped[str] = mapped_column(String(24), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), primary_key=True, default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


class AnalyticsMonthly(Base):
    """`analytics_daily` summed by office-local month (`month`: its first day), added to in the same statement as the
    daily rows: periods over 90 days read whole months here and only the partial months' days from the daily rows."""

    __tablename__ = "analytics_monthly"
    __table_args__ = ({"sqlite_with_rowid": False},)

    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    metric: Mapped[str] = mapped_column(String(24), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), primary_key=True, default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


class AnalyticsUnanswered(Base):
    """Unanswered questions counted per office-local day, channel and folded wording (`key`: the question folded,
    without diacritics or case, cut at 160 characters): `text` is the latest wording as stored (masked), `last_id`
    its `unanswered_questions` row (the FAQ editor's link)."""

    __tablename__ = "analytics_unanswered"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_id: Mapped[int] = mapped_column(Integer)


class AnalyticsUnansweredMonthly(Base):
    """`analytics_unanswered` summed by office-local month, kept up in the same statement."""

    __tablename__ = "analytics_unanswered_monthly"
    __table_args__ = ({"sqlite_with_rowid": False},)

    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_id: Mapped[int] = mapped_column(Integer)


class AnalyticsHandoff(Base):
    """One row per handoff with what the dashboard needs (no text): written by the handoff service when a handoff is
    opened, claimed, transferred, answered and rated, and by the counters' refresh for handoffs written otherwise
    (`rebuild-analytics` fills it for old data). `first_reply_at`: the claiming officer's first message after the
    claim; `day`: the office-local day the handoff was opened."""

    __tablename__ = "analytics_handoffs"
    __table_args__ = (Index("ix_analytics_handoffs_day", "day"),
                      Index("ix_analytics_handoffs_officer_day", "officer_id", "day"))

    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True,
                                            autoincrement=False)
    day: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(32), default="")
    reason: Mapped[str] = mapped_column(String(32))
    procedure_id: Mapped[str | None] = mapped_column(String(120))
    officer_id: Mapped[int | None] = mapped_column(Integer)
    rating: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    first_reply_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # the same as numbers, so a year's figures are summed without reading timestamps: seconds from opening to
    # claim, from claim to the first reply; a ticket: a complaint, or opened outside office hours
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    first_reply_seconds: Mapped[float | None] = mapped_column(Float)
    ticket: Mapped[bool] = mapped_column(default=False)


class AnalyticsSource(Base):
    """How far each source table has been counted into `analytics_daily` (its last id) and when."""

    __tablename__ = "analytics_sources"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    refreshed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DailyCount(Base):
    """What is kept of purged conversations (RETENTION_DAYS): anonymous counts per day (UTC) and channel."""

    __tablename__ = "daily_counts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversations: Mapped[int] = mapped_column(Integer, default=0)
    citizen_messages: Mapped[int] = mapped_column(Integer, default=0)
    handoffs: Mapped[int] = mapped_column(Integer, default=0)
    unanswered: Mapped[int] = mapped_column(Integer, default=0)


class MaintenanceRun(Base):
    """A scheduled job's last start: claimed with a compare-and-set, so one replica runs it at a time."""

    __tablename__ = "maintenance_runs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OfficeInfo(Base):
    """The office's own facts told to citizens (one row): address, opening hours, phone, how to book a turn.
    An empty field means "not given yet"; `version` is the compare-and-set guard of the admin's save."""

    __tablename__ = "office_info"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(Text, default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(200), default="")
    booking: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
