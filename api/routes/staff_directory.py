"""Who can take a conversation: GET /api/v1/staff/officers (officer or admin login), for transfer pickers."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentStaff, SessionDep
from api.schemas import OfficerOut
from api.services import staff

router = APIRouter(prefix="/api/v1/staff", tags=["staff users"])


@router.get("/officers", response_model=list[OfficerOut], summary="Active officers and admins, by name")
def officers(db: SessionDep, _: CurrentStaff) -> list[OfficerOut]:
    return [OfficerOut(id=u.id, full_name=u.full_name, role=u.role) for u in staff.active_officers(db)]
