"""What every console page shares: templates, the logged-in staff member, CSRF on forms, redirects to login.

The console is cookie-authenticated (the session cookie set at login). Every state-changing request must carry
the session's CSRF token, either as the form field `csrf_token` or as the `X-CSRF-Token` header (htmx sends it
from the page's <body hx-headers>). A missing or expired session sends the browser to the login page (htmx
requests get an `HX-Redirect`), so a session that expires mid-work never loses the page silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.core import security
from api.db.models import Role, StaffSession, StaffUser
from api.deps import SESSION_COOKIE, SessionDep
from api.services import staff

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class StaffView:
    """The logged-in staff member as templates see them."""

    id: int
    username: str
    full_name: str
    role: Role


class LoginRequired(Exception):
    """No valid console session: go to the login page (handled in api.console)."""

    def __init__(self, next_url: str, expired: bool) -> None:
        self.next_url = next_url
        self.expired = expired


class PasswordChangeRequired(Exception):
    """An admin reset this account's password: the console shows only the password page until it is changed."""


class ConsoleForbidden(Exception):
    """Logged in, but the role does not allow this page or action."""

    def __init__(self, message: str) -> None:
        self.message = message


def _local_time(value: dt.datetime | None, fmt: str = "%H:%M %d/%m/%Y") -> str:
    if value is None:
        return ""
    from api.core.config import get_settings

    return security.as_utc(value).astimezone(get_settings().zone()).strftime(fmt)


templates.env.filters["local_time"] = _local_time


async def _csrf_sent(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


async def console_session(request: Request, db: SessionDep) -> StaffSession:
    token = request.cookies.get(SESSION_COOKIE)
    found = staff.resolve_session(db, token) if token else None
    if found is None:
        raise LoginRequired(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
                            expired=bool(token))
    if request.method not in _SAFE_METHODS:
        sent = await _csrf_sent(request)
        if not sent or not security.same(sent, found.csrf_token):
            raise ConsoleForbidden("Phiên làm việc không hợp lệ (thiếu mã chống giả mạo). Bạn vui lòng tải lại trang.")
    request.state.staff_session = found
    # what pages show about the user, read now: an error page is rendered after the request's session has
    # rolled back and closed, when the ORM objects can no longer load anything
    request.state.console_view = {"user": StaffView(found.user.id, found.user.username, found.user.full_name,
                                                    found.user.role),
                                  "csrf_token": found.csrf_token}
    return found


def _user(found: Annotated[StaffSession, Depends(console_session)]) -> StaffUser:
    if found.user.must_change_password:
        raise PasswordChangeRequired()
    return found.user


def require_admin(user: Annotated[StaffUser, Depends(_user)]) -> StaffUser:
    if user.role != Role.admin:
        raise ConsoleForbidden("Trang này chỉ dành cho quản trị viên.")
    return user


ConsoleUser = Annotated[StaffUser, Depends(_user)]
ConsoleAdmin = Annotated[StaffUser, Depends(require_admin)]


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    """A console template with the shared context: the user, the CSRF token, the current path."""
    view = getattr(request.state, "console_view", None) or {"user": None, "csrf_token": ""}
    user: StaffView | None = view["user"]
    is_admin = bool(user and user.role == Role.admin)
    rebuilds = getattr(request.app.state, "index_rebuilds", None)
    shared = {**view, "path": request.url.path, "is_admin": is_admin,
              "channel_banners": channel_banners(request) if user else [],
              "index_problem": rebuilds.problem() if is_admin and rebuilds is not None else None}
    return templates.TemplateResponse(request, name, {**shared, **(context or {})}, status_code=status_code,
                                      headers=headers)


ZALO_DEGRADED = ("Kênh Zalo đang gián đoạn: ứng dụng không làm mới được mã truy cập của Official Account, nên tin "
                 "nhắn Zalo chưa gửi được (tin vẫn được lưu). Các kênh khác vẫn hoạt động. Quản trị viên cần cấp lại "
                 "quyền cho ứng dụng Zalo (docs/channels.md, mục Zalo).")


def channel_banners(request: Request) -> list[str]:
    """Warnings every console page shows: a channel that cannot send (the Zalo token could not be refreshed)."""
    zalo = getattr(request.app.state, "zalo", None)  # the channel object, if running (no import: layers)
    if zalo is not None:
        ok, detail = zalo.status()
        if not ok and str(detail).startswith("degraded"):
            return [ZALO_DEGRADED]
    return []


def error_page(request: Request, message: str, status_code: int) -> Response:
    """A refusal as the console shows it: plain text for htmx requests (console.js shows it as a toast), else the
    error page. The request's transaction has been rolled back by then."""
    if request.headers.get("hx-request"):
        return Response(message, status_code=status_code, media_type="text/plain; charset=utf-8")
    return render(request, "error.html", {"message": message}, status_code=status_code)


def login_redirect(request: Request, error: LoginRequired) -> Response:
    target = f"/console/login?next={quote(error.next_url, safe='')}" + ("&expired=1" if error.expired else "")
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def safe_next(url: str | None) -> str:
    """Only a path inside the console: never an open redirect."""
    if url and url.startswith("/console") and not url.startswith("//") and "\\" not in url:
        return url
    return "/console"
