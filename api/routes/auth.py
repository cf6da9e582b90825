"""Staff login: a bearer token for API clients and a secure session cookie for the console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.core.errors import AppError
from api.db.models import StaffSession
from api.deps import SessionDep, SettingsDep, clear_session_cookies, current_session, set_session_cookies
from api.schemas import LoginRequest, LoginResponse, StaffPublic, staff_public
from api.services import staff

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=LoginResponse, summary="Log in; returns a token and sets the session cookie")
def login(body: LoginRequest, response: Response, db: SessionDep, settings: SettingsDep) -> LoginResponse:
    user = staff.authenticate(db, body.username, body.password)
    if user is None:
        raise AppError(401, "bad_credentials", "Sai tên đăng nhập hoặc mật khẩu.")
    issued = staff.open_session(db, user, settings.session_ttl_minutes)
    set_session_cookies(response, issued, settings)
    return LoginResponse(access_token=issued.token, expires_at=issued.expires_at, csrf_token=issued.csrf_token,
                         user=staff_public(user))


@router.post("/logout", status_code=204, summary="End the current session")
def logout(request: Request, response: Response, db: SessionDep,
           found: Annotated[StaffSession, Depends(current_session)]) -> Response:
    staff.record(db, found.user_id, "staff.logout", f"staff_user:{found.user_id}")
    db.delete(found)
    response.status_code = 204
    clear_session_cookies(response)
    return response


@router.get("/me", response_model=StaffPublic, summary="Who is logged in")
def me(found: Annotated[StaffSession, Depends(current_session)]) -> StaffPublic:
    return staff_public(found.user)
