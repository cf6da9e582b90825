"""Factories for staff accounts, logged in through the real login route."""

from __future__ import annotations

import uuid

from api.db.base import session_scope
from api.db.models import Role
from api.services.staff import create_user

PASSWORD = "mat-khau-2026!"


def make_staff(role: Role = Role.officer) -> str:
    username = f"{role.value}-{uuid.uuid4().hex[:8]}"
    with session_scope() as db:
        create_user(db, username=username, full_name=f"Cán bộ {username}", role=role, password=PASSWORD)
    return username


def login(client, username: str, password: str = PASSWORD) -> dict:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def auth_headers(client, role: Role = Role.officer) -> dict[str, str]:  # type: ignore[no-untyped-def]
    token = login(client, make_staff(role))["access_token"]
    return {"Authorization": f"Bearer {token}"}
