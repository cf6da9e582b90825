"""Staff login throttling, with the `limits` library (in memory, or in Redis shared by every replica).

Failed logins are counted per account (5) and per client address (20) in a moving 15-minute window, unknown
usernames included. When a count reaches its limit the key is locked: 1 minute the first time, and each failure
right after a lock (the window still full) locks it again for twice as long, up to 15 minutes; a key that stays
quiet for 15 minutes after its lock starts again from 1 minute. There is no permanent lock. A locked key is refused
before any password is checked (no argon2 work), so guessing costs the server nothing while it waits.

Synchronous on purpose: the login routes run in worker threads (argon2 is CPU work).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItemPerMinute
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.core.rate_limits import NAMESPACE

WINDOW_MINUTES = 15
FIRST_LOCK_S = 60
MAX_LOCK_S = WINDOW_MINUTES * 60


@dataclass(frozen=True)
class Refusal:
    retry_after: int  # seconds until the next attempt is checked

    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after / 60))
        return (f"Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút "
                "hoặc nhờ quản trị viên đặt lại mật khẩu.")


def lock_seconds(level: int) -> int:
    """The n-th lock in a row lasts 1, 2, 4, 8 … minutes, never more than 15."""
    return min(FIRST_LOCK_S * 2 ** max(level - 1, 0), MAX_LOCK_S)


class LoginThrottle:
    def __init__(self, redis_url: str = "", *, per_account: int = 5, per_address: int = 20) -> None:
        uri = redis_url or "memory://"  # the synchronous storages (the login routes run in worker threads)
        options: dict[str, str] = {"key_prefix": NAMESPACE} if redis_url else {}
        self.storage = cast(Storage, storage_from_string(uri, **options))
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.account = RateLimitItemPerMinute(per_account, WINDOW_MINUTES, namespace="login-account")
        self.address = RateLimitItemPerMinute(per_address, WINDOW_MINUTES, namespace="login-address")

    @staticmethod
    def _keys(username: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("account", username.strip().lower()[:64])]
        if address:
            keys.append(("address", address))
        return keys

    def refused(self, username: str, address: str | None) -> Refusal | None:
        """Whether this attempt must wait (either its account or its address is locked)."""
        now = time.time()
        waits = [math.ceil(self.storage.get_expiry(f"login-lock/{kind}/{key}") - now)
                 for kind, key in self._keys(username, address)
                 if self.storage.get(f"login-lock/{kind}/{key}") > 0]
        return Refusal(max(1, max(waits))) if waits else None

    def failed(self, username: str, address: str | None) -> Refusal | None:
        """Count a failed attempt; the lock it started, if any."""
        locks = []
        for kind, key in self._keys(username, address):
            item = self.account if kind == "account" else self.address
            counted = self.limiter.hit(item, key)
            if not counted or self.limiter.get_window_stats(item, key).remaining == 0:
                locks.append(self._lock(kind, key))
        return Refusal(max(locks)) if locks else None

    def succeeded(self, username: str) -> None:
        """The right password: the account's failures are forgotten (its address's are not)."""
        key = username.strip().lower()[:64]
        self.limiter.clear(self.account, key)
        self.storage.clear(f"login-level/account/{key}")

    def _lock(self, kind: str, key: str) -> int:
        level_key = f"login-level/{kind}/{key}"
        level = self.storage.get(level_key) + 1
        seconds = lock_seconds(level)
        # the level is remembered while the lock lasts and 15 minutes after it
        self.storage.clear(level_key)
        self.storage.incr(level_key, seconds + MAX_LOCK_S, amount=level)
        lock_key = f"login-lock/{kind}/{key}"
        self.storage.clear(lock_key)
        self.storage.incr(lock_key, seconds)
        return seconds
