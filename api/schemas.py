"""Request and response schemas of the REST API, in one module: routes and console pages share them (and the few
pure builders below) instead of importing each other."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.db.models import Role
from api.domain.limits import MAX_DB_ID, REPLY_MAX_CHARS
from api.domain.messages import MessageView

Mode = Literal["bot", "waiting", "assigned"]
Short = Annotated[str, Field(max_length=160)]


# --- The REST channel (citizens) -------------------------------------------------------------------------------------

class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender: str = Field(min_length=1, max_length=128, description="stable id of the citizen in the calling client")
    text: str | None = Field(default=None, description="what the citizen typed")
    payload: str | None = Field(default=None, max_length=512, description="payload of a button the citizen pressed")
    client_msg_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                      description="the client's id of this message (e.g. a UUID): a retried "
                                                  "request is stored once and gets the same replies")


class Button(BaseModel):
    title: str
    payload: str


class ChatReply(BaseModel):
    text: str
    buttons: list[Button] = []


class ChatResponse(BaseModel):
    replies: list[ChatReply]
    mode: Mode
    last_message_id: int = Field(description="fetch later messages with GET /api/v1/chat/{sender}/messages?after=…")
    conversation_key: str | None = Field(
        default=None, description="only in the reply to a conversation's first message: the key that owns it; send it "
                                  "in the X-Conversation-Key header with every later message and read")


class ChatMessage(BaseModel):
    id: int
    author: Literal["bot", "officer", "system"]
    author_name: str | None = Field(default=None, description="the officer's name, on officer messages")
    text: str
    buttons: list[Button] = []
    created_at: dt.datetime


class ChatMessages(BaseModel):
    messages: list[ChatMessage]
    mode: Mode
    last_message_id: int = Field(description="pass as `after` in the next request")


# --- Search ----------------------------------------------------------------------------------------------------------

class SearchHit(BaseModel):
    procedure_id: str
    title: str
    score: float
    matched: str
    aspect: str
    source: str = ""  # what matched: faq:<id>, alias, a section…


class SearchOut(BaseModel):
    decision: Literal["answer", "clarify", "none"]
    aspect: str | None
    results: list[SearchHit]


# --- Published procedures --------------------------------------------------------------------------------------------

class ProcedureListItem(BaseModel):
    id: str
    title: str
    field: str
    level: str


# --- The assistant's facts -------------------------------------------------------------------------------------------

class AssistantInfo(BaseModel):
    name: str
    province: str
    office_hours: str


# --- The action server's turn (internal) -----------------------------------------------------------------------------

class EntityIn(BaseModel):
    entity: Short
    value: Annotated[str, Field(max_length=500)] | int | float | None = None


class SlotsIn(BaseModel):
    procedure_id: Short | None = None
    aspect: Short | None = None
    pending_choices: Annotated[list[Short], Field(max_length=10)] | None = None


class TurnIn(BaseModel):
    sender: str = Field(min_length=1, max_length=200, description='Rasa\'s sender id, "{channel}:{user_id}"')
    action: Literal["action_answer", "action_handoff", "action_complaint", "action_rate", "action_greet"]
    intent: Short = ""
    text: str = Field(default="", max_length=4000, description="what the citizen wrote (or the button payload)")
    entities: Annotated[list[EntityIn], Field(max_length=20)] = []
    slots: SlotsIn = SlotsIn()


class TurnMessage(BaseModel):
    text: str
    buttons: list[dict[str, str]] = []


class OutcomeOut(BaseModel):
    decision: str
    procedure_id: str | None = None
    aspect: str | None = None
    score: float | None = None


class TurnOut(BaseModel):
    messages: list[TurnMessage]
    slots: dict[str, Any] = Field(description="slots to set in Rasa's tracker (null clears one)")
    outcome: OutcomeOut


# --- Staff login -----------------------------------------------------------------------------------------------------

class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class StaffPublic(BaseModel):
    id: int
    username: str
    full_name: str
    role: Role
    must_change_password: bool = Field(default=False, description="an admin reset the password: change it with "
                                                                   "POST /api/v1/auth/password before anything else")


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime
    csrf_token: str
    user: StaffPublic


# --- Staff accounts --------------------------------------------------------------------------------------------------

class StaffCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    full_name: str = Field(default="", max_length=200)
    role: Role
    password: str = Field(min_length=1, max_length=256)


class StaffListItem(StaffPublic):
    is_active: bool


# --- Who can take a conversation -------------------------------------------------------------------------------------

class OfficerOut(BaseModel):
    id: int
    full_name: str
    role: Role


# --- Officers: handoffs and transcripts ------------------------------------------------------------------------------

class MessageOut(BaseModel):
    id: int
    author: str  # citizen | bot | officer | system
    author_name: str | None = None  # the officer who wrote an officer message
    text: str
    payload: str | None = None
    buttons: list[dict[str, str]] = []
    created_at: dt.datetime


class LastMessage(BaseModel):
    text: str
    created_at: dt.datetime


class HandoffItem(BaseModel):
    id: int
    conversation_id: int
    channel: str
    user: str = Field(description="the citizen's id in the channel, masked")
    reason: str
    status: str
    note: str | None
    officer_id: int | None
    officer_name: str | None
    created_at: dt.datetime
    claimed_at: dt.datetime | None
    resolved_at: dt.datetime | None
    waiting_seconds: int = Field(description="from the handoff to its claim (or until now while unclaimed)")
    last_citizen_message: LastMessage | None
    last_bot_message: LastMessage | None
    retrieved: list[dict[str, Any]] | None = Field(description="what the bot had found, if the action sent it")
    awaiting_reply: bool = Field(description="the citizen wrote last")


class HandoffDetail(HandoffItem):
    conversation_mode: str
    rating: int | None
    messages: list[MessageOut]
    has_older: bool = Field(description="older messages exist beyond `limit`")


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description=f"1–{REPLY_MAX_CHARS} characters")


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    officer_id: int = Field(ge=1, le=MAX_DB_ID)


# --- Admins: the knowledge base --------------------------------------------------------------------------------------

class RecordOut(BaseModel):
    id: str
    kind: str
    version: int
    status: str = Field(description="published | draft | published_with_draft | archived")
    published: dict[str, Any] | None
    draft: dict[str, Any] | None
    updated_at: dt.datetime
    updated_by: str
    published_at: dt.datetime | None


class RecordSummary(BaseModel):
    id: str
    title: str
    version: int
    status: str
    updated_at: dt.datetime
    updated_by: str


class CreateBody(BaseModel):
    record: dict[str, Any]
    publish: bool = False


Version = Annotated[int, Field(ge=0, le=MAX_DB_ID)]  # beyond the column's range it names no version: 422, not 500
RecordId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]


class SaveBody(BaseModel):
    expected_version: Version = Field(description="the version you edited; a newer one on the server refuses the save")
    record: dict[str, Any]


class VersionBody(BaseModel):
    expected_version: Version


class RollbackBody(BaseModel):
    revision_id: RecordId
    expected_version: Version


class RevisionOut(BaseModel):
    id: int
    version: int
    action: str
    state: str
    actor: str
    note: str | None
    created_at: dt.datetime
    diff: list[dict[str, Any]]
    content: dict[str, Any] | None


class ImportReportOut(BaseModel):
    created: list[str]
    updated: list[str]
    unchanged: list[str]


# --- Admins: unanswered questions ------------------------------------------------------------------------------------

class UnansweredOut(BaseModel):
    id: int
    text: str
    channel: str
    best_candidate: str | None
    score: float | None
    resolved: bool
    outcome: str | None = Field(description="faq (an FAQ was written from it) | dismissed | null while open")
    faq_id: str | None
    handled_by: int | None
    handled_at: dt.datetime | None
    created_at: dt.datetime


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["faq", "dismissed"] = Field(
        default="dismissed", description="faq: an FAQ now answers it (give faq_id); dismissed: nothing to add")
    faq_id: str | None = Field(default=None, max_length=160)


def staff_public(user: object) -> StaffPublic:
    return StaffPublic.model_validate(user, from_attributes=True)


def message_out(message: MessageView) -> MessageOut:
    return MessageOut.model_validate(asdict(message))
