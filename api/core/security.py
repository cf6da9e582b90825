"""Password hashing and session tokens: pure functions, no I/O."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Each argon2 hash or verification takes 64 MiB and a core for a moment: at most two at once per process, so
# parallel guessing (or many logins at 8 o'clock) queues instead of exhausting memory.
MAX_HASHES_AT_ONCE = 2
_hashing = threading.BoundedSemaphore(MAX_HASHES_AT_ONCE)

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    with _hashing:
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _hashing:
            return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, in plain words; None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự."
    if password.isdigit() or password.isalpha():
        return "Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt."
    return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
