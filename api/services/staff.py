"""Staff accounts and login sessions, and the rules of managing them (no FastAPI here: the REST API, the console and
the CLI all call these). An admin cannot lock out or demote themself; there is never zero active admins; locking an
account or resetting its password signs it out at once; every change is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from api.core import security
from api.core.errors import AppError
from api.core.login_throttle import LoginThrottle
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
    # a password an admin chose is known to them: the new member changes it at the first login (not so from the CLI,
    # where the member sets their own)
    user = StaffUser(username=username, full_name=full_name.strip() or username, role=role,
                     password_hash=security.hash_password(password), must_change_password=actor_id is not None)
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


class LoginRefused(AppError):
    """Wrong credentials (401) or too many failures (429 with Retry-After), in plain Vietnamese."""


BAD_CREDENTIALS = "Sai tên đăng nhập hoặc mật khẩu."


def login(db: Session, throttle: LoginThrottle, username: str, password: str, address: str | None) -> StaffUser:
    """A throttled login: the user, or LoginRefused. A locked account or address is refused before any password is
    checked; every failure and every lock is audited (committed even though the request fails)."""
    if waiting := throttle.refused(username, address):
        raise LoginRefused(429, "too_many_logins", waiting.message(), headers={"Retry-After": str(waiting.retry_after)})
    user = authenticate(db, username, password) if username and password else None
    if user is not None:
        throttle.succeeded(username)
        return user
    locked = throttle.failed(username, address)
    known = db.scalar(select(StaffUser.id).where(StaffUser.username == username.strip().lower()))
    detail: dict[str, object] = {"username": username.strip().lower()[:64], "address": address or ""}
    if locked:
        detail["locked_s"] = locked.retry_after
    record(db, None, "staff.login_failed", f"staff_user:{known}" if known else None, detail)
    db.commit()
    if locked:
        raise LoginRefused(429, "too_many_logins", locked.message(), headers={"Retry-After": str(locked.retry_after)})
    raise LoginRefused(401, "bad_credentials", BAD_CREDENTIALS)


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


def get_user(db: Session, user_id: int) -> StaffUser:
    user = db.get(StaffUser, user_id)
    if user is None:
        raise AppError(404, "not_found", f"Không có tài khoản số {user_id}.")
    return user


def active_admins(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(StaffUser)
                     .where(StaffUser.role == Role.admin, StaffUser.is_active.is_(True))) or 0


def active_officers(db: Session, exclude: int | None = None) -> list[StaffUser]:
    """Who can take a conversation: active officers and admins, by name (without `exclude`)."""
    query = select(StaffUser).where(StaffUser.is_active.is_(True), StaffUser.role.in_((Role.officer, Role.admin)))
    return [u for u in db.scalars(query.order_by(StaffUser.full_name, StaffUser.id)) if u.id != exclude]


def _keep_an_admin(db: Session, user: StaffUser) -> None:
    if user.role == Role.admin and user.is_active and active_admins(db) <= 1:
        raise AppError(409, "last_admin", "Đây là quản trị viên cuối cùng còn hoạt động; hãy tạo hoặc mở khoá "
                                          "một quản trị viên khác trước.")


def change_role(db: Session, admin: StaffUser, user: StaffUser, role: Role) -> None:
    if user.id == admin.id:
        raise AppError(409, "self_role", "Bạn không thể tự đổi vai trò của mình; hãy nhờ một quản trị viên khác.")
    if role == user.role:
        return
    if role != Role.admin:
        _keep_an_admin(db, user)
    record(db, admin.id, "staff.role", f"staff_user:{user.id}", {"from": user.role.value, "to": role.value})
    user.role = role


def set_active(db: Session, admin: StaffUser, user: StaffUser, active: bool) -> None:
    """Lock (signed out everywhere at once) or unlock an account."""
    if user.id == admin.id:
        raise AppError(409, "self_deactivate", "Bạn không thể tự khoá tài khoản của chính mình.")
    if active == user.is_active:
        return
    if not active:
        _keep_an_admin(db, user)
        db.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    user.is_active = active
    record(db, admin.id, "staff.reactivate" if active else "staff.deactivate", f"staff_user:{user.id}")


def reset_password(db: Session, admin: StaffUser, user: StaffUser, password: str, keep_session: int) -> None:
    """A new password set by an admin; the account is signed out of every other session."""
    if problem := security.password_problem(password):
        raise AppError(422, "weak_password", problem)
    user.password_hash = security.hash_password(password)
    user.must_change_password = user.id != admin.id  # a password someone else knows is changed at the next login
    db.execute(delete(StaffSession).where(StaffSession.user_id == user.id, StaffSession.id != keep_session))
    record(db, admin.id, "staff.password_reset", f"staff_user:{user.id}")


MUST_CHANGE = "Quản trị viên vừa đặt lại mật khẩu của bạn: bạn cần đổi mật khẩu trước khi tiếp tục."


def change_own_password(db: Session, throttle: LoginThrottle, found: StaffSession, current: str, new: str,
                        address: str | None) -> None:
    """A staff member changes their own password: the current one is checked (throttled like a login), the new one
    must be acceptable and different; every other session of the account ends; audited."""
    user = found.user
    if waiting := throttle.refused(user.username, address):
        raise LoginRefused(429, "too_many_logins", waiting.message(), headers={"Retry-After": str(waiting.retry_after)})
    if not security.verify_password(user.password_hash, current):
        locked = throttle.failed(user.username, address)
        record(db, user.id, "staff.password_change_failed", f"staff_user:{user.id}", {"address": address or ""})
        db.commit()
        if locked:
            raise LoginRefused(429, "too_many_logins", locked.message(),
                               headers={"Retry-After": str(locked.retry_after)})
        raise AppError(403, "wrong_password", "Mật khẩu hiện tại không đúng.")
    if new == current:
        raise AppError(422, "same_password", "Mật khẩu mới phải khác mật khẩu hiện tại.")
    if problem := security.password_problem(new):
        raise AppError(422, "weak_password", problem)
    user.password_hash = security.hash_password(new)
    user.must_change_password = False
    db.execute(delete(StaffSession).where(StaffSession.user_id == user.id, StaffSession.id != found.id))
    record(db, user.id, "staff.password_change", f"staff_user:{user.id}")
