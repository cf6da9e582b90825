"""Staff login, roles on every staff endpoint, CSRF on cookie-authenticated writes, expiry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from api.db.base import session_scope
from api.db.models import AuditEvent, Role, StaffSession, StaffUser
from api.deps import CSRF_COOKIE, SESSION_COOKIE
from api.services import staff
from tests.utils.staff import PASSWORD, auth_headers, login, make_staff


def test_login_sets_secure_httponly_cookie_and_returns_token(client) -> None:
    username = make_staff(Role.admin)
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in session_cookie and "Secure" in session_cookie and "SameSite=strict" in session_cookie
    assert response.json()["user"]["role"] == "admin"
    assert client.get("/api/v1/auth/me").json()["username"] == username


def test_wrong_password_and_unknown_user_get_the_same_answer(client) -> None:
    username = make_staff()
    wrong = client.post("/api/v1/auth/login", json={"username": username, "password": "sai-mat-khau-1"})
    unknown = client.post("/api/v1/auth/login", json={"username": "khong-ton-tai", "password": "sai-mat-khau-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "bad_credentials", "message": "Sai tên đăng nhập hoặc mật khẩu."}


def test_officer_cannot_use_admin_endpoints(client) -> None:
    headers = auth_headers(client, Role.officer)
    assert client.get("/api/v1/staff/users", headers=headers).status_code == 403
    admin = auth_headers(client, Role.admin)
    assert client.get("/api/v1/staff/users", headers=admin).status_code == 200


def test_staff_endpoints_need_login(client) -> None:
    client.cookies.clear()
    response = client.get("/api/v1/staff/users")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_bad_token_is_refused(client) -> None:
    response = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-real-token"})
    assert response.status_code == 401
    assert response.json()["error"] == "session_expired"


def test_cookie_write_needs_csrf_token(client) -> None:
    body = login(client, make_staff(Role.admin))
    new_user = {"username": "canbo.moi", "role": "officer", "password": "mat-khau-moi-123"}
    refused = client.post("/api/v1/staff/users", json=new_user)
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    assert client.cookies.get(CSRF_COOKIE) == body["csrf_token"]
    accepted = client.post("/api/v1/staff/users", json=new_user, headers={"X-CSRF-Token": body["csrf_token"]})
    assert accepted.status_code == 201, accepted.text
    duplicate = client.post("/api/v1/staff/users", json=new_user, headers={"X-CSRF-Token": body["csrf_token"]})
    assert duplicate.status_code == 409 and "đã có người dùng" in duplicate.json()["message"]


def test_weak_password_is_refused_with_reason(client) -> None:
    headers = auth_headers(client, Role.admin)
    response = client.post("/api/v1/staff/users", headers=headers,
                           json={"username": "yeu", "role": "officer", "password": "123"})
    assert response.status_code == 422
    assert "ít nhất 10 ký tự" in response.json()["message"]


def test_expired_session_is_refused(client) -> None:
    token = login(client, make_staff())["access_token"]
    with session_scope() as db:
        db.execute(update(StaffSession).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_logout_ends_the_session(client) -> None:
    token = login(client, make_staff())["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_deactivated_user_cannot_log_in(client) -> None:
    admin = auth_headers(client, Role.admin)
    username = make_staff()
    users = client.get("/api/v1/staff/users", headers=admin).json()
    user_id = next(u["id"] for u in users if u["username"] == username)
    assert client.post(f"/api/v1/staff/users/{user_id}/deactivate", headers=admin).status_code == 200
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 401


def test_five_wrong_passwords_get_429_with_retry_after_even_for_the_right_one(client) -> None:
    username = make_staff()
    for _ in range(4):
        wrong = client.post("/api/v1/auth/login", json={"username": username, "password": "sai-mat-khau-1"})
        assert wrong.status_code == 401
    locked = client.post("/api/v1/auth/login", json={"username": username, "password": "sai-mat-khau-1"})
    assert locked.status_code == 429 and locked.json()["error"] == "too_many_logins"
    assert int(locked.headers["retry-after"]) == 60
    assert "Bạn đã đăng nhập sai quá nhiều lần" in locked.json()["message"]
    right = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert right.status_code == 429 and 0 < int(right.headers["retry-after"]) <= 60
    with session_scope() as db:
        failures = db.scalars(select(AuditEvent).where(AuditEvent.action == "staff.login_failed",
                                                       AuditEvent.target.is_not(None))).all()
    mine = [f for f in failures if (f.detail or {}).get("username") == username]
    assert len(mine) == 5 and mine[-1].detail and mine[-1].detail["locked_s"] == 60


def test_unknown_usernames_are_throttled_and_audited_too(client) -> None:
    for _ in range(5):
        response = client.post("/api/v1/auth/login", json={"username": "khong-co-ai", "password": "sai-mat-khau-1"})
    assert response.status_code == 429
    with session_scope() as db:
        audited = [e for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "staff.login_failed"))
                   if (e.detail or {}).get("username") == "khong-co-ai"]
    assert len(audited) == 5 and all(e.target is None for e in audited)


def test_twenty_failures_from_one_address_lock_it_for_every_account(client) -> None:
    for n in range(20):
        response = client.post("/api/v1/auth/login", json={"username": f"doan-{n}", "password": "sai-mat-khau-1"})
    assert response.status_code == 429
    right = client.post("/api/v1/auth/login", json={"username": make_staff(), "password": PASSWORD})
    assert right.status_code == 429 and "retry-after" in right.headers


def test_staff_change_their_own_password_and_other_sessions_end(client) -> None:
    username = make_staff()
    first = login(client, username)["access_token"]
    second = login(client, username)["access_token"]
    change = {"current_password": PASSWORD, "new_password": "mat-khau-moi-2027"}
    assert client.post("/api/v1/auth/password", headers={"Authorization": f"Bearer {second}"},
                       json={**change, "current_password": "sai-mat-khau-1"}).status_code == 403
    same = client.post("/api/v1/auth/password", headers={"Authorization": f"Bearer {second}"},
                       json={**change, "new_password": PASSWORD})
    assert same.status_code == 422 and same.json()["error"] == "same_password"
    assert client.post("/api/v1/auth/password", headers={"Authorization": f"Bearer {second}"},
                       json=change).status_code == 204
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    assert client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD}).status_code == 401
    login(client, username, "mat-khau-moi-2027")


def test_after_an_admin_reset_only_the_password_change_is_allowed(client) -> None:
    admin_name, username = make_staff(Role.admin), make_staff()
    with session_scope() as db:  # what the console's user page does (api/console/admin_users_pages.py)
        admin = db.scalar(select(StaffUser).where(StaffUser.username == admin_name))
        user = db.scalar(select(StaffUser).where(StaffUser.username == username))
        assert admin is not None and user is not None
        staff.reset_password(db, admin, user, "mat-khau-tam-2026", keep_session=0)
    body = login(client, username, "mat-khau-tam-2026")
    assert body["user"]["must_change_password"] is True
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    refused = client.get("/api/v1/handoffs/queue", headers=headers)
    assert refused.status_code == 403 and refused.json()["error"] == "password_change_required"
    assert client.post("/api/v1/auth/password", headers=headers, json={
        "current_password": "mat-khau-tam-2026", "new_password": "mat-khau-rieng-2027"}).status_code == 204
    assert client.get("/api/v1/handoffs/queue", headers=headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers=headers).json()["must_change_password"] is False
