"""FastAPI dependencies: database session, current staff member and role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from api.core import security
from api.core.config import Settings, get_settings
from api.core.errors import AppError
from api.core.login_throttle import LoginThrottle
from api.db.base import get_sessionmaker
from api.db.models import Role, StaffSession, StaffUser
from api.domain.limits import MAX_DB_ID
from api.services import staff

SESSION_COOKIE = "tlhc_session"
CSRF_COOKIE = "tlhc_csrf"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def set_session_cookies(response: Response, issued: staff.IssuedSession, settings: Settings) -> None:
    """The login's cookies: the session (HttpOnly) and the CSRF token the console's JavaScript sends back."""
    max_age = settings.session_ttl_minutes * 60
    response.set_cookie(SESSION_COOKIE, issued.token, max_age=max_age, httponly=True, secure=settings.cookie_secure,
                        samesite="strict")
    response.set_cookie(CSRF_COOKIE, issued.csrf_token, max_age=max_age, httponly=False,
                        secure=settings.cookie_secure, samesite="strict")


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


def get_db() -> Iterator[Session]:
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so a client never sees an answer whose
# changes are not yet in the database.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def client_address(request: Request) -> str | None:
    """The client's address (behind a trusted proxy, the forwarded one: uvicorn's proxy-headers handling)."""
    return request.client.host if request.client else None


def login_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


LoginThrottleDep = Annotated[LoginThrottle, Depends(login_throttle)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def current_session(request: Request, db: SessionDep) -> StaffSession:
    token = _bearer(request)
    from_cookie = token is None
    token = token or request.cookies.get(SESSION_COOKIE)
    if not token:
        raise AppError(401, "not_authenticated", "Bạn cần đăng nhập.")
    found = staff.resolve_session(db, token)
    if found is None:
        raise AppError(401, "session_expired", "Phiên đăng nhập đã hết hạn hoặc không hợp lệ. Vui lòng đăng nhập lại.")
    if from_cookie and request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or ""
        if not sent or not security.same(sent, found.csrf_token):
            raise AppError(403, "csrf_failed", "Thiếu hoặc sai mã chống giả mạo (CSRF). Vui lòng tải lại trang.")
    return found


def may_see_details(request: Request) -> bool:
    """Operational details (readiness checks) are for staff and the stack's own processes (the bot API token)."""
    token = _bearer(request) or request.cookies.get(SESSION_COOKIE)
    if not token:
        return False
    if security.same(token, request.app.state.settings.bot_api_token):
        return True
    session = get_sessionmaker()()
    try:
        return staff.resolve_session(session, token) is not None
    finally:
        session.close()


def current_user(found: Annotated[StaffSession, Depends(current_session)]) -> StaffUser:
    """The staff member, unless an admin reset their password and they have not changed it yet."""
    if found.user.must_change_password:
        raise AppError(403, "password_change_required", staff.MUST_CHANGE + " (POST /api/v1/auth/password)")
    return found.user


def require_role(*roles: Role) -> Callable[[StaffUser], StaffUser]:
    def check(user: Annotated[StaffUser, Depends(current_user)]) -> StaffUser:
        if user.role not in roles:
            raise AppError(403, "forbidden", "Bạn không có quyền thực hiện thao tác này.")
        return user

    return check


CurrentStaff = Annotated[StaffUser, Depends(require_role(Role.admin, Role.officer))]
CurrentAdmin = Annotated[StaffUser, Depends(require_role(Role.admin))]


def notify_kb_published(request: Request) -> None:
    """Tell the running app that what the bot uses changed (the search index reloads)."""
    hook = getattr(request.app.state, "on_kb_published", None)
    if hook is not None:
        hook()


def handoff_id_of(raw: str) -> int:
    """Path ids that cannot name a handoff are a 404 (not a 422, nor a database error on huge numbers)."""
    if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_DB_ID:
        return int(raw)
    raise AppError(404, "not_found", f"Không có yêu cầu hỗ trợ số {raw[:40]}.")
