"""Admin management of staff accounts."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.core.errors import AppError
from api.db.models import Role, StaffUser
from api.deps import CurrentAdmin, SessionDep
from api.routes.auth import StaffPublic, public
from api.services import staff

router = APIRouter(prefix="/api/v1/staff/users", tags=["staff users"])


class StaffCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    full_name: str = Field(default="", max_length=200)
    role: Role
    password: str = Field(min_length=1, max_length=256)


class StaffListItem(StaffPublic):
    is_active: bool


@router.get("", response_model=list[StaffListItem], summary="List staff accounts")
def list_users(db: SessionDep, _: CurrentAdmin) -> list[StaffListItem]:
    users = db.scalars(select(StaffUser).order_by(StaffUser.username))
    return [StaffListItem.model_validate(u, from_attributes=True) for u in users]


@router.post("", response_model=StaffPublic, status_code=201, summary="Create a staff account")
def create_user(body: StaffCreate, db: SessionDep, admin: CurrentAdmin) -> StaffPublic:
    user = staff.create_user(db, username=body.username, full_name=body.full_name, role=body.role,
                             password=body.password, actor_id=admin.id)
    return public(user)


@router.post("/{user_id}/deactivate", response_model=StaffListItem, summary="Disable a staff account")
def deactivate(user_id: int, db: SessionDep, admin: CurrentAdmin) -> StaffListItem:
    user = db.get(StaffUser, user_id)
    if user is None:
        raise AppError(404, "not_found", f"Không có tài khoản số {user_id}.")
    if user.id == admin.id:
        raise AppError(409, "self_deactivate", "Không thể tự khoá tài khoản của chính mình.")
    user.is_active = False
    staff.record(db, admin.id, "staff.deactivate", f"staff_user:{user.id}")
    return StaffListItem.model_validate(user, from_attributes=True)
