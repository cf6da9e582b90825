"""Officer and system messages, and bot answers the backlog gave after a busy notice, pushed to Zalo citizens.

Like Telegram's pusher: a background task woken by the event bus; each unpushed message of a Zalo conversation is
locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas never send one twice), sent, and marked `pushed_at` in
the same transaction, in order within a conversation. Zalo's rules come first: a message for a citizen outside
their 48-hour window, out of the 8 messages, or who unfollowed, is left unpushed (the console shows it as waiting
for the citizen) and goes out when the citizen next writes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from api.channels.push_loop import PushLoop, unpushed
from api.channels.zalo import sending
from api.channels.zalo.api import GONE, ZaloError
from api.channels.zalo.formatting import masked, messages, push_text
from api.db.base import session_scope
from api.db.models import Conversation, Message, StaffUser, ZaloUser, utcnow
from api.services import conversations

log = logging.getLogger(__name__)

CHANNEL = "zalo"
PUSH_BATCH = 200
RETRY_MAX_SECONDS = 60.0

# send(user_id, zalo messages, reply-to message id) sends them all, in a worker thread
Send = Callable[[str, list[dict[str, Any]], str], None]



class Pusher(PushLoop):
    channel = CHANNEL

    def __init__(self, send: Send, executor: ThreadPoolExecutor, retry_base_seconds: float = 1.0) -> None:
        self._send, self._executor, self.retry_base = send, executor, retry_base_seconds
        self._lock = asyncio.Lock()
        self._backoff: dict[str, tuple[int, float]] = {}  # user → (failures, monotonic time of the next try)

    async def push_pending(self) -> int:
        """Send what may be sent now; returns how many messages were sent."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            rows = await loop.run_in_executor(self._executor, self._pending)
            sent = 0
            for message_id, user_id in rows:
                failures, retry_at = self._backoff.get(user_id, (0, 0.0))
                if retry_at > time.monotonic():
                    continue
                try:
                    outcome = await asyncio.shield(loop.run_in_executor(self._executor, self._push_one, message_id))
                except ZaloError as error:  # transient (permanent refusals are handled in _push_one)
                    delay = min(self.retry_base * 2 ** failures, RETRY_MAX_SECONDS)
                    self._backoff[user_id] = (failures + 1, time.monotonic() + delay)
                    log.warning("zalo: push failed, will retry", extra={
                        "message_id": message_id, "user": masked(user_id), "error": str(error), "in_s": delay})
                    continue
                self._backoff.pop(user_id, None)
                sent += outcome == "sent"
            return sent

    def _pending(self) -> list[tuple[int, str]]:
        """(message id, Zalo user id) of unpushed messages to citizens who may be written to now, oldest first."""
        with session_scope() as db:
            rows = db.execute(select(Message.id, Conversation.user_id)
                              .join(Conversation, Conversation.id == Message.conversation_id)
                              .join(ZaloUser, ZaloUser.user_id == Conversation.user_id)
                              .where(Conversation.channel == CHANNEL, sending.sendable(), *unpushed(Message))
                              .order_by(Message.id).limit(PUSH_BATCH)).all()
        return [(message_id, user_id) for message_id, user_id in rows]

    def _push_one(self, message_id: int) -> str:
        """In a worker thread: lock the row, take the slots, send, mark it pushed; one transaction."""
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
            parts = messages(push_text(conversations.view(message, officer_name)), message.buttons, message.id)
            if not parts:
                message.pushed_at = utcnow()
                return "empty"
            slots = sending.Slots(user_id, len(parts))
            reply_to = slots.take()
            if reply_to is None:
                return "waiting"  # outside Zalo's window or out of messages: sent when the citizen writes
            try:
                self._send(user_id, parts, reply_to)
            except ZaloError as error:
                slots.give_back(gone=error.code in GONE)
                if error.transient:
                    raise
                if error.code in GONE:
                    log.info("zalo: citizen cannot be written to now; waiting", extra={
                        "message_id": message_id, "user": masked(user_id), "error": str(error)})
                    return "waiting"
                log.warning("zalo: push refused, message dropped", extra={
                    "message_id": message_id, "user": masked(user_id), "error": str(error)})
                message.pushed_at = utcnow()
                return "dropped"
            except Exception:
                slots.give_back(gone=False)
                raise
            message.pushed_at = utcnow()
            return "sent"
