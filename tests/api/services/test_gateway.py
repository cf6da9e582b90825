"""The gateway and the backlog, on the real database, with Rasa unreachable (port 1): a message is stored once,
answered or told why not, busy turns wait in the backlog, a request for a person never needs Rasa."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from api.core.config import get_settings
from api.core.rate_limits import RateLimits
from api.db.base import session_scope
from api.db.models import Conversation, ConversationMode, Handoff, Message, MessageAuthor, TurnState, utcnow
from api.runtime.rasa_client import RasaClient
from api.services import events
from api.services.backlog import Backlog, claim_next, requeue_lost
from api.services.gateway import (
    BOT_UNAVAILABLE,
    BUSY,
    CitizenMessage,
    Gateway,
    MessageRefused,
    asks_for_a_person,
    procedures_in_buttons,
)


@pytest.fixture()
def bus() -> Iterator[events.EventBus]:
    previous = events.get_bus()
    fresh = events.EventBus()
    events.install(fresh)
    yield fresh
    events.install(previous)


def gateway(**settings: Any) -> Gateway:
    config = get_settings().model_copy(update={"queue_wait_s": 0.2, "turn_timeout_s": 0.5, **settings})
    limits = RateLimits("", conversation_per_minute=config.conversation_rate_per_minute,
                        client_per_minute=config.client_rate_per_minute, search_per_minute=60)
    return Gateway(config, RasaClient("http://127.0.0.1:1", 0.5), limits)


def message(key: str, text: str | None = "xin chào", **fields: Any) -> CitizenMessage:
    return CitizenMessage("web", key, text, **fields)


def rows(key: str) -> list[Message]:
    with session_scope() as db:
        conversation = db.scalar(select(Conversation).where(Conversation.user_id == key))
        assert conversation is not None
        return list(db.scalars(select(Message).where(Message.conversation_id == conversation.id)
                               .order_by(Message.id)))


def test_a_retried_message_is_stored_once_and_gets_the_same_replies(migrated: None, bus: Any) -> None:
    key, client_id = uuid.uuid4().hex, uuid.uuid4().hex

    async def scenario() -> tuple[Any, Any]:
        g = gateway()
        return (await g.handle(message(key, client_msg_id=client_id)),
                await g.handle(message(key, client_msg_id=client_id)))

    first, again = asyncio.run(scenario())
    assert not first.duplicate and [r.text for r in first.replies] == [BOT_UNAVAILABLE]
    assert again.duplicate and again.replies == first.replies and again.message_id == first.message_id
    stored = rows(key)
    assert [m.author for m in stored] == [MessageAuthor.citizen, MessageAuthor.bot]
    assert stored[0].turn_state == TurnState.done
    assert stored[1].pushed_at is not None  # given in the reply: no channel pusher sends it again


def test_the_officer_button_opens_a_handoff_without_rasa(migrated: None, bus: Any) -> None:
    key = uuid.uuid4().hex
    result = asyncio.run(gateway().handle(message(key, "Gặp cán bộ", payload="/request_human")))
    assert result.mode == ConversationMode.waiting
    assert "chuyển cuộc trò chuyện tới cán bộ" in result.replies[0].text
    with session_scope() as db:
        handoff = db.scalar(select(Handoff).join(Conversation).where(Conversation.user_id == key))
        assert handoff is not None and handoff.reason == "citizen_request"


def test_typed_words_asking_for_a_person_reach_the_queue_when_rasa_is_down(migrated: None, bus: Any) -> None:
    key = uuid.uuid4().hex
    result = asyncio.run(gateway().handle(message(key, "cho toi gap can bo a")))
    assert result.mode == ConversationMode.waiting
    with session_scope() as db:
        assert db.scalar(select(Handoff.id).join(Conversation).where(Conversation.user_id == key)) is not None


@pytest.mark.parametrize("text", ["gặp cán bộ", "Cho tôi gặp cán bộ ạ", "gap nguoi that",
                                  "muốn nói chuyện với nhân viên", "xin gặp cán bộ một cửa",
                                  "kết nối với tổng đài viên giúp tôi"])
def test_asking_for_a_person(text: str) -> None:
    assert asks_for_a_person(text)


@pytest.mark.parametrize("text", ["gặp cán bộ ở đâu để làm hộ chiếu", "cán bộ tư pháp xã là ai", "xin chào",
                                  "làm căn cước cần gì", "gặp cán bộ địa chính để hỏi sổ đỏ", ""])
def test_not_asking_for_a_person(text: str) -> None:
    assert not asks_for_a_person(text)


def test_context_for_the_officer_comes_from_the_last_answers_buttons() -> None:
    buttons = [{"title": "Lệ phí", "payload": '/ask_fee{"procedure_id": "cap-ho-chieu-pho-thong"}'},
               {"title": "Gặp cán bộ", "payload": "/request_human"},
               {"title": "x", "payload": '/choose_option{"procedure_id": "dang-ky-khai-sinh"}'},
               {"title": "y", "payload": '/ask_time{"procedure_id": "cap-ho-chieu-pho-thong"}'}]
    assert procedures_in_buttons(buttons) == ["cap-ho-chieu-pho-thong", "dang-ky-khai-sinh"]


@pytest.mark.parametrize(("text", "payload", "code"), [
    ("   ", None, "empty_message"), ("a" * 2001, None, "message_too_long"), ("Nút", "greet", "invalid_payload"),
    ("Nút", "/" + "x" * 600, "invalid_payload")])
def test_bad_messages_are_refused_before_anything_is_stored(text: str, payload: str | None, code: str) -> None:
    with pytest.raises(MessageRefused) as refused:
        gateway().check(message("k", text, payload=payload))
    assert refused.value.code == code and refused.value.message


def test_a_flood_on_one_conversation_is_limited(migrated: None, bus: Any) -> None:
    key = uuid.uuid4().hex

    async def scenario() -> MessageRefused:
        g = gateway(conversation_rate_per_minute=3)
        for _ in range(3):
            await g.handle(message(key))
        with pytest.raises(MessageRefused) as refused:
            await g.handle(message(key))
        return refused.value

    refused = asyncio.run(scenario())
    assert refused.code == "rate_limited" and refused.retry_after and 1 <= refused.retry_after <= 60
    assert len([m for m in rows(key) if m.author == MessageAuthor.citizen]) == 3  # the refused one is not stored


def test_busy_turns_are_kept_and_answered_later_in_order(migrated: None, bus: Any) -> None:
    key = uuid.uuid4().hex

    async def scenario() -> tuple[Any, Any]:
        g = gateway(max_turns_in_flight=1)
        async with g.admission.slot(None):  # every place taken: the next turn waits 0.2 s, then gets the notice
            first = await g.handle(message(key, "làm hộ chiếu cần gì"))
        second = await g.handle(message(key, "lệ phí bao nhiêu"))  # a place is free, but it must not jump ahead
        return first, second

    first, second = asyncio.run(scenario())
    assert first.busy and second.busy and [r.text for r in first.replies] == [BUSY]
    assert [m.turn_state for m in rows(key)] == [TurnState.deferred, TurnState.deferred]

    async def drain() -> None:
        backlog = Backlog(gateway(), get_settings(), workers=1)
        while (claimed := await asyncio.to_thread(claim_next)) is not None:
            await backlog.answer(claimed)

    asyncio.run(drain())
    stored = rows(key)
    assert [(m.author, m.turn_state) for m in stored] == [
        (MessageAuthor.citizen, TurnState.done), (MessageAuthor.citizen, TurnState.done),
        (MessageAuthor.bot, None), (MessageAuthor.bot, None)]
    assert all(m.pushed_at is None for m in stored[2:])  # answered later: the channel's pusher delivers them


def test_a_turn_left_pending_by_a_dead_process_goes_back_to_the_backlog(migrated: None, bus: Any) -> None:
    key = uuid.uuid4().hex
    asyncio.run(gateway().handle(message(key)))
    citizen = rows(key)[0]
    with session_scope() as db:  # as if the process died right after storing it, long ago
        db.execute(update(Message).where(Message.id == citizen.id).values(
            turn_state=TurnState.queued, created_at=utcnow() - dt.timedelta(minutes=10)))
    assert requeue_lost(get_settings()) >= 1
    assert rows(key)[0].turn_state == TurnState.deferred
    claimed = claim_next()
    assert claimed is not None
    while claimed.stored.message_id != citizen.id:  # other tests' leftovers first (oldest first)
        claimed = claim_next()
        assert claimed is not None
    assert rows(key)[0].turn_state == TurnState.running


def test_a_message_with_a_nul_character_is_refused() -> None:
    """Every channel (the widget's frames, Telegram) reaches the gateway: a NUL never reaches the database."""
    with pytest.raises(MessageRefused) as refused:
        gateway().check(message("k-nul", "xin\x00 chào", payload=None))
    assert refused.value.code == "invalid_character"
    with pytest.raises(MessageRefused):
        gateway().check(message("k-nul", None, payload="/greet\x00"))


def test_a_typed_question_is_prepared_for_while_rasa_reads_it(migrated: None, bus: Any) -> None:
    prepared: list[str] = []
    g = gateway()
    g.prepare = prepared.append
    question = "làm giấy khai sinh cho con ở đâu"

    async def scenario() -> None:
        await g.handle(message(uuid.uuid4().hex, question))
        await g.handle(message(uuid.uuid4().hex, "cảm ơn bạn"))  # thanks: no search will need it
        await g.handle(message(uuid.uuid4().hex, "thế làm online được không ạ"))  # answered for the current one
        await g.handle(message(uuid.uuid4().hex, "tôi muốn nói chuyện với cán bộ"))  # a person, not a search
        await g.handle(message(uuid.uuid4().hex, "Lệ phí", payload='/ask_fee{"procedure_id": "dang-ky-khai-sinh"}'))

    asyncio.run(scenario())
    assert prepared == [question]
