"""What citizens asked that the bot could not answer (texts are masked when recorded)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from api.core.errors import AppError
from api.db.models import UnansweredQuestion
from api.deps import CurrentAdmin, SessionDep
from api.services import staff

router = APIRouter(prefix="/api/v1/admin/unanswered", tags=["admin: unanswered questions"])


class UnansweredOut(BaseModel):
    id: int
    text: str
    channel: str
    best_candidate: str | None
    score: float | None
    resolved: bool
    created_at: dt.datetime


@router.get("", response_model=list[UnansweredOut], summary="Questions the bot could not answer, newest first")
def list_unanswered(db: SessionDep, _: CurrentAdmin, include_resolved: bool = False,
                    limit: int = Query(100, ge=1, le=1000)) -> list[UnansweredOut]:
    query = select(UnansweredQuestion).order_by(UnansweredQuestion.id.desc()).limit(limit)
    if not include_resolved:
        query = query.where(UnansweredQuestion.resolved.is_(False))
    return [UnansweredOut.model_validate(row, from_attributes=True) for row in db.scalars(query)]


@router.post("/{question_id}/resolve", response_model=UnansweredOut, summary="Mark as handled (e.g. an FAQ was added)")
def resolve(question_id: int, db: SessionDep, admin: CurrentAdmin) -> UnansweredOut:
    row = db.get(UnansweredQuestion, question_id)
    if row is None:
        raise AppError(404, "not_found", f"Không có câu hỏi số {question_id}.")
    row.resolved = True
    staff.record(db, admin.id, "unanswered.resolve", f"unanswered:{row.id}")
    return UnansweredOut.model_validate(row, from_attributes=True)
