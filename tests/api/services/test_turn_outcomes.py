"""A bot turn's outcome is data beside the bot's reply: the turn function records it, the gateway attaches it to the
reply it stores; the gateway records the turns it decides itself (handoff without Rasa, busy, unavailable, Rasa's
own replies)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select

from api.core.config import get_settings
from api.db.base import session_scope
from api.db.models import Message, MessageAuthor, TurnOutcome
from api.services.gateway import CitizenMessage, Reply, finish_turn, store_citizen_message
from tests.api.services.test_gateway import gateway
from tests.utils.bot import bot_turn


def outcomes(conversation_id: int) -> list[dict[str, Any]]:
    with session_scope() as db:
        found = db.scalars(select(TurnOutcome).where(TurnOutcome.conversation_id == conversation_id)
                           .order_by(TurnOutcome.id))
        return [{"decision": o.decision, "procedure_id": o.procedure_id, "aspect": o.aspect, "channel": o.channel,
                 "message_id": o.message_id, "citizen_message_id": o.citizen_message_id} for o in found]


def bot_replies(conversation_id: int) -> list[int]:
    with session_scope() as db:
        return list(db.scalars(select(Message.id).where(Message.conversation_id == conversation_id,
                                                        Message.author == MessageAuthor.bot).order_by(Message.id)))


def test_the_turn_functions_outcome_goes_with_the_stored_reply(client: Any) -> None:
    user = uuid.uuid4().hex
    stored = store_citizen_message(CitizenMessage("web", user, "lệ phí hộ chiếu"), get_settings())
    turn = bot_turn(client, f"web:{user}", "action_answer", text='/ask_fee{"procedure_id": "cap-ho-chieu-pho-thong"}',
                    intent="ask_fee", entities=[{"entity": "procedure_id", "value": "cap-ho-chieu-pho-thong"}])
    assert turn["outcome"]["decision"] == "answer"
    assert outcomes(stored.conversation_id)[0]["message_id"] is None  # pending until the gateway stores the reply
    finish_turn(stored, [Reply(m["text"], m["buttons"]) for m in turn["messages"]])
    [reply] = bot_replies(stored.conversation_id)
    assert outcomes(stored.conversation_id) == [{
        "decision": "answer", "procedure_id": "cap-ho-chieu-pho-thong", "aspect": "fee", "channel": "web",
        "message_id": reply, "citizen_message_id": stored.message_id}]


def test_a_pending_outcome_from_an_abandoned_turn_is_not_given_to_the_next(client: Any) -> None:
    user = uuid.uuid4().hex
    first = store_citizen_message(CitizenMessage("web", user, "xin chào"), get_settings())
    finish_turn(first, [Reply("Chào bạn")])  # Rasa answered by itself
    bot_turn(client, f"web:{user}", "action_greet", intent="greet")  # an action that finished after its turn ended
    second = store_citizen_message(CitizenMessage("web", user, "tạm biệt"), get_settings())
    finish_turn(second, [Reply("Tạm biệt bạn!")])  # utter_goodbye: no app action
    found = outcomes(first.conversation_id)
    assert [(o["decision"], o["citizen_message_id"]) for o in found] == [
        ("out_of_scope", first.message_id), ("greet", None), ("out_of_scope", second.message_id)]


def test_rasa_unavailable_is_recorded(migrated: None) -> None:
    stored = store_citizen_message(CitizenMessage("telegram", uuid.uuid4().hex, "hỏi"), get_settings())
    finish_turn(stored, None)
    [found] = outcomes(stored.conversation_id)
    assert (found["decision"], found["channel"], found["citizen_message_id"]) == ("unavailable", "telegram",
                                                                                   stored.message_id)


def test_handoff_and_busy_are_decided_by_the_gateway(client: Any) -> None:
    user = uuid.uuid4().hex
    result = asyncio.run(gateway().handle(CitizenMessage("web", user, "Gặp cán bộ", payload="/request_human")))
    [handoff] = outcomes(result.conversation_id)
    assert handoff["decision"] == "handoff" and handoff["message_id"] == result.reply_message_ids[0]

    other = uuid.uuid4().hex
    first = store_citizen_message(CitizenMessage("web", other, "câu một"), get_settings())
    second = store_citizen_message(CitizenMessage("web", other, "câu hai"), get_settings())  # behind the first
    [busy] = outcomes(first.conversation_id)
    assert (busy["decision"], busy["citizen_message_id"], busy["message_id"]) == ("busy", second.message_id, None)
