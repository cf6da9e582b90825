"""Officer and system messages, and bot answers the backlog gave after a busy notice, pushed to Telegram chats.

A background task woken by the event bus: each unpushed message of a Telegram conversation is locked (`FOR UPDATE
SKIP LOCKED` on PostgreSQL, so replicas never send one twice), sent, and marked `pushed_at` in the same
transaction, in order within a chat. A crash mid-send leaves it unmarked: it is sent again after the restart (at
least once). A permanent refusal (the citizen blocked the bot) marks it and is logged; network errors and 429/5xx
are retried with back-off per chat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from api.channels.push_loop import PushLoop, unpushed
from api.channels.telegram.formatting import describe, masked, push_text, seconds
from api.db.base import session_scope
from api.db.models import Conversation, Message, StaffUser, utcnow
from api.services import conversations

log = logging.getLogger(__name__)

CHANNEL = "telegram"
PUSH_SWEEP_SECONDS = 60.0  # and sweeps the whole window this often (late commits, retries)
PUSH_BATCH = 200
PUSH_SEND_TIMEOUT = 60.0
RETRY_MAX_SECONDS = 60.0

# a coroutine function: run_coroutine_threadsafe takes a coroutine, not any awaitable
Send = Callable[[int, str, "list[dict[str, Any]] | None", "int | None"], Coroutine[Any, Any, None]]



class _Transient(Exception):
    def __init__(self, delay: float | None, reason: str) -> None:
        super().__init__(reason)
        self.delay, self.reason = delay, reason


class Pusher(PushLoop):
    """`send(chat_id, text, buttons, message_id)` delivers one message (split, keyboard, retries)."""

    channel = CHANNEL

    def __init__(self, send: Send, executor: ThreadPoolExecutor, retry_base_seconds: float = 1.0) -> None:
        self._send, self._executor, self.retry_base = send, executor, retry_base_seconds
        self._lock = asyncio.Lock()
        self._inflight: asyncio.Future[str] | None = None
        self._cursor = 0  # every message id up to this one has been looked at
        self._next_sweep = 0.0
        self._retry_ids: set[int] = set()
        self._backoff: dict[int, tuple[int, float]] = {}  # chat → (failures, monotonic time of the next try)

    async def finish_inflight(self) -> None:
        """Let a push under way finish (a stop never leaves a message half sent)."""
        if self._inflight is not None and not self._inflight.done():
            await asyncio.wait([self._inflight], timeout=PUSH_SEND_TIMEOUT)

    async def push_pending(self) -> int:
        """Send the unpushed officer and system messages of Telegram conversations; returns how many were sent."""
        async with self._lock:
            full = time.monotonic() >= self._next_sweep
            rows, top = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._pending, None if full else self._cursor, frozenset(self._retry_ids))
            if len(rows) < PUSH_BATCH:  # everything up to `top` has been looked at
                self._cursor = max(self._cursor, top)
                if full:
                    self._next_sweep = time.monotonic() + PUSH_SWEEP_SECONDS
            sent = 0
            for message_id, chat_id in rows:
                failures, retry_at = self._backoff.get(chat_id, (0, 0.0))
                if retry_at > time.monotonic():
                    continue
                loop = asyncio.get_running_loop()
                self._inflight = loop.run_in_executor(self._executor, self._push_one, message_id, loop)
                try:
                    outcome = await asyncio.shield(self._inflight)  # a stop waits for it: no half-done push
                except _Transient as error:
                    delay = error.delay or min(self.retry_base * 2 ** failures, RETRY_MAX_SECONDS)
                    self._backoff[chat_id] = (failures + 1, time.monotonic() + delay)
                    self._retry_ids.add(message_id)
                    log.warning("telegram: push failed, will retry", extra={
                        "message_id": message_id, "chat": masked(chat_id), "error": error.reason, "in_s": delay})
                    continue
                self._backoff.pop(chat_id, None)
                self._retry_ids.discard(message_id)
                sent += outcome == "sent"
            return sent

    def _pending(self, after: int | None, retry_ids: frozenset[int]) -> tuple[list[tuple[int, int]], int]:
        """(message id, chat id) of the messages to push, oldest first, and the highest message id now.
        Usually only ids after the cursor are read (cheap); a full sweep of the window (`after` None) now and
        then finds messages committed out of id order."""
        with session_scope() as db:
            top = db.scalar(select(func.max(Message.id))) or 0
            query = (select(Message.id, Conversation.user_id)
                     .join(Conversation, Conversation.id == Message.conversation_id)
                     .where(Conversation.channel == CHANNEL, *unpushed(Message)))
            if after is not None:
                query = query.where(or_(Message.id > after, Message.id.in_(retry_ids)))
            rows = db.execute(query.order_by(Message.id).limit(PUSH_BATCH)).all()
        return [(message_id, int(user_id)) for message_id, user_id in rows if user_id.lstrip("-").isdigit()], top

    def _push_one(self, message_id: int, loop: asyncio.AbstractEventLoop) -> str:
        """In a worker thread: lock the row, send it on the event loop, mark it pushed; one transaction."""
        with session_scope() as db:
            earlier = aliased(Message)
            before = (select(earlier.id).where(earlier.conversation_id == Message.conversation_id,
                                               earlier.id < Message.id, *unpushed(earlier)))
            row = db.execute(select(Message, Conversation.user_id, StaffUser.full_name)
                             .join(Conversation, Conversation.id == Message.conversation_id)
                             .outerjoin(StaffUser, StaffUser.id == Message.staff_id)
                             .where(Message.id == message_id, Message.pushed_at.is_(None), ~before.exists())
                             .with_for_update(skip_locked=True, of=Message)).first()
            if row is None:  # pushed or being pushed by another replica, or an earlier one must go first
                return "taken"
            message, user_id, officer_name = row
            chat_id = int(user_id)
            future = asyncio.run_coroutine_threadsafe(
                self._send(chat_id, push_text(conversations.view(message, officer_name)), message.buttons, message.id),
                loop)
            outcome = "sent"
            try:
                future.result(timeout=PUSH_SEND_TIMEOUT)
            except (BadRequest, Forbidden, ChatMigrated) as error:  # will never work: mark it, tell the logs
                log.warning("telegram: push refused, message dropped", extra={
                    "message_id": message_id, "chat": masked(chat_id),
                    "error": describe(error)})
                outcome = "dropped"
            except RetryAfter as error:
                raise _Transient(seconds(error.retry_after), "RetryAfter") from error
            except (TelegramError, TimeoutError) as error:
                future.cancel()
                raise _Transient(None, error.__class__.__name__) from error
            message.pushed_at = utcnow()
            return outcome
