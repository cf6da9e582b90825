"""Zalo through the real stack: Rasa, the action server and the app answer as in production; the app's Zalo channel
sends through the fake Zalo OpenAPI (`zalo_api`), and the test posts signed webhook events as Zalo would."""

from __future__ import annotations

import random
import time
import uuid

import httpx
import pytest

from api.services.handoffs import RATING_REQUEST
from tests.utils.fake_zalo import FakeZalo

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def new_user() -> str:
    return str(random.randint(10**17, 9 * 10**17))


def post(stack, signed: tuple[bytes, dict[str, str]]) -> dict:  # type: ignore[no-untyped-def]
    body, headers = signed
    started = time.perf_counter()
    response = httpx.post(f"{stack.app_url}/zalo/webhook", content=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert time.perf_counter() - started < 1.0  # acknowledged before the bot's turn
    return response.json()


def test_question_button_officer_resolve_and_rating_over_zalo(stack, zalo_api: FakeZalo) -> None:
    zalo, user = zalo_api, new_user()
    assert post(stack, zalo.text(user, "làm căn cước cần giấy tờ gì"))["outcome"] == "stored"
    [answer] = zalo.wait_sent(user, timeout=60)
    assert "căn cước" in answer.text.lower() and answer.buttons
    mark = zalo.mark()
    post(stack, zalo.press(user, answer, answer.buttons[0]["title"]))
    [follow] = zalo.wait_sent(user, since=mark, timeout=60)
    assert follow.text != answer.text and "căn cước" in follow.text.lower()

    officer = f"canbo-{uuid.uuid4().hex[:6]}"
    stack.create_staff(officer, "mat-khau-2026!", full_name="Trần Thị Bình")
    headers = {"Authorization": f"Bearer {stack.login(officer, 'mat-khau-2026!')}"}
    api = f"{stack.app_url}/api/v1/handoffs"
    mark = zalo.mark()
    post(stack, zalo.text(user, "gặp cán bộ"))
    zalo.wait_for(lambda: [s for s in zalo.sent_to(user, since=mark) if "cán bộ" in s.text], timeout=60,
                  what="the handoff notice")
    queue = httpx.get(f"{api}/queue", headers=headers, timeout=30).json()
    [handoff] = [h for h in queue if h["channel"] == "zalo" and h["user"].endswith(user[-3:])]
    assert httpx.post(f"{api}/{handoff['id']}/claim", headers=headers, timeout=30).status_code == 200
    mark = zalo.mark()
    reply = httpx.post(f"{api}/{handoff['id']}/reply", headers=headers, timeout=30,
                       json={"text": "Chào bạn, bạn mang căn cước cũ và tờ khai CC01 nhé."})
    assert reply.status_code == 201, reply.text
    pushed = zalo.wait_for(lambda: [s for s in zalo.sent_to(user, since=mark) if "CC01" in s.text], timeout=30,
                           what="the officer's reply")
    assert pushed[0].text == "Cán bộ Trần Thị Bình: Chào bạn, bạn mang căn cước cũ và tờ khai CC01 nhé."

    mark = zalo.mark()
    assert httpx.post(f"{api}/{handoff['id']}/resolve", headers=headers, timeout=30).status_code == 200
    [rating] = zalo.wait_for(lambda: [s for s in zalo.sent_to(user, since=mark) if s.text == RATING_REQUEST],
                             timeout=30, what="the rating request")
    mark = zalo.mark()
    post(stack, zalo.press(user, rating, "5 sao"))
    [thanks] = zalo.wait_sent(user, since=mark, timeout=60)
    assert "Cảm ơn bạn đã đánh giá 5/5" in thanks.text
    detail = httpx.get(f"{api}/{handoff['id']}", headers=headers, timeout=30).json()
    assert detail["rating"] == 5 and detail["status"] == "resolved"
    texts = [s.text for s in zalo.sent_to(user)]
    assert texts.count(RATING_REQUEST) == 1 and texts.count(pushed[0].text) == 1


def test_readiness_reports_the_zalo_channel(stack, zalo_api: FakeZalo) -> None:
    deadline = time.monotonic() + 30
    while True:
        check = httpx.get(f"{stack.app_url}/readyz", timeout=30, headers=stack.bot_headers()).json()["checks"]["zalo"]
        if check["ok"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert check["ok"] is True and check["detail"].startswith("token valid until")
