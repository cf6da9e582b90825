"""Console login and logout (the same sessions as the API's login, with the cookie)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.console.web import console_session, render, safe_next
from api.core.errors import AppError
from api.deps import (
    LoginThrottleDep,
    SessionDep,
    SettingsDep,
    clear_session_cookies,
    client_address,
    set_session_cookies,
)
from api.services import staff

router = APIRouter()


@router.get("/login")
def login_page(request: Request, next: str = "/console", expired: bool = False) -> Response:
    notice = "Phiên đăng nhập đã hết hạn. Bạn vui lòng đăng nhập lại." if expired else None
    return render(request, "login.html", {"next": safe_next(next), "notice": notice})


@router.post("/login")
def login(request: Request, db: SessionDep, settings: SettingsDep, throttle: LoginThrottleDep,
          username: Annotated[str, Form(max_length=64)] = "", password: Annotated[str, Form(max_length=256)] = "",
          next: Annotated[str, Form()] = "/console") -> Response:
    try:
        user = staff.login(db, throttle, username, password, client_address(request))
    except staff.LoginRefused as refused:
        return render(request, "login.html", {"next": safe_next(next), "username": username,
                                              "error": refused.message}, status_code=refused.status,
                      headers=refused.headers)
    issued = staff.open_session(db, user, settings.session_ttl_minutes)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookies(response, issued, settings)
    return response


@router.get("/password")
async def password_page(request: Request, db: SessionDep) -> Response:
    found = await console_session(request, db)
    forced = staff.MUST_CHANGE if found.user.must_change_password else None
    return render(request, "password.html", {"forced": forced})


@router.post("/password")
async def change_password(request: Request, db: SessionDep, throttle: LoginThrottleDep,
                          current_password: Annotated[str, Form(max_length=256)] = "",
                          new_password: Annotated[str, Form(max_length=256)] = "") -> Response:
    found = await console_session(request, db)
    try:
        await run_in_threadpool(staff.change_own_password, db, throttle, found, current_password, new_password,
                                client_address(request))
    except AppError as refused:
        forced = staff.MUST_CHANGE if found.user.must_change_password else None
        return render(request, "password.html", {"forced": forced, "error": refused.message},
                      status_code=refused.status, headers=refused.headers)
    return render(request, "password.html", {"done": True})


@router.post("/logout")
async def logout(request: Request, db: SessionDep) -> Response:
    found = await console_session(request, db)
    staff.record(db, found.user_id, "staff.logout", f"staff_user:{found.user_id}")
    db.delete(found)
    response = RedirectResponse("/console/login", status_code=303)
    clear_session_cookies(response)
    return response


@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse("/console/queue", status_code=303)
