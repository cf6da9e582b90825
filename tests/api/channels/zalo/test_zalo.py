"""The Zalo channel in-process (create_app + TestClient) against the local fake Zalo OpenAPI (tests/utils/fake_zalo).

Rasa is unreachable in unit tests; tests that need the bot's answers replace the app's RasaClient.send (a fake
"Rasa" that answers with choices, and records a rating as the action server would).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.channels.zalo import formatting
from api.channels.zalo.api import ZaloApi, ZaloError
from api.channels.zalo.bot import ZaloChannel
from api.channels.zalo.tokens import fernet
from api.core.config import Settings
from api.core.rate_limits import RateLimits
from api.db.base import session_scope
from api.db.migrate import upgrade
from api.db.models import (
    Conversation,
    ConversationMode,
    Handoff,
    Message,
    MessageAuthor,
    Role,
    ZaloToken,
    ZaloUser,
)
from api.main import create_app
from api.runtime.rasa_client import RasaClient
from api.services import handoffs
from api.services.gateway import BOT_UNAVAILABLE, Gateway
from api.services.handoffs import RATING_REQUEST
from tests.utils.fake_zalo import OUT_OF_WINDOW, TOKEN_EXPIRED, FakeZalo
from tests.utils.staff import PASSWORD, auth_headers, make_staff

CHOICES = [{"text": "Bạn muốn biết gì về thủ tục cấp căn cước?", "buttons": [
    {"title": "Giấy tờ cần nộp", "payload": '/ask_documents{"procedure_id": "cap-the-can-cuoc"}'},
    {"title": "Lệ phí", "payload": '/ask_fee{"procedure_id": "cap-the-can-cuoc"}'},
    {"title": "Gặp cán bộ", "payload": "/request_human"}]}]


def new_user() -> str:
    return str(random.randint(10**17, 9 * 10**17))


@pytest.fixture()
def zalo() -> Iterator[FakeZalo]:
    with FakeZalo() as fake:
        yield fake


def run_app(zalo: FakeZalo, **extra: Any) -> Iterator[TestClient]:
    app = create_app(Settings(**{**zalo.settings(), **extra}))
    with TestClient(app, base_url="https://testserver") as client:
        yield client


@pytest.fixture()
def app(migrated: None, zalo: FakeZalo) -> Iterator[TestClient]:
    yield from run_app(zalo)


def post(client: TestClient, signed: tuple[bytes, dict[str, str]]) -> Any:
    body, headers = signed
    return client.post("/zalo/webhook", content=body, headers=headers)


def console(client: TestClient) -> TestClient:
    """A logged-in officer's browser on the same app."""
    browser = TestClient(client.app, base_url="https://testserver")
    login = browser.post("/console/login", data={"username": make_staff(Role.officer), "password": PASSWORD,
                                                 "next": "/console/queue"}, follow_redirects=False)
    assert login.status_code == 303, login.text
    return browser


def channel(client: TestClient) -> ZaloChannel:
    found = client.app.state.zalo  # type: ignore[attr-defined]
    assert isinstance(found, ZaloChannel)
    return found


def settle(client: TestClient) -> None:
    """Until the background turns started so far are done."""
    client.portal.call(channel(client).idle)  # type: ignore[union-attr]


def fake_rasa(client: TestClient, monkeypatch: pytest.MonkeyPatch, answer: list[dict[str, Any]],
              delay: float = 0.0) -> list[tuple[str, str]]:
    """Rasa answers `answer` to everything (after `delay` s); a rating is recorded as the action server does."""
    received: list[tuple[str, str]] = []

    async def send(sender: str, message: str, timeout: float | None = None) -> list[dict[str, Any]]:
        received.append((sender, message))
        await asyncio.sleep(delay)
        if message.startswith("/rate"):
            stars = int(message.split('"rating": "')[1][0])
            with session_scope() as db:
                handoffs.record_rating(db, sender, stars)
            return [{"text": f"Cảm ơn bạn đã đánh giá {stars}/5."}]
        return answer

    monkeypatch.setattr(client.app.state.rasa, "send", send)  # type: ignore[attr-defined]
    return received


