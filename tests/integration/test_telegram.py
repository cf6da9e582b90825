"""Telegram through the real stack: the app's Telegram channel polls the fake Bot API server (`telegram_api`),
and Rasa, the action server and the app answer as in production."""

from __future__ import annotations

import random
import re
import uuid

import httpx
import pytest

from api.core.privacy import mask_identifier
from api.services.handoffs import RATING_REQUEST
from tests.utils.fake_telegram import FakeTelegram

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CALLBACK = re.compile(r"^b:\d+:\d+$")


def new_chat() -> int:
    return random.randint(10**9, 8 * 10**9)


def keyboard_ok(message: dict) -> list[dict]:
    buttons = FakeTelegram.buttons(message)
    assert buttons, message
    for button in buttons:
        assert CALLBACK.match(button["callback_data"]) and len(button["callback_data"].encode()) <= 64
    return buttons


def test_a_question_is_answered_with_an_inline_keyboard_and_a_button_press_works(stack,
                                                                                telegram_api: FakeTelegram) -> None:
    tg, chat = telegram_api, new_chat()
    tg.wait_polling(timeout=60)
    tg.send_text(chat, "làm căn cước cần giấy tờ gì")
    [answer] = tg.wait_sent(chat, timeout=60)
    assert "căn cước" in answer["text"].lower()
    buttons = keyboard_ok(answer)
    mark = tg.mark()
    tg.press(chat, answer["message_id"], title=buttons[0]["text"])
    [follow] = tg.wait_sent(chat, since=mark, timeout=60)
    assert follow["text"] != answer["text"] and "căn cước" in follow["text"].lower()
    assert tg.calls_of("answerCallbackQuery", since=mark)
    assert tg.buttons(tg.message(chat, answer["message_id"]))[0]["text"] == f"✓ {buttons[0]['text']}"
    assert all("parse_mode" not in c.params for c in tg.calls_of("sendMessage", chat_id=chat))


def test_canbo_then_an_officer_claims_replies_and_resolves_and_the_citizen_rates(stack,
                                                                                telegram_api: FakeTelegram) -> None:
    tg, chat = telegram_api, new_chat()
    tg.wait_polling(timeout=60)
    officer = f"canbo-{uuid.uuid4().hex[:6]}"
    stack.create_staff(officer, "mat-khau-2026!", full_name="Nguyễn Văn An")
    headers = {"Authorization": f"Bearer {stack.login(officer, 'mat-khau-2026!')}"}
    api = f"{stack.app_url}/api/v1/handoffs"

    tg.send_text(chat, "/canbo")
    told = tg.wait_sent(chat, timeout=60)
    assert any("cán bộ" in m["text"] for m in told)
    queue = httpx.get(f"{api}/queue", headers=headers, timeout=30).json()
    [handoff] = [h for h in queue if h["channel"] == "telegram" and h["user"] == mask_identifier(str(chat))]
    assert handoff["status"] == "waiting"

    mark = tg.mark()
    assert httpx.post(f"{api}/{handoff['id']}/claim", headers=headers, timeout=30).status_code == 200
    joined = tg.wait_for(lambda: [m for m in tg.sent(chat, since=mark) if "đã tham gia" in m["text"]], timeout=30,
                         what="the claim notice")
    assert joined[0]["text"] == "Cán bộ Nguyễn Văn An đã tham gia cuộc trò chuyện."

    mark = tg.mark()
    reply = httpx.post(f"{api}/{handoff['id']}/reply", headers=headers, timeout=30,
                       json={"text": "Chào bạn, bạn cần mang căn cước và tờ khai CT01."})
    assert reply.status_code == 201, reply.text
    [pushed] = tg.wait_sent(chat, since=mark, timeout=30)
    assert pushed["text"] == "Cán bộ Nguyễn Văn An: Chào bạn, bạn cần mang căn cước và tờ khai CT01."

    mark = tg.mark()
    assert httpx.post(f"{api}/{handoff['id']}/resolve", headers=headers, timeout=30).status_code == 200
    rating = tg.wait_for(lambda: [m for m in tg.sent(chat, since=mark) if m["text"] == RATING_REQUEST], timeout=30,
                         what="the rating request")[0]
    assert [b["text"] for b in keyboard_ok(rating)] == ["5 sao", "4 sao", "3 sao", "2 sao", "1 sao"]

    mark = tg.mark()
    tg.press(chat, rating["message_id"], title="5 sao")
    [thanks] = tg.wait_sent(chat, since=mark, timeout=60)
    assert "Cảm ơn bạn đã đánh giá 5/5" in thanks["text"]
    detail = httpx.get(f"{api}/{handoff['id']}", headers=headers, timeout=30).json()
    assert detail["rating"] == 5
    assert detail["status"] == "resolved"
    citizen = [m for m in detail["messages"] if m["author"] == "citizen"]
    assert citizen[-1]["text"] == "5 sao" and citizen[-1]["payload"] == '/rate{"rating": "5"}'
    # every officer and system message went out exactly once
    texts = [m["text"] for m in tg.sent(chat)]
    assert texts.count(RATING_REQUEST) == 1 and texts.count(pushed["text"]) == 1


def test_readiness_reports_the_telegram_channel(stack, telegram_api: FakeTelegram) -> None:
    telegram_api.wait_polling(timeout=60)
    body = httpx.get(f"{stack.app_url}/readyz", timeout=30, headers=stack.bot_headers()).json()
    assert body["ready"] is True
    assert body["checks"]["telegram"]["ok"] is True
