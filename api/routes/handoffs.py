"""The officers' API: the queue of conversations waiting for a person, transcripts, claim, reply, transfer, resolve.

Every route needs an officer or admin login (bearer token, or the console's cookie with its CSRF header);
every change is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.core.errors import AppError
from api.core.privacy import mask_identifier
from api.core.security import as_utc
from api.db.models import Handoff, Message, MessageAuthor, utcnow
from api.deps import CurrentStaff, SessionDep
from api.services import handoffs, staff

router = APIRouter(prefix="/api/v1/handoffs", tags=["handoffs (officers)"])

_MAX_ID = 2**31 - 1


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

    text: str = Field(description=f"1–{handoffs.REPLY_MAX_CHARS} characters")


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    officer_id: int = Field(ge=1, le=_MAX_ID)


def handoff_id_of(raw: str) -> int:
    """Path ids that cannot name a handoff are a 404 (not a 422, nor a database error on huge numbers)."""
    if raw.isascii() and raw.isdigit() and 0 < int(raw) <= _MAX_ID:
        return int(raw)
    raise AppError(404, "not_found", f"Không có yêu cầu hỗ trợ số {raw[:40]}.")


def _last(message: Message | None) -> LastMessage | None:
    return LastMessage(text=message.text or message.payload or "", created_at=message.created_at) if message else None


def items(db: Session, rows: list[Handoff]) -> list[HandoffItem]:
    summaries = handoffs.summaries(db, sorted({h.conversation_id for h in rows}))
    names = handoffs.staff_names(db, {h.officer_id for h in rows})
    now = utcnow()
    out = []
    for handoff in rows:
        summary = summaries[handoff.conversation_id]
        until = as_utc(handoff.claimed_at) if handoff.claimed_at else now
        out.append(HandoffItem(
            id=handoff.id, conversation_id=handoff.conversation_id, channel=summary.conversation.channel,
            user=mask_identifier(summary.conversation.user_id), reason=handoff.reason, status=handoff.status.value,
            note=handoff.note, officer_id=handoff.officer_id, officer_name=names.get(handoff.officer_id or 0),
            created_at=handoff.created_at, claimed_at=handoff.claimed_at, resolved_at=handoff.resolved_at,
            waiting_seconds=max(0, int((until - as_utc(handoff.created_at)).total_seconds())),
            last_citizen_message=_last(summary.last_citizen), last_bot_message=_last(summary.last_bot),
            retrieved=handoff.retrieved,
            awaiting_reply=bool(summary.last and summary.last.author == MessageAuthor.citizen),
        ))
    return out


def message_out(message: Message, names: dict[int, str]) -> MessageOut:
    return MessageOut(id=message.id, author=message.author.value, author_name=names.get(message.staff_id or 0),
                      text=message.text, payload=message.payload, buttons=message.buttons or [],
                      created_at=message.created_at)


@router.get("/queue", response_model=list[HandoffItem],
            summary="Open handoffs nobody has claimed: waiting ones first (longest wait first), then tickets")
def queue(db: SessionDep, _: CurrentStaff, limit: int = Query(200, ge=1, le=1000)) -> list[HandoffItem]:
    return items(db, handoffs.unclaimed(db, limit))


@router.get("/mine", response_model=list[HandoffItem], summary="Handoffs I am handling")
def mine(db: SessionDep, me: CurrentStaff) -> list[HandoffItem]:
    return items(db, handoffs.assigned_to(db, me.id))


@router.get("/{handoff_id}", response_model=HandoffDetail, summary="A handoff with its full transcript, oldest first")
def detail(handoff_id: str, db: SessionDep, me: CurrentStaff,
           limit: int = Query(1000, ge=1, le=5000)) -> HandoffDetail:
    handoff = handoffs.get_handoff(db, handoff_id_of(handoff_id))
    [item] = items(db, [handoff])
    messages, has_older = handoffs.transcript(db, handoff.conversation_id, limit)
    names = handoffs.staff_names(db, {m.staff_id for m in messages})
    conversation = handoffs.summaries(db, [handoff.conversation_id])[handoff.conversation_id].conversation
    staff.record(db, me.id, "handoff.view", f"handoff:{handoff.id}")  # who read a citizen's conversation
    return HandoffDetail(**item.model_dump(), conversation_mode=conversation.mode.value, rating=handoff.rating,
                         messages=[message_out(m, names) for m in messages], has_older=has_older)


@router.post("/{handoff_id}/claim", response_model=HandoffItem,
             summary="Take the conversation (of two officers claiming at once, one wins; the other gets 409)")
def claim(handoff_id: str, db: SessionDep, me: CurrentStaff) -> HandoffItem:
    handoff = handoffs.claim(db, handoff_id_of(handoff_id), me)
    return items(db, [handoff])[0]


@router.post("/{handoff_id}/reply", response_model=MessageOut, status_code=201,
             summary="Answer the citizen (only the officer handling it); stored before the response")
def reply(handoff_id: str, body: ReplyIn, db: SessionDep, me: CurrentStaff) -> MessageOut:
    message = handoffs.reply(db, handoff_id_of(handoff_id), me, body.text)
    return message_out(message, {me.id: me.full_name})


@router.post("/{handoff_id}/transfer", response_model=HandoffItem, summary="Give the conversation to another officer")
def transfer(handoff_id: str, body: TransferIn, db: SessionDep, me: CurrentStaff) -> HandoffItem:
    handoff = handoffs.transfer(db, handoff_id_of(handoff_id), me, body.officer_id)
    return items(db, [handoff])[0]


@router.post("/{handoff_id}/resolve", response_model=HandoffItem,
             summary="Done: back to the bot, and the citizen is asked for a 1–5 rating")
def resolve(handoff_id: str, db: SessionDep, me: CurrentStaff) -> HandoffItem:
    handoff = handoffs.resolve(db, handoff_id_of(handoff_id), me)
    return items(db, [handoff])[0]
