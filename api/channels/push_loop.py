"""What the channels' pushers share (Telegram, Zalo): which messages are still to push, and the loop that pushes them
until it is cancelled. Each channel's pusher keeps its own rules for sending and for failures."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from api.db.models import MessageAuthor, utcnow
from api.services import events

PUSH_WINDOW = dt.timedelta(days=7)  # older unpushed messages are not sent any more
PUSH_WAKE_SECONDS = 5.0  # a pusher re-reads the database at least this often


def unpushed(message: Any) -> list[Any]:
    """Conditions of a message still to push (on `Message` or an alias of it): officer and system messages, and bot
    answers given later by the backlog (answers in the reply to a message are stored as delivered)."""
    return [message.pushed_at.is_(None), message.author != MessageAuthor.citizen,
            message.created_at >= utcnow() - PUSH_WINDOW]


class PushLoop:
    """A push round, then sleep until messages are committed, a back-off ends or `PUSH_WAKE_SECONDS` pass."""

    channel: str
    _backoff: dict[Any, tuple[int, float]]  # recipient → (failures, monotonic time of the next try)

    async def push_pending(self) -> int:
        raise NotImplementedError

    async def run(self) -> None:
        log = logging.getLogger(type(self).__module__)
        while True:
            try:
                await self.push_pending()
            except Exception:  # CancelledError is not an Exception: a stop goes through
                log.exception("%s: push round failed", self.channel)
            now = time.monotonic()
            wake = min([PUSH_WAKE_SECONDS, *(at - now for _, at in self._backoff.values())])
            await events.get_bus().wait([events.MESSAGES], timeout=max(wake, 0.05))
