"""The backlog: citizen messages that got the busy notice are answered here, oldest first, as places among the
turns in flight free up; and a turn left pending by a process that died is taken up again.

Each app process runs a few workers. A worker claims one message with a compare-and-set UPDATE (so two replicas
never answer the same message), and only the oldest pending message of its conversation (so a conversation's
messages are answered in order). The answer is stored; channels deliver it (the widget and REST clients read it
after their cursor, the Telegram pusher sends it).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import aliased
from starlette.concurrency import run_in_threadpool

from api.core.config import Settings
from api.db.base import rows_changed, session_scope
from api.db.models import Conversation, ConversationMode, Message, TurnState, utcnow
from api.services import events
from api.services.gateway import (
    PENDING,
    Gateway,
    Stored,
    finish_turn,
    hand_over,
    is_handoff_payload,
)

log = logging.getLogger(__name__)

IDLE_WAKE_SECONDS = 5.0  # look again at least this often, signal or not
REQUEUE_EVERY_SECONDS = 30.0  # how often lost turns are looked for


@dataclass
class Claimed:
    stored: Stored
    said: str  # what goes to Rasa: the payload, or the text
    payload: str | None


def stale_before(settings: Settings) -> dt.datetime:
    """A turn still pending from before this was lost with its process (a live turn ends well within it)."""
    return utcnow() - dt.timedelta(seconds=2 * (settings.queue_wait_s + settings.turn_timeout_s) + 30)


def requeue_lost(settings: Settings) -> int:
    """Turns a dead process left queued or running go back to the backlog."""
    cutoff = stale_before(settings)
    with session_scope() as db:
        lost = rows_changed(db, update(Message).where(
            ((Message.turn_state == TurnState.queued) & (Message.created_at < cutoff))
            | ((Message.turn_state == TurnState.running) & (Message.turn_started_at < cutoff)))
            .values(turn_state=TurnState.deferred).execution_options(synchronize_session=False))
        if lost:
            log.warning("turns left pending by a stopped process are answered again", extra={"count": lost})
        return lost


def claim_next() -> Claimed | None:
    """The oldest deferred message that is the first pending one of its conversation, claimed (or None)."""
    with session_scope() as db:
        earlier = aliased(Message)
        first_of_its_conversation = ~select(earlier.id).where(
            earlier.conversation_id == Message.conversation_id, earlier.id < Message.id,
            earlier.turn_state.in_(PENDING)).exists()
        candidates = db.execute(select(Message.id).where(Message.turn_state == TurnState.deferred,
                                                         first_of_its_conversation)
                                .order_by(Message.id).limit(5)).scalars().all()
        for message_id in candidates:
            won = rows_changed(db, update(Message).where(Message.id == message_id,
                                                         Message.turn_state == TurnState.deferred)
                               .values(turn_state=TurnState.running, turn_started_at=utcnow())
                               .execution_options(synchronize_session=False)) == 1
            if not won:  # another replica took it
                continue
            message = db.get(Message, message_id)
            conversation = db.get(Conversation, message.conversation_id) if message else None
            assert message is not None and conversation is not None
            stored = Stored(conversation.id, conversation.rasa_sender, conversation.mode, message.id,
                            state=TurnState.running)
            return Claimed(stored, message.payload or message.text, message.payload)
        return None


def close_without_bot(stored: Stored) -> None:
    """The conversation went to an officer meanwhile: the officer sees the message; the bot stays silent."""
    with session_scope() as db:
        db.execute(update(Message).where(Message.id == stored.message_id).values(turn_state=TurnState.done)
                   .execution_options(synchronize_session=False))


class Backlog:
    def __init__(self, gateway: Gateway, settings: Settings, workers: int) -> None:
        self.gateway, self.settings, self.workers = gateway, settings, workers
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._work(n), name=f"backlog-{n}") for n in range(self.workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _work(self, number: int) -> None:
        next_requeue = 0.0
        while True:
            try:
                if number == 0 and time.monotonic() >= next_requeue:
                    next_requeue = time.monotonic() + REQUEUE_EVERY_SECONDS
                    await run_in_threadpool(requeue_lost, self.settings)
                claimed = await run_in_threadpool(claim_next)
                if claimed is None:
                    await events.get_bus().wait([events.TURNS], IDLE_WAKE_SECONDS)
                    continue
                await self.answer(claimed)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("backlog: a turn failed")
                await asyncio.sleep(1)

    async def answer(self, claimed: Claimed) -> None:
        stored = claimed.stored
        if stored.mode != ConversationMode.bot:
            await run_in_threadpool(close_without_bot, stored)
        elif is_handoff_payload(claimed.payload):
            await run_in_threadpool(hand_over, stored, self.settings, False)
        else:
            async with self.gateway.admission.slot(None):
                replies = await self.gateway.ask_rasa(stored.sender, claimed.said, self.settings.turn_timeout_s)
            await run_in_threadpool(finish_turn, stored, replies, False)
