"""Console login, logout, redirects to login, CSRF on forms, no open redirect."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from api.db.base import session_scope
from api.db.models import Role
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
