"""Internal API for the action server (bearer BOT_API_TOKEN): one call per bot turn."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from api.core import security
from api.core.errors import AppError
from api.deps import SessionDep
from api.services import bot_turns
from api.services.answering import Question
from knowledge_base.service import IndexNotReadyError


def bot_only(request: Request) -> None:
    header = request.headers.get("authorization", "")
    token = header.removeprefix("Bearer ").strip()
    if not token or not security.same(token, request.app.state.settings.bot_api_token):
        raise AppError(401, "not_authenticated", "Missing or wrong bot token.")


router = APIRouter(prefix="/api/v1/bot", tags=["bot (internal)"], dependencies=[Depends(bot_only)])

Short = Annotated[str, Field(max_length=160)]


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


class MessageOut(BaseModel):
    text: str
    buttons: list[dict[str, str]] = []


class OutcomeOut(BaseModel):
    decision: str
    procedure_id: str | None = None
    aspect: str | None = None
    score: float | None = None


class TurnOut(BaseModel):
    messages: list[MessageOut]
    slots: dict[str, Any] = Field(description="slots to set in Rasa's tracker (null clears one)")
    outcome: OutcomeOut


@router.post("/turn", response_model=TurnOut, summary="Everything the bot says and remembers for one turn")
def bot_turn(body: TurnIn, request: Request, db: SessionDep) -> TurnOut:
    entities: dict[str, str] = {}
    for item in body.entities:
        if item.value is not None:
            entities.setdefault(item.entity, str(item.value))
    question = Question(text=body.text, intent=body.intent, entities=entities, procedure_id=body.slots.procedure_id,
                        aspect=body.slots.aspect, pending_choices=list(body.slots.pending_choices or []))
    try:
        result = bot_turns.take_turn(db, request.app.state.search, request.app.state.settings, action=body.action,
                                     sender=body.sender, question=question)
    except IndexNotReadyError:
        raise AppError(503, "index_not_ready", "The search index is still being built.") from None
    return TurnOut(messages=[MessageOut(**m.as_dict()) for m in result.messages], slots=result.slots,
                   outcome=OutcomeOut(**vars(result.outcome)))
