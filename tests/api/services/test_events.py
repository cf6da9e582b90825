"""Wake-up signals: published only after commit, dropped on rollback, delivered across threads and via Redis."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid

import pytest

from api.db.base import get_sessionmaker
from api.db.models import Conversation, ConversationMode, Message, MessageAuthor
from api.services import events


class Recorder(events.EventBus):
    def __init__(self) -> None:
        super().__init__()
        self.published: list[str] = []

    def publish(self, *topics: str) -> None:
        self.published.extend(topics)
        super().publish(*topics)


@pytest.fixture()
def recorder() -> Recorder:
    previous = events.get_bus()
    bus = Recorder()
    events.install(bus)
    yield bus
    events.install(previous)


def _conversation(db) -> Conversation:
    conversation = Conversation(channel="web", user_id=uuid.uuid4().hex, mode=ConversationMode.bot)
    db.add(conversation)
    db.commit()
    return conversation


def test_a_stored_message_is_signalled_only_after_commit(migrated: None, recorder: Recorder) -> None:
    db = get_sessionmaker()()
    try:
        conversation = _conversation(db)
        recorder.published.clear()
        db.add(Message(conversation_id=conversation.id, author=MessageAuthor.officer, text="Chào bạn"))
        db.flush()
        assert recorder.published == []
        db.commit()
        assert events.conversation_topic(conversation.id) in recorder.published
        assert events.MESSAGES in recorder.published
    finally:
        db.close()


def test_a_rolled_back_message_is_never_signalled(migrated: None, recorder: Recorder) -> None:
    db = get_sessionmaker()()
    try:
        conversation = _conversation(db)
        recorder.published.clear()
        db.add(Message(conversation_id=conversation.id, author=MessageAuthor.officer, text="nháp"))
        db.flush()
        db.rollback()
        db.commit()
        assert recorder.published == []
    finally:
        db.close()


def test_wait_wakes_on_a_publish_from_another_thread() -> None:
    bus = events.EventBus()

    async def scenario() -> tuple[bool, bool]:
        threading.Timer(0.05, bus.publish, args=("conv:1",)).start()
        woke = await bus.wait(["conv:1"], timeout=5)
        other = await bus.wait(["conv:2"], timeout=0.05)
        return woke, other

    assert asyncio.run(scenario()) == (True, False)


def test_redis_bus_reaches_another_replica() -> None:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {url}: {error}")
        pytest.skip(f"no Redis at {url}")

    async def scenario() -> bool:
        receiver, sender = events.RedisEventBus(url), events.RedisEventBus(url)
        await receiver.start()
        try:
            await asyncio.sleep(0.3)  # subscribed
            topic = f"conv:{uuid.uuid4().int % 10**9}"
            asyncio.get_running_loop().call_later(0.1, sender.publish, topic)
            return await receiver.wait([topic], timeout=5)
        finally:
            await receiver.close()
            await sender.close()

    assert asyncio.run(scenario())
