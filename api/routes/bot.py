"""Internal API for the action server (bearer BOT_API_TOKEN): search, answers, handoff, tickets, ratings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from api import handoff as handoffs
from api import kb_store
from api.core import security
from api.core.config import get_settings
from api.core.errors import AppError
from api.core.privacy import mask_pii
from api.db.models import UnansweredQuestion, utcnow
from api.deps import SessionDep
from api.routes.search import SearchOut, run_search
from knowledge_base import answers


def bot_only(request: Request) -> None:
    header = request.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip()
    if not token or not security.same(token, request.app.state.settings.bot_api_token):
        raise AppError(401, "not_authenticated", "Missing or wrong bot token.")


router = APIRouter(prefix="/api/v1/bot", tags=["bot (internal)"], dependencies=[Depends(bot_only)])


class MessageOut(BaseModel):
    text: str
    buttons: list[dict[str, str]] = []


class AnswerOut(BaseModel):
    procedure_id: str
    title: str
    aspect: str | None
    message: MessageOut


class ClarifyIn(BaseModel):
    procedure_ids: list[str] = Field(min_length=1, max_length=5)


class SenderIn(BaseModel):
    sender: str = Field(min_length=1, max_length=200)


class UnansweredIn(SenderIn):
    text: str = Field(min_length=1, max_length=4000)
    best_candidate: str | None = None
    score: float | None = None


class RetrievedIn(BaseModel):
    procedure_id: str = Field(max_length=160)
    title: str | None = Field(default=None, max_length=500)
    score: float | None = None


class HandoffIn(SenderIn):
    reason: str = Field(pattern="^(citizen_request|no_answer|complaint)$")
    note: str | None = Field(default=None, max_length=4000)
    retrieved: list[RetrievedIn] | None = Field(default=None, max_length=10,
                                                description="what the bot had found, shown to the officer")


class HandoffOut(BaseModel):
    handoff_id: int
    status: str  # waiting | assigned | ticket (outside office hours, or a complaint)
    queue_position: int  # 0 unless waiting
    office_hours: str
    office_open: bool
    next_opening: str | None = Field(description='when officers are back, e.g. "7:30 sáng mai (thứ Ba, 06/01/2026)"; '
                                                 "null while the office is open")
    estimated_wait: str = Field(description='"khoảng 5 phút", or "vài phút" when unknown')


class RatingIn(SenderIn):
    rating: int = Field(ge=1, le=5)


@router.get("/search", response_model=SearchOut, summary="Search without the public rate limit")
def bot_search(request: Request, q: Annotated[str, Query(max_length=4000)], k: int = 5) -> SearchOut:
    return run_search(request, q, k)


@router.get("/procedures/{procedure_id}/answer", response_model=AnswerOut, summary="The formatted answer")
def bot_answer(procedure_id: str, db: SessionDep, aspect: str | None = Query(None, pattern="^[a-z]+$"),
               faq: str | None = Query(None, max_length=160, description="the FAQ search ranked first"),
               q: str = Query("", max_length=4000, description="the citizen's question (FAQ wording check)"),
               on: dt.date | None = None) -> AnswerOut:
    if aspect is not None and aspect not in answers.ASPECTS:
        aspect = None
    procedure = kb_store.require_published(db, procedure_id)
    on = on or get_settings().today()  # the fee in force on the office's date, not the server's (UTC)
    message = (faq and answers.faq_answer(procedure, faq, q, aspect, on)) or answers.answer(procedure, aspect, on)
    return AnswerOut(procedure_id=procedure.id, title=procedure.title, aspect=aspect,
                     message=MessageOut(**message.as_dict()))


@router.post("/clarify", response_model=MessageOut, summary="Ask which of close candidates is meant")
def bot_clarify(body: ClarifyIn, db: SessionDep) -> MessageOut:
    titles = kb_store.published_titles(db, body.procedure_ids)
    candidates = [(pid, titles[pid]) for pid in body.procedure_ids if pid in titles]
    return MessageOut(**answers.clarify(candidates).as_dict())


@router.post("/unanswered", status_code=201, summary="Record a question the bot could not answer; get the reply")
def bot_unanswered(body: UnansweredIn, db: SessionDep) -> dict[str, Any]:
    channel, _ = handoffs.split_sender(body.sender)
    row = UnansweredQuestion(text=mask_pii(body.text), channel=channel, best_candidate=body.best_candidate,
                             score=body.score)
    db.add(row)
    db.flush()
    return {"id": row.id, "message": answers.nothing_found().as_dict()}


@router.post("/handoff", response_model=HandoffOut, summary="Hand the conversation to an officer")
def bot_handoff(body: HandoffIn, request: Request, db: SessionDep) -> HandoffOut:
    settings = request.app.state.settings
    office, now = settings.office(), utcnow()
    retrieved = [r.model_dump(exclude_none=True) for r in body.retrieved] if body.retrieved else None
    handoff, position = handoffs.open_handoff(db, body.sender, body.reason, body.note, retrieved=retrieved,
                                              office=office, now=now)
    return HandoffOut(handoff_id=handoff.id, status=handoff.status.value, queue_position=position,
                      office_hours=settings.office_hours, office_open=office.is_open(now),
                      next_opening=handoffs.next_opening_text(office, now),
                      estimated_wait=handoffs.describe_wait(handoffs.average_wait_seconds(db, office, now)))


@router.post("/rating", summary="Record the citizen's 1–5 rating")
def bot_rating(body: RatingIn, db: SessionDep) -> dict[str, Any]:
    handoff = handoffs.record_rating(db, body.sender, body.rating)
    return {"recorded": handoff is not None}
