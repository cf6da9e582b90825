"""Staff accounts and login sessions (no FastAPI here: used by routes and the CLI)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.core import security
from api.core.errors import AppError
from api.db.models import AuditEvent, Role, StaffSession, StaffUser, utcnow


@dataclass(frozen=True)
class IssuedSession:
    token: str
    csrf_token: str
    expires_at: dt.datetime
    user: StaffUser


def create_user(db: Session, *, username: str, full_name: str, role: Role, password: str,
                actor_id: int | None = None) -> StaffUser:
    username = username.strip().lower()
    if not username or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        raise AppError(422, "invalid_username", "Tên đăng nhập chỉ gồm chữ không dấu, số, dấu chấm, gạch dưới.")
    if problem := security.password_problem(password):
        raise AppError(422, "weak_password", problem)
    if db.scalar(select(StaffUser).where(StaffUser.username == username)):
        raise AppError(409, "username_taken", f"Tên đăng nhập '{username}' đã có người dùng.")
    user = StaffUser(username=username, full_name=full_name.strip() or username, role=role,
                     password_hash=security.hash_password(password))
    db.add(user)
    db.flush()
    record(db, actor_id, "staff.create", f"staff_user:{user.id}", {"username": username, "role": role.value})
    return user


def authenticate(db: Session, username: str, password: str) -> StaffUser | None:
    user = db.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()))
    if user is None:
        security.hash_password(password)  # same cost whether or not the user exists
        return None
    if not user.is_active or not security.verify_password(user.password_hash, password):
        return None
    return user


def open_session(db: Session, user: StaffUser, ttl_minutes: int) -> IssuedSession:
    token, csrf = security.new_token(), security.new_token()
    expires_at = utcnow() + dt.timedelta(minutes=ttl_minutes)
    db.add(StaffSession(token_hash=security.token_hash(token), user_id=user.id, csrf_token=csrf, expires_at=expires_at))
    user.last_login_at = utcnow()
    db.execute(delete(StaffSession).where(StaffSession.expires_at < utcnow()))
    record(db, user.id, "staff.login", f"staff_user:{user.id}")
    return IssuedSession(token=token, csrf_token=csrf, expires_at=expires_at, user=user)


def resolve_session(db: Session, token: str) -> StaffSession | None:
    found = db.scalar(select(StaffSession).where(StaffSession.token_hash == security.token_hash(token)))
    if found is None or security.as_utc(found.expires_at) <= utcnow() or not found.user.is_active:
        return None
    return found


def close_session(db: Session, token: str) -> None:
    db.execute(delete(StaffSession).where(StaffSession.token_hash == security.token_hash(token)))


def record(db: Session, actor_id: int | None, action: str, target: str | None = None,
           detail: dict | None = None) -> None:
    db.add(AuditEvent(actor_id=actor_id, action=action, target=target, detail=detail))