def messages_of(user_id: str) -> list[Message]:
    with session_scope() as db:
        conversation = db.scalar(select(Conversation).where(Conversation.channel == "zalo",
                                                            Conversation.user_id == user_id))
        if conversation is None:
            return []
        return list(db.scalars(select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)))


def unpushed(user_id: str) -> list[str]:
    """Texts of the messages to this citizen not marked pushed."""
    return [m.text for m in messages_of(user_id) if m.author != MessageAuthor.citizen and m.pushed_at is None]


def age_window(zalo: FakeZalo, user_id: str, hours: float) -> None:
    """The citizen last wrote `hours` ago, on both sides (the app's rules and Zalo's)."""
    zalo.age(user_id, hours)
    with session_scope() as db:
        db.execute(update(ZaloUser).where(ZaloUser.user_id == user_id)
                   .values(last_citizen_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)))


# --- the webhook: signature, age, size, store then acknowledge -------------------------------------------------

def test_forged_foreign_and_malformed_events_are_refused_and_nothing_is_stored(app: TestClient,
                                                                             zalo: FakeZalo) -> None:
    user = new_user()
    assert post(app, zalo.text(user, "xin chào", secret="not-the-oa-secret")).status_code == 403
    body, headers = zalo.text(user, "xin chào")
    assert app.post("/zalo/webhook", content=body.replace("xin chào".encode(), b"xin chao"),
                    headers=headers).status_code == 403  # the body was changed: the signature no longer fits
    assert app.post("/zalo/webhook", content=body, headers={"Content-Type": "application/json"}).status_code == 403
    assert post(app, zalo.text(user, "xin chào", app_id="999")).status_code == 403
    assert app.post("/zalo/webhook", content=b"[1, 2]", headers=headers).status_code == 400
    assert app.post("/zalo/webhook", content=b"{" + b" " * 20_000 + b"}", headers=headers).status_code == 413
    stale = post(app, zalo.text(user, "tin cũ", age_s=6 * 60))
    assert stale.status_code == 200 and stale.json() == {"ok": False, "error": "stale_event"}
    assert post(app, zalo.text(user, "tin tương lai", age_s=-6 * 60)).json()["error"] == "stale_event"
    settle(app)
    assert messages_of(user) == [] and zalo.sent_to(user) == []


