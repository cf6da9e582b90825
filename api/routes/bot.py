"""Internal API for the action server (bearer BOT_API_TOKEN): one call per bot turn."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from api.core import security
from api.core.errors import AppError
from api.deps import SessionDep
from api.schemas import OutcomeOut, TurnIn, TurnMessage, TurnOut
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
    return TurnOut(messages=[TurnMessage(**m.as_dict()) for m in result.messages], slots=result.slots,
                   outcome=OutcomeOut(**vars(result.outcome)))
