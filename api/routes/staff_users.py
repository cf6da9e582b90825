"""Admin management of staff accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select

from api.db.models import StaffUser
from api.deps import CurrentAdmin, SessionDep
from api.domain.limits import MAX_DB_ID
from api.schemas import StaffCreate, StaffListItem, StaffPublic, staff_public
from api.services import staff

router = APIRouter(prefix="/api/v1/staff/users", tags=["staff users"])


@router.get("", response_model=list[StaffListItem], summary="List staff accounts")
def list_users(db: SessionDep, _: CurrentAdmin) -> list[StaffListItem]:
    users = db.scalars(select(StaffUser).order_by(StaffUser.username))
    return [StaffListItem.model_validate(u, from_attributes=True) for u in users]


@router.post("", response_model=StaffPublic, status_code=201, summary="Create a staff account")
def create_user(body: StaffCreate, db: SessionDep, admin: CurrentAdmin) -> StaffPublic:
    user = staff.create_user(db, username=body.username, full_name=body.full_name, role=body.role,
                             password=body.password, actor_id=admin.id)
    return staff_public(user)


@router.post("/{user_id}/deactivate", response_model=StaffListItem,
             summary="Disable a staff account (signed out at once; never oneself, never the last active admin)")
def deactivate(user_id: Annotated[int, Path(ge=1, le=MAX_DB_ID)], db: SessionDep, admin: CurrentAdmin) -> StaffListItem:
    user = staff.get_user(db, user_id)
    staff.set_active(db, admin, user, False)
    return StaffListItem.model_validate(user, from_attributes=True)