def test_a_text_is_stored_once_and_acknowledged_before_a_frozen_rasa_answers(app: TestClient, zalo: FakeZalo,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    received = fake_rasa(app, monkeypatch, CHOICES, delay=3.0)  # Rasa "frozen" for 3 s
    # steady state: the search index built at start-up (seconds of CPU) is done, the code paths are warm
    zalo.wait_for(lambda: app.app.state.search.index is not None, timeout=120,  # type: ignore[attr-defined]
                  what="the search index")
    assert post(app, zalo.sticker(new_user())).status_code == 200
    user = new_user()
    signed = zalo.text(user, "làm căn cước cần giấy tờ gì")
    started = time.perf_counter()
    response = post(app, signed)
    took = time.perf_counter() - started
    assert response.status_code == 200 and response.json() == {"ok": True, "outcome": "stored"}
    assert took < 1.0, took
    others = []
    for _ in range(3):  # more citizens while the first turn is still waiting for Rasa
        started = time.perf_counter()
        assert post(app, zalo.text(new_user(), "hộ chiếu")).json()["outcome"] == "stored"
        others.append(time.perf_counter() - started)
    assert max(others) < 1.0, others
    [stored] = messages_of(user)  # stored before the acknowledgement
    assert (stored.author, stored.text) == (MessageAuthor.citizen, "làm căn cước cần giấy tờ gì")
    msg_id = stored.client_msg_id
    assert msg_id is not None and msg_id.startswith("zalo:m")
    assert post(app, signed).json() == {"ok": True, "outcome": "duplicate"}  # Zalo delivered it again
    assert zalo.sent_to(user) == []
    [answer] = zalo.wait_sent(user, timeout=10)
    settle(app)
    assert received[0] == (f"zalo:{user}", "làm căn cước cần giấy tờ gì")
    assert answer.text == CHOICES[0]["text"]
    assert answer.recipient == {"user_id": user, "message_id": msg_id.removeprefix("zalo:")}
    assert len([m for m in messages_of(user) if m.author == MessageAuthor.citizen]) == 1
    time.sleep(0.3)
    assert len(zalo.sent_to(user)) == 1


def test_stickers_and_images_get_a_polite_answer_and_are_not_stored(app: TestClient, zalo: FakeZalo) -> None:
    user = new_user()
    assert post(app, zalo.sticker(user)).json()["outcome"] == "not text"
    assert post(app, zalo.image(user)).json()["outcome"] == "not text"
    first, second = zalo.wait_sent(user, count=2)
    assert first.text == second.text == formatting.TEXT_ONLY
    assert messages_of(user) == []


def test_without_rasa_the_apology_carries_the_officer_button(app: TestClient, zalo: FakeZalo) -> None:
    user = new_user()
    post(app, zalo.text(user, "hộ chiếu"))
    [reply] = zalo.wait_sent(user)
    assert reply.text == BOT_UNAVAILABLE
    bot = messages_of(user)[-1]
    assert reply.buttons == [{"title": "Gặp cán bộ", "type": "oa.query.hide", "payload": f"#b:{bot.id}:0"}]


# --- the whole conversation ------------------------------------------------------------------------------------

def test_question_choices_button_officer_reply_resolve_and_rating(app: TestClient, zalo: FakeZalo,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    received = fake_rasa(app, monkeypatch, CHOICES)
    user = new_user()
    post(app, zalo.text(user, "làm căn cước"))
    [answer] = zalo.wait_sent(user)
    assert [b["title"] for b in answer.buttons] == ["Giấy tờ cần nộp", "Lệ phí", "Gặp cán bộ"]
    assert all(b["type"] == "oa.query.hide" and b["payload"].startswith("#b:") for b in answer.buttons)

    mark = zalo.mark()
    post(app, zalo.press(user, answer, "Lệ phí"))  # the payload goes to Rasa, the title is stored
    zalo.wait_sent(user, since=mark)
    assert received[-1] == (f"zalo:{user}", '/ask_fee{"procedure_id": "cap-the-can-cuoc"}')
    citizen = [m for m in messages_of(user) if m.author == MessageAuthor.citizen][-1]
    assert (citizen.text, citizen.payload) == ("Lệ phí", '/ask_fee{"procedure_id": "cap-the-can-cuoc"}')

    mark, asked = zalo.mark(), len(received)
    post(app, zalo.press(user, answer, "Gặp cán bộ"))  # opened by the gateway, without Rasa
    told = zalo.wait_for(lambda: [s for s in zalo.sent_to(user, since=mark) if "vị trí thứ" in s.text],
                         what="the queue position")
    assert told and len(received) == asked
    headers = auth_headers(app, Role.officer)
    handoff_id = _handoff_of(user)
    [handoff] = [h for h in app.get("/api/v1/handoffs/queue", headers=headers).json() if h["id"] == handoff_id]
    assert handoff["channel"] == "zalo" and handoff["user"].endswith(user[-3:])
    mark = zalo.mark()
    assert app.post(f"/api/v1/handoffs/{handoff['id']}/claim", headers=headers).status_code == 200
    zalo.wait_for(lambda: [s for s in zalo.sent_to(user, since=mark) if "đã tham gia" in s.text],
                  what="the claim notice")
    mark = zalo.mark()
    reply = app.post(f"/api/v1/handoffs/{handoff['id']}/reply", headers=headers,
                     json={"text": "Lệ phí cấp căn cước lần đầu được miễn. Xem https://dichvucong.gov.vn nhé."})
    assert reply.status_code == 201, reply.text
    [pushed] = zalo.wait_sent(user, since=mark)
    assert pushed.text.startswith("Cán bộ ") and "Lệ phí cấp căn cước lần đầu được miễn." in pushed.text
    assert pushed.buttons == [{"title": formatting.OPEN_LINK, "type": "oa.open.url",
                               "payload": {"url": "https://dichvucong.gov.vn"}}]

    mark = zalo.mark()
    assert app.post(f"/api/v1/handoffs/{handoff['id']}/resolve", headers=headers).status_code == 200
    [rating] = zalo.wait_for(lambda: [s for s in zalo.sent_to(user, since=mark) if s.text == RATING_REQUEST],
                             what="the rating request")
    assert [b["title"] for b in rating.buttons] == ["5 sao", "4 sao", "3 sao", "2 sao", "1 sao"]
    mark = zalo.mark()
    post(app, zalo.press(user, rating, "5 sao"))
    [thanks] = zalo.wait_sent(user, since=mark)
    assert thanks.text == "Cảm ơn bạn đã đánh giá 5/5."
    with session_scope() as db:
        done = db.get(Handoff, handoff["id"])
        assert done is not None and done.rating == 5
    texts = [s.text for s in zalo.sent_to(user)]
    assert texts.count(RATING_REQUEST) == 1 and texts.count(pushed.text) == 1  # pushed exactly once
    # every officer and system message is marked pushed (the mark commits just after Zalo's answer)
    zalo.wait_for(lambda: unpushed(user) == [], what="every message marked pushed")


def test_a_stale_or_foreign_button_is_refused_politely(app: TestClient, zalo: FakeZalo,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    received = fake_rasa(app, monkeypatch, CHOICES)
    user, other = new_user(), new_user()
    post(app, zalo.text(other, "căn cước"))
    [foreign] = zalo.wait_sent(other)
    post(app, zalo.text(user, foreign.buttons[0]["payload"]))  # another citizen's button, typed
    [refusal] = zalo.wait_sent(user)
    assert refusal.text == formatting.STALE_BUTTON
    assert len(received) == 1 and messages_of(user) == []


# --- Zalo's limits: the 48-hour window, 8 messages, unfollow ----------------------------------------------------

def open_handoff(user: str) -> int:
    with session_scope() as db:
        handoff, _position = handoffs.open_handoff(db, f"zalo:{user}", "citizen_request")
        return handoff.id


def test_outside_48_hours_an_officer_reply_waits_and_goes_when_the_citizen_writes(app: TestClient, zalo: FakeZalo,
                                                                                  monkeypatch: pytest.MonkeyPatch
                                                                                  ) -> None:
    fake_rasa(app, monkeypatch, CHOICES)
    user = new_user()
    post(app, zalo.text(user, "căn cước"))
    zalo.wait_sent(user)
    handoff_id = open_handoff(user)
    headers = auth_headers(app, Role.officer)
    assert app.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=headers).status_code == 200
    zalo.wait_for(lambda: any("đã tham gia" in s.text for s in zalo.sent_to(user)), what="the claim notice")

    age_window(zalo, user, hours=49)  # the citizen wrote 49 hours ago
    mark = zalo.mark()
    reply = app.post(f"/api/v1/handoffs/{handoff_id}/reply", headers=headers, json={"text": "Hồ sơ của bạn đã xong."})
    assert reply.status_code == 201
    time.sleep(1.5)
    assert zalo.sent_to(user, since=mark) == [] and zalo.errors(OUT_OF_WINDOW) == []  # not even tried
    officer_message = reply.json()["id"]
    with session_scope() as db:
        assert db.get(Message, officer_message).pushed_at is None  # type: ignore[union-attr]
    page = console(app).get(f"/console/conversations/{handoff_id}")
    assert page.status_code == 200 and page.text.count("Chờ công dân nhắn lại") == 1

    post(app, zalo.text(user, "cán bộ ơi, hồ sơ của tôi thế nào?"))  # the window opens again
    sent = zalo.wait_for(lambda: [s for s in zalo.sent_to(user, since=mark) if "Hồ sơ của bạn đã xong." in s.text],
                         what="the waiting reply")
    assert len(sent) == 1


def test_at_most_8_messages_per_citizen_message(app: TestClient, zalo: FakeZalo) -> None:
    user = new_user()
    post(app, zalo.text(user, "gặp cán bộ"))  # Rasa is down: the gateway hands over; 2 messages so far
    handoff_id = zalo.wait_for(lambda: _handoff_of(user), what="the handoff")
    headers = auth_headers(app, Role.officer)
    assert app.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=headers).status_code == 200
    for n in range(10):
        app.post(f"/api/v1/handoffs/{handoff_id}/reply", headers=headers, json={"text": f"tin số {n}"})
    zalo.wait_sent(user, count=8)  # pushed in the background (once, in a full run, only four had gone after 2 s)
    time.sleep(1.5)  # and no ninth follows
    assert len(zalo.sent_to(user)) == 8 and zalo.errors(OUT_OF_WINDOW) == []
    mark = zalo.mark()
    post(app, zalo.text(user, "vâng ạ"))  # a new citizen message: 8 more may go
    zalo.wait_for(lambda: any(s.text.endswith("tin số 9") for s in zalo.sent_to(user, since=mark)),
                  what="the last officer message")


def _handoff_of(user: str) -> int | None:
    with session_scope() as db:
        return db.scalar(select(Handoff.id).join(Conversation, Conversation.id == Handoff.conversation_id)
                         .where(Conversation.user_id == user))


def test_unfollow_stops_pushes_until_the_citizen_comes_back(app: TestClient, zalo: FakeZalo) -> None:
    user = new_user()
    post(app, zalo.text(user, "gặp cán bộ"))
    handoff_id = zalo.wait_for(lambda: _handoff_of(user), what="the handoff")
    zalo.wait_sent(user, count=2)
    assert post(app, zalo.follow(user, following=False)).json()["outcome"] == "unfollow"
    headers = auth_headers(app, Role.officer)
    mark = zalo.mark()
    app.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=headers)
    time.sleep(1.5)
    assert zalo.sent_to(user, since=mark) == []
    assert post(app, zalo.follow(user)).json()["outcome"] == "follow"
    zalo.wait_for(lambda: any("đã tham gia" in s.text for s in zalo.sent_to(user, since=mark)),
                  what="the claim notice after the follow")


