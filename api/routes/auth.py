"""Staff login: a bearer token for API clients and a secure session cookie for the console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from api.db.models import StaffSession
from api.deps import (
    LoginThrottleDep,
    SessionDep,
    SettingsDep,
    clear_session_cookies,
    client_address,
    current_session,
    set_session_cookies,
)
from api.schemas import LoginRequest, LoginResponse, PasswordChange, StaffPublic, staff_public
from api.services import staff

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=LoginResponse, summary="Log in; returns a token and sets the session cookie",
             responses={401: {"description": "wrong username or password"},
                        429: {"description": "too many failed logins for the account or address (Retry-After)"}})
def login(body: LoginRequest, request: Request, response: Response, db: SessionDep, settings: SettingsDep,
          throttle: LoginThrottleDep) -> LoginResponse:
    user = staff.login(db, throttle, body.username, body.password, client_address(request))
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


@router.post("/password", status_code=204, summary="Change my own password (required after an admin reset)",
             responses={403: {"description": "the current password is wrong"},
                        422: {"description": "the new password is refused (with the reason)"},
                        429: {"description": "too many wrong passwords (Retry-After)"}})
def change_password(body: PasswordChange, request: Request, db: SessionDep, throttle: LoginThrottleDep,
                    found: Annotated[StaffSession, Depends(current_session)]) -> Response:
    staff.change_own_password(db, throttle, found, body.current_password, body.new_password, client_address(request))
    return Response(status_code=204)
