"""Wake-up signals between the parts of the app: "conversation 12 has a new message", "the queue changed".

The database stays the one source of truth: a signal carries no data, it only tells a waiting consumer
(the widget's WebSocket, the console's live updates, the Telegram pusher) to read the database again
after the cursor it already has. A lost signal therefore costs latency, never a message; consumers also
re-read on a timeout.

Topics:
- `conv:{id}`  a message was stored in conversation `id` (published automatically on commit)
- `messages`   any message was stored (for channel pushers)
- `handoffs`   a handoff was opened or changed state (the officers' queue)
- `turns`      a citizen message waits for the backlog (the busy notice was given)
- `kb`         what the bot knows changed (publish, import, archive, rollback): every replica reloads its index

One process: an in-memory bus. Several app replicas: `REDIS_URL` set → the same signals through Redis
pub/sub, so a message stored by one replica wakes the WebSocket held by another.
Signals are published only after the transaction that stored the change commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

QUEUE = "handoffs"
MESSAGES = "messages"
TURNS = "turns"
KB = "kb"
_PENDING = "pending_topics"
_CHANNEL_PREFIX = "tlhc:events:"


def conversation_topic(conversation_id: int) -> str:
    return f"conv:{conversation_id}"


class EventBus:
    """In-process bus. `publish` may be called from any thread; `wait` from an event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def publish(self, *topics: str) -> None:
        self._deliver(topics)

    def _deliver(self, topics: Iterable[str]) -> None:
        with self._lock:
            targets = [waiter for topic in topics for waiter in self._waiters.get(topic, ())]
        for loop, flag in targets:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(flag.set)

    async def wait(self, topics: Iterable[str], timeout: float) -> bool:
        """Wait until one of the topics is published or the timeout passes; True if signalled."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        names = list(topics)
        with self._lock:
            for name in names:
                self._waiters.setdefault(name, set()).add(waiter)
        try:
            await asyncio.wait_for(waiter[1].wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                for name in names:
                    group = self._waiters.get(name)
                    if group is not None:
                        group.discard(waiter)
                        if not group:
                            del self._waiters[name]

    async def start(self) -> None:
        """Start listening to other replicas (nothing to do in one process)."""

    async def close(self) -> None:
        """Stop listening."""


class RedisEventBus(EventBus):
    """The same signals shared by all app replicas through Redis pub/sub."""

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis
        import redis.asyncio as aioredis

        self._url = url
        self._publisher = redis.Redis.from_url(url)
        self._subscriber: Any = aioredis.Redis.from_url(url)
        self._task: asyncio.Task[None] | None = None

    def publish(self, *topics: str) -> None:
        try:
            with self._publisher.pipeline(transaction=False) as pipe:
                for topic in topics:
                    pipe.publish(_CHANNEL_PREFIX + topic, b"1")
                pipe.execute()
        except Exception:  # Redis down: wake local consumers at least; others catch up on their timeout
            log.warning("redis publish failed; local consumers only", exc_info=True)
            self._deliver(topics)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="redis-events")

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self._subscriber.pubsub()
                await pubsub.psubscribe(_CHANNEL_PREFIX + "*")
                async for item in pubsub.listen():
                    if item.get("type") == "pmessage":
                        channel = item["channel"].decode() if isinstance(item["channel"], bytes) else item["channel"]
                        self._deliver([channel.removeprefix(_CHANNEL_PREFIX)])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("redis subscription lost; retrying in 2 s", exc_info=True)
                await asyncio.sleep(2)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._subscriber.aclose()
        self._publisher.close()


_bus: EventBus = EventBus()


def get_bus() -> EventBus:
    return _bus


def install(bus: EventBus) -> None:
    """Make `bus` the one that commits publish to (the app does this at startup)."""
    global _bus
    _bus = bus


def make_bus(redis_url: str) -> EventBus:
    return RedisEventBus(redis_url) if redis_url else EventBus()


def after_commit(db: Session, *topics: str) -> None:
    """Publish these topics once the session's current transaction commits (dropped on rollback)."""
    db.info.setdefault(_PENDING, set()).update(topics)


@event.listens_for(Session, "after_flush")
def _collect_new_messages(db: Session, _context: Any) -> None:
    from api.db.models import Handoff, Message

    for obj in db.new:
        if isinstance(obj, Message):
            after_commit(db, conversation_topic(obj.conversation_id), MESSAGES)
        elif isinstance(obj, Handoff):
            after_commit(db, QUEUE, conversation_topic(obj.conversation_id))
    for obj in db.dirty:
        if isinstance(obj, Handoff):
            after_commit(db, QUEUE)


@event.listens_for(Session, "after_commit")
def _publish_pending(db: Session) -> None:
    topics = db.info.pop(_PENDING, None)
    if topics:
        _bus.publish(*sorted(topics))


@event.listens_for(Session, "after_rollback")
def _drop_pending(db: Session) -> None:
    db.info.pop(_PENDING, None)
