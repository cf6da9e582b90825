"""A sliding-window rate limiter per client (in memory: one app process; the scaled mode puts a
limiter at the load balancer or swaps this for Redis)."""

from __future__ import annotations

import threading
import time
from collections import deque

from fastapi import Request

from api.core.errors import AppError


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float = 60.0, max_clients: int = 100_000) -> None:
        self.limit, self.window, self.max_clients = limit, window_seconds, max_clients
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._hits) >= self.max_clients and key not in self._hits:
                self._forget_idle(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]

    def check(self, request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        if not self.allow(client):
            raise AppError(429, "rate_limited",
                           "Bạn tra cứu quá nhiều lần trong một phút, vui lòng thử lại sau ít phút.")
