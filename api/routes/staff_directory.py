"""Who can take a conversation: GET /api/v1/staff/officers (officer or admin login), for transfer pickers."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import Role, StaffUser
from api.deps import CurrentStaff, SessionDep

router = APIRouter(prefix="/api/v1/staff", tags=["staff users"])


def active_officers(db: Session, exclude: int | None = None) -> list[StaffUser]:
    """Who can take a conversation: active officers and admins, by name (without `exclude`)."""
    query = select(StaffUser).where(StaffUser.is_active.is_(True), StaffUser.role.in_((Role.officer, Role.admin)))
    return [u for u in db.scalars(query.order_by(StaffUser.full_name, StaffUser.id)) if u.id != exclude]


class OfficerOut(BaseModel):
    id: int
    full_name: str
    role: Role


@router.get("/officers", response_model=list[OfficerOut], summary="Active officers and admins, by name")
def officers(db: SessionDep, _: CurrentStaff) -> list[OfficerOut]:
    return [OfficerOut(id=u.id, full_name=u.full_name, role=u.role) for u in active_officers(db)]
