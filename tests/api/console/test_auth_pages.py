"""Console login, logout, redirects to login, CSRF on forms, no open redirect."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.db.base import session_scope
from api.db.models import AuditEvent, Role, StaffUser
from api.deps import CSRF_COOKIE, SESSION_COOKIE
from api.services import staff

PASSWORD = "Mot-cua-2026!"


def _officer() -> str:
    username = f"canbo{uuid.uuid4().hex[:6]}"
    with session_scope() as db:
        staff.create_user(db, username=username, full_name="Trần Thị Lan", role=Role.officer, password=PASSWORD)
    return username


def test_console_pages_send_a_visitor_to_login(client: TestClient) -> None:
    response = client.get("/console/", follow_redirects=False)
    assert response.status_code == 303
    page = client.get("/console/login")
    assert page.status_code == 200 and "Đăng nhập" in page.text


def test_wrong_password_is_told_plainly(client: TestClient) -> None:
    response = client.post("/console/login", data={"username": _officer(), "password": "sai"})
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.text


def test_login_sets_the_cookies_and_never_redirects_off_site(client: TestClient) -> None:
    response = client.post("/console/login", data={"username": _officer(), "password": PASSWORD,
                                                   "next": "https://evil.example/"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    assert SESSION_COOKIE in response.cookies and CSRF_COOKIE in response.cookies
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)).lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_logout_needs_the_csrf_token(client: TestClient) -> None:
    client.post("/console/login", data={"username": _officer(), "password": PASSWORD})
    refused = client.post("/console/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert "chống giả mạo" in refused.text
    token = client.cookies.get(CSRF_COOKIE)
    done = client.post("/console/logout", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/console/login"
    again = client.post("/console/logout", data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/console/login?next=")


def test_an_expired_session_is_sent_to_login_with_a_notice(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "expired-or-forged")
    response = client.get("/console/", follow_redirects=False)
    assert response.status_code == 303  # / → /console/queue; the queue page itself needs the session
    htmx = client.post("/console/logout", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 204 and "expired=1" in htmx.headers["hx-redirect"]


def test_console_login_is_throttled_with_a_plain_message(client: TestClient) -> None:
    username = _officer()
    for _ in range(4):
        assert client.post("/console/login", data={"username": username, "password": "sai"}).status_code == 401
    locked = client.post("/console/login", data={"username": username, "password": "sai"})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) == 60
    assert "Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 1 phút" in locked.text
    right = client.post("/console/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert right.status_code == 429


def test_console_pages_carry_the_security_headers(client: TestClient) -> None:
    for path in ("/console/login", "/console/static/console.js"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert "content-security-policy" not in client.get("/healthz").headers  # the console's, not the widget's


def test_no_console_template_holds_inline_code() -> None:
    """The CSP forbids inline scripts and handlers: a template that had one would silently stop working."""
    templates = Path(__file__).resolve().parents[3] / "api" / "console" / "templates"
    for page in templates.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page
        assert not re.search(r"\s(?:on[a-z]+|hx-on[:\w-]*)=", html), page
        assert "javascript:" not in html.lower(), page


def test_a_reset_password_must_be_changed_before_anything_else(client: TestClient) -> None:
    username = _officer()
    with session_scope() as db:
        admin = staff.create_user(db, username=f"qt{uuid.uuid4().hex[:6]}", full_name="Quản trị", role=Role.admin,
                                  password=PASSWORD)
        user = db.scalar(select(StaffUser).where(StaffUser.username == username))
        assert user is not None
        staff.reset_password(db, admin, user, "Mat-khau-tam-1", keep_session=0)
    client.post("/console/login", data={"username": username, "password": "Mat-khau-tam-1"})
    sent = client.get("/console/queue", follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/console/password"
    page = client.get("/console/password")
    assert "cần đổi mật khẩu" in page.text
    csrf = client.cookies.get(CSRF_COOKIE)
    wrong = client.post("/console/password", data={"csrf_token": csrf, "current_password": "sai-roi-123",
                                                   "new_password": "Mat-khau-moi-2"})
    assert wrong.status_code == 403 and "Mật khẩu hiện tại không đúng." in wrong.text
    weak = client.post("/console/password", data={"csrf_token": csrf, "current_password": "Mat-khau-tam-1",
                                                  "new_password": "ngan"})
    assert weak.status_code == 422 and "ít nhất 10 ký tự" in weak.text
    done = client.post("/console/password", data={"csrf_token": csrf, "current_password": "Mat-khau-tam-1",
                                                  "new_password": "Mat-khau-moi-2"})
    assert done.status_code == 200 and "Đã đổi mật khẩu" in done.text
    assert client.get("/console/queue").status_code == 200
    with session_scope() as db:
        actions = db.scalars(select(AuditEvent.action).where(AuditEvent.target == f"staff_user:{user.id}")).all()
    assert "staff.password_change_failed" in actions and "staff.password_change" in actions
