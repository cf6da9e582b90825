"""Public, read-only access to the published knowledge base (used by actions, widget and console)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.core.errors import AppError
from api.deps import SessionDep
from api.schemas import ProcedureListItem
from api.services import kb_store

router = APIRouter(prefix="/api/v1/procedures", tags=["procedures"])


@router.get("", response_model=list[ProcedureListItem], summary="Published procedures")
def list_procedures(db: SessionDep) -> list[ProcedureListItem]:
    return [ProcedureListItem(id=p.id, title=p.title, field=p.field, level=p.level.value)
            for p in kb_store.published_procedures(db)]


@router.get("/{procedure_id}", summary="One published procedure with its FAQs")
def get_procedure(procedure_id: str, db: SessionDep) -> dict[str, Any]:
    row = kb_store.get_row(db, "procedure", procedure_id)
    if row.published is None or row.archived:
        raise AppError(404, "not_found", f"Không có thủ tục mã '{procedure_id}'.")
    return {**row.published, "faqs": kb_store.published_faqs_of(db, procedure_id)}
