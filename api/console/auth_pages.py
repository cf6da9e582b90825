"""Console login and logout (the same sessions as the API's login, with the cookie)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.console.web import console_session, render, safe_next
from api.deps import SessionDep, SettingsDep, clear_session_cookies, set_session_cookies
from api.services import staff

router = APIRouter()


@router.get("/login")
def login_page(request: Request, next: str = "/console", expired: bool = False) -> Response:
    notice = "Phiên đăng nhập đã hết hạn. Bạn vui lòng đăng nhập lại." if expired else None
    return render(request, "login.html", {"next": safe_next(next), "notice": notice})


@router.post("/login")
def login(request: Request, db: SessionDep, settings: SettingsDep, username: Annotated[str, Form(max_length=64)] = "",
          password: Annotated[str, Form(max_length=256)] = "", next: Annotated[str, Form()] = "/console") -> Response:
    user = staff.authenticate(db, username, password) if username and password else None
    if user is None:
        return render(request, "login.html", {"next": safe_next(next), "username": username,
                                              "error": "Sai tên đăng nhập hoặc mật khẩu."}, status_code=401)
    issued = staff.open_session(db, user, settings.session_ttl_minutes)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookies(response, issued, settings)
    return response


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