# --- tokens ------------------------------------------------------------------------------------------------------

def test_an_expired_access_token_is_refreshed_mid_conversation_once(app: TestClient, zalo: FakeZalo,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    fake_rasa(app, monkeypatch, CHOICES)
    user = new_user()
    post(app, zalo.text(user, "căn cước"))
    zalo.wait_sent(user)
    refreshes = zalo.refreshes
    zalo.expire_access_tokens()  # Zalo says the token expired before the app expected it
    mark = zalo.mark()
    post(app, zalo.text(user, "lệ phí"))
    zalo.wait_sent(user, since=mark)
    assert zalo.refreshes == refreshes + 1
    assert len(zalo.errors(TOKEN_EXPIRED)) == 1
    with session_scope() as db:
        row = db.get(ZaloToken, zalo.app_id)
        assert row is not None and row.failure is None
        assert zalo.initial_refresh not in row.sealed and "acc-" not in row.sealed  # encrypted at rest
    assert app.get("/readyz", headers=staff_view(app)).json()["checks"]["zalo"]["ok"] is True


def test_a_failed_refresh_degrades_zalo_only(app: TestClient, zalo: FakeZalo) -> None:
    zalo.refuse_refresh()
    zalo.expire_access_tokens()
    with session_scope() as db:
        db.execute(update(ZaloToken).values(access_expires_at=dt.datetime.now(dt.UTC)))
    channel(app).tokens.check()
    zalo_check = app.get("/readyz", headers=staff_view(app)).json()["checks"]["zalo"]
    assert zalo_check["ok"] is False and zalo_check["detail"].startswith("degraded")
    assert "Kênh Zalo đang gián đoạn" in console(app).get("/console/queue").text
    chat = app.post("/api/v1/chat", json={"sender": "web-user-1", "text": "xin chào"})
    assert chat.status_code == 200  # other channels go on
    zalo.refuse_refresh(False)


def test_a_new_refresh_token_in_the_settings_replaces_the_stored_pair(migrated: None, zalo: FakeZalo) -> None:
    for client in run_app(zalo):
        channel(client).tokens.check()
    _access, refresh = zalo.issue_pair()
    for client in run_app(zalo, zalo_refresh_token=refresh):
        state = channel(client).tokens.check()
        assert state.ok, state
    with session_scope() as db:
        row = db.get(ZaloToken, zalo.app_id)
        assert row is not None and refresh not in row.sealed


# --- two replicas on PostgreSQL -----------------------------------------------------------------------------------

@pytest.fixture()
def on_postgres(postgres_url: str) -> Iterator[str]:
    """The app's database is the PostgreSQL schema for this test (every module's session_scope uses it)."""
    from tests.conftest import _reset_database_caches

    saved = os.environ["DATABASE_URL"]
    upgrade(postgres_url)
    os.environ["DATABASE_URL"] = postgres_url
    _reset_database_caches()
    try:
        yield postgres_url
    finally:
        os.environ["DATABASE_URL"] = saved
        _reset_database_caches()


def replicas(zalo: FakeZalo, count: int = 2) -> list[ZaloChannel]:
    settings = Settings(**zalo.settings())
    limits = RateLimits(conversation_per_minute=30, client_per_minute=100, search_per_minute=10)
    return [ZaloChannel(settings, Gateway(settings, RasaClient("http://127.0.0.1:1", 1), limits))
            for _ in range(count)]


def test_two_replicas_on_postgres_push_once_and_refresh_once(on_postgres: str, zalo: FakeZalo) -> None:
    users = [new_user(), new_user()]
    for user in users:
        zalo.text(user, "xin chào")  # the citizen wrote (Zalo's side)
    with session_scope() as db:
        for user in users:
            db.add(ZaloUser(user_id=user, last_citizen_at=dt.datetime.now(dt.UTC), sent_since=0))
            conversation = Conversation(channel="zalo", user_id=user, mode=ConversationMode.assigned)
            db.add(conversation)
            db.flush()
            db.add_all(Message(conversation_id=conversation.id, author=MessageAuthor.system, text=f"tin {n}")
                       for n in range(5))
    both = replicas(zalo)
    zalo.slow_refresh(0.5)  # the first refresh is slow: the other replica must wait for it, not refresh again
    results: list[Any] = []
    threads = [threading.Thread(target=lambda r=r: results.append(r.tokens.access_token())) for r in both]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert zalo.refreshes == 1 and results[0] == results[1]
    zalo.slow_refresh(0)

    async def push() -> int:
        sent = await asyncio.gather(*(r.pusher.push_pending() for r in both))
        sent += await asyncio.gather(*(r.pusher.push_pending() for r in both))  # what was "taken"
        return sum(sent)

    try:
        assert asyncio.run(push()) == 10
    finally:
        for replica in both:
            asyncio.run(replica.stop())
    for user in users:
        assert [s.text for s in zalo.sent_to(user)] == [f"tin {n}" for n in range(5)]
    with session_scope() as db:
        assert db.scalar(select(Message.id).where(Message.pushed_at.is_(None))) is None


# --- formatting ----------------------------------------------------------------------------------------------------

def test_long_texts_are_split_and_many_buttons_spread_over_messages() -> None:
    text = ("Giấy tờ cần nộp gồm tờ khai và bản sao giấy khai sinh. " * 60).strip()
    buttons = [{"title": f"Lựa chọn {n}", "payload": f"/choose{{\"n\": {n}}}"} for n in range(7)]
    parts = formatting.messages(text, buttons, 42)
    assert all(len(p["text"]) <= formatting.MAX_TEXT for p in parts)
    texts = [p["text"] for p in parts if p["text"] != formatting.CHOOSE_MORE]
    assert len(texts) == 2 and "".join(texts).replace(" ", "") == text.replace(" ", "")
    with_buttons = [p for p in parts if "attachment" in p]
    assert [len(p["attachment"]["payload"]["buttons"]) for p in with_buttons] == [5, 2]
    assert with_buttons[1]["text"] == formatting.CHOOSE_MORE
    assert formatting.parse_button("#b:42:6") == (42, 6) and formatting.parse_button("b:42:6") is None
    long_title = formatting.messages("x", [{"title": "Đ" * 150, "payload": "/p"}], 1)[0]
    assert len(long_title["attachment"]["payload"]["buttons"][0]["title"]) == formatting.MAX_TITLE


# --- the fake is strict, and the client reads its refusals -----------------------------------------------------------

def test_the_fake_refuses_what_zalo_refuses(zalo: FakeZalo) -> None:
    api = ZaloApi(zalo.base_url, zalo.base_url, zalo.app_id, zalo.app_secret)
    pair = api.refresh(zalo.initial_refresh)
    with pytest.raises(ZaloError) as used:
        api.refresh(zalo.initial_refresh)  # a refresh token works once
    assert used.value.code == -14014 and not used.value.transient
    with pytest.raises(ZaloError) as wrong_secret:
        ZaloApi(zalo.base_url, zalo.base_url, zalo.app_id, "not-the-secret").refresh(pair.refresh)
    assert wrong_secret.value.code == -14002
    user = new_user()
    zalo.text(user, "xin chào")  # the citizen wrote: the window is open
    ok = {"text": "Chào bạn"}
    assert api.send(pair.access, {"user_id": user}, ok)
    refusals = [
        ("", {"user_id": user}, ok, -216),  # no access token
        ("acc-unknown", {"user_id": user}, ok, -216),
        (pair.access, {"user_id": user, "phone": "0912345678"}, ok, -201),  # an unknown field
        (pair.access, {}, ok, -201),  # a missing one
        (pair.access, {"user_id": user}, {"text": "x" * 2001}, -210),
        (pair.access, {"user_id": user}, {"text": "x", "attachment": {"type": "template", "payload": {"buttons": [
            {"title": f"nút {n}", "type": "oa.query.hide", "payload": "#b:1:0"} for n in range(6)]}}}, -210),
        (pair.access, {"user_id": user}, {"text": "x", "attachment": {"type": "template", "payload": {"buttons": [
            {"title": "t" * 101, "type": "oa.query.hide", "payload": "#b:1:0"}]}}}, -210),
        (pair.access, {"user_id": new_user()}, ok, -230),  # never wrote to the OA
    ]
    for token, recipient, message, code in refusals:
        with pytest.raises(ZaloError) as refused:
            api.send(token, recipient, message)
        assert refused.value.code == code, (recipient, refused.value)
    zalo.expire_access_tokens()
    with pytest.raises(ZaloError) as expired:
        api.send(pair.access, {"user_id": user}, ok)
    assert expired.value.code == -124
    api.close()


def test_the_token_is_refreshed_before_it_expires_and_old_keys_still_decrypt(app: TestClient, zalo: FakeZalo) -> None:
    tokens = channel(app).tokens
    assert tokens.check().ok
    refreshes = zalo.refreshes
    with session_scope() as db:  # 30 minutes left: inside the 1-hour margin
        db.execute(update(ZaloToken).values(access_expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)))
    assert tokens.check().ok and zalo.refreshes == refreshes + 1
    assert tokens.check().ok and zalo.refreshes == refreshes + 1  # fresh now: no second call
    old = tokens.crypto
    new_key = Fernet.generate_key().decode()
    rotated = fernet(f"{new_key},{app.app.state.settings.zalo_token_keys.get_secret_value()}")  # type: ignore[attr-defined]
    sealed = old.encrypt(b'{"access": "a", "refresh": "r"}')
    assert rotated.decrypt(sealed) == b'{"access": "a", "refresh": "r"}'
    with pytest.raises(InvalidToken):
        old.decrypt(rotated.encrypt(b"x"))  # the new key encrypts


def staff_view(app: TestClient) -> dict[str, str]:
    """/readyz shows its checks only to staff and the stack's own processes (the bot API token)."""
    return {"Authorization": f"Bearer {app.app.state.settings.bot_api_token}"}
