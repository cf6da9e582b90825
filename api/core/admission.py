"""Admission control: at most `limit` turns in flight in this process; the rest wait their turn, first come first
served, for a bounded time. Past that the caller tells the citizen that many people are asking (the message is
kept and answered later) instead of piling work onto Rasa until everything times out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class Admission:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)  # FIFO: waiters are woken in the order they came
        self.waiting = 0

    @property
    def in_flight(self) -> int:
        return self.limit - self._slots._value  # a gauge (asyncio keeps the count privately)

    @contextlib.asynccontextmanager
    async def slot(self, wait: float | None) -> AsyncIterator[bool]:
        """Yields True with a place held (released on exit), or False if none freed within `wait` seconds
        (None: wait as long as it takes)."""
        self.waiting += 1
        try:
            if wait is None:
                await self._slots.acquire()
            else:
                await asyncio.wait_for(self._slots.acquire(), timeout=max(wait, 0.001))
        except TimeoutError:
            self.waiting -= 1
            yield False
            return
        self.waiting -= 1
        try:
            yield True
        finally:
            self._slots.release()
