"""What citizens asked that the bot could not answer (texts are masked when recorded)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from api.core.errors import AppError
from api.db.models import UnansweredQuestion
from api.deps import CurrentAdmin, SessionDep
from api.domain.limits import MAX_DB_ID
from api.schemas import ResolveIn, UnansweredOut
from api.services import unanswered

router = APIRouter(prefix="/api/v1/admin/unanswered", tags=["admin: unanswered questions"])


@router.get("", response_model=list[UnansweredOut], summary="Questions the bot could not answer, newest first")
def list_unanswered(db: SessionDep, _: CurrentAdmin, include_resolved: bool = False,
                    limit: int = Query(100, ge=1, le=1000)) -> list[UnansweredOut]:
    query = select(UnansweredQuestion).order_by(UnansweredQuestion.id.desc()).limit(limit)
    if not include_resolved:
        query = query.where(UnansweredQuestion.resolved.is_(False))
    return [UnansweredOut.model_validate(row, from_attributes=True) for row in db.scalars(query)]


@router.post("/{question_id}/resolve", response_model=UnansweredOut,
             summary="Mark as handled (with its copies): an FAQ was added, or dismissed; who and when are recorded")
def resolve(question_id: Annotated[int, Path(ge=1, le=MAX_DB_ID)], db: SessionDep, admin: CurrentAdmin,
            body: ResolveIn | None = None) -> UnansweredOut:
    body = body or ResolveIn()
    if body.outcome == "faq" and not body.faq_id:
        raise AppError(422, "faq_id_missing", "Cần mã câu hỏi thường gặp (faq_id) đã trả lời câu hỏi này.")
    row = unanswered.get(db, question_id)
    unanswered.mark(db, admin, row, body.outcome, body.faq_id)
    return UnansweredOut.model_validate(row, from_attributes=True)
