"""Login throttling: limits per account and per address, locks that double up to 15 minutes, at most two argon2
computations at once."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
from argon2 import PasswordHasher

from api.core import security
from api.core.login_throttle import LoginThrottle, lock_seconds


def test_locks_double_up_to_fifteen_minutes() -> None:
    assert [lock_seconds(n) for n in range(1, 8)] == [60, 120, 240, 480, 900, 900, 900]


def test_five_failures_lock_the_account_whatever_the_address() -> None:
    throttle = LoginThrottle()
    for attempt in range(4):
        assert throttle.refused("lan", f"10.0.0.{attempt}") is None
        assert throttle.failed("lan", f"10.0.0.{attempt}") is None
    locked = throttle.failed("LAN ", "10.0.0.9")  # the same account however it is typed
    assert locked is not None and locked.retry_after == 60
    refused = throttle.refused("lan", "10.0.0.10")
    assert refused is not None and 55 <= refused.retry_after <= 60
    assert "thử lại sau 1 phút" in refused.message()
    assert throttle.refused("minh", "10.0.0.10") is None  # another account from a fresh address is not held


def test_a_failure_right_after_a_lock_locks_twice_as_long() -> None:
    throttle = LoginThrottle()
    for _ in range(5):
        throttle.failed("lan", None)
    for expected in (120, 240, 480, 900, 900):
        throttle.storage.clear("login-lock/account/lan")  # the lock ran out; the window still holds the failures
        assert throttle.refused("lan", None) is None
        locked = throttle.failed("lan", None)
        assert locked is not None and locked.retry_after == expected


def test_success_forgets_the_account_failures_not_the_address() -> None:
    throttle = LoginThrottle()
    for _ in range(4):
        throttle.failed("lan", "10.0.0.1")
    throttle.succeeded("lan")
    for _ in range(4):
        assert throttle.failed("lan", "10.0.0.1") is None
    assert throttle.limiter.get_window_stats(throttle.address, "10.0.0.1").remaining == 12


def test_twenty_failures_lock_the_address_for_every_account() -> None:
    throttle = LoginThrottle()
    results = [throttle.failed(f"user{n}", "10.0.0.1") for n in range(20)]
    assert all(r is None for r in results[:19]) and results[19] is not None
    assert throttle.refused("someone-else", "10.0.0.1") is not None
    assert throttle.refused("someone-else", "10.0.0.2") is None


def test_at_most_two_argon2_computations_at_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    running, peak, guard = 0, 0, threading.Lock()

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            nonlocal running, peak
            with guard:
                running += 1
                peak = max(peak, running)
            try:
                time.sleep(0.05)
                return super().verify(hash, password)
            finally:
                with guard:
                    running -= 1

    stored = security.hash_password("mat-khau-2026!")
    monkeypatch.setattr(security, "_hasher", Counting())
    threads = [threading.Thread(target=security.verify_password, args=(stored, f"sai-{n}")) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == security.MAX_HASHES_AT_ONCE == 2


def test_replicas_share_the_counts_through_redis() -> None:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
    first, second = LoginThrottle(url), LoginThrottle(url)
    name = f"lan-{uuid.uuid4().hex[:8]}"
    try:
        first.storage.check() or pytest.skip(f"no Redis at {url}")
    except Exception as error:  # noqa: BLE001
        pytest.skip(f"no Redis at {url}: {error.__class__.__name__}")
    for _ in range(4):
        first.failed(name, None)
    locked = second.failed(name, None)  # another replica sees the first one's failures
    assert locked is not None and locked.retry_after == 60
    assert first.refused(name, None) is not None
    first.storage.clear(f"login-lock/account/{name}")
    first.storage.clear(f"login-level/account/{name}")
    first.succeeded(name)
