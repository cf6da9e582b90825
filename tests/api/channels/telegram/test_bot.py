"""The Telegram channel in-process (create_app + TestClient) against the local fake Bot API server.

Rasa is unreachable in unit tests: a text message gets the gateway's apology with its "Gặp cán bộ" button. Tests
that need real bot replies (buttons with long payloads, long texts, markup characters) replace the app's
RasaClient.send.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from api.channels.telegram import formatting as telegram
from api.channels.telegram import pusher as pusher_module
from api.channels.telegram.bot import TelegramChannel
from api.core.config import Settings
from api.core.rate_limits import RateLimits
from api.db.base import session_scope
from api.db.migrate import upgrade
from api.db.models import Conversation, ConversationMode, Message, MessageAuthor, Role, StaffUser
from api.main import create_app
from api.runtime.rasa_client import RasaClient
from api.services import events
from api.services.gateway import BOT_UNAVAILABLE, Gateway
from api.services.handoffs import RATING_REQUEST
from knowledge_base.vocabulary import RATING_BUTTONS
from tests.utils.bot import bot_headers
from tests.utils.fake_telegram import FakeTelegram, utf16_len

LONG_PAYLOAD = '/choose_option{"procedure_id": "cap-giay-chung-nhan-quyen-su-dung-dat-lan-dau-ho-gia-dinh-ca-nhan"}'


def new_chat() -> int:
    return random.randint(10**9, 8 * 10**9)


def settings_for(tg: FakeTelegram, **extra: Any) -> Settings:
    return Settings(telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url, **extra)


@pytest.fixture()
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


def run_bot(tg: FakeTelegram, **extra: Any) -> Iterator[TestClient]:
    app = create_app(settings_for(tg, **extra))
    with TestClient(app, base_url="https://testserver") as client:
        if app.state.settings.telegram_mode == "polling":
            tg.wait_polling()
        else:
            tg.wait_calls("setWebhook")
        yield client


@pytest.fixture()
def bot(migrated: None, tg: FakeTelegram) -> Iterator[TestClient]:
    yield from run_bot(tg)


@pytest.fixture()
def webhook_bot(migrated: None, tg: FakeTelegram) -> Iterator[TestClient]:
    yield from run_bot(tg, telegram_mode="webhook", telegram_webhook_url="https://tro-ly.example.vn/telegram/webhook",
                       telegram_webhook_secret="bi-mat_123")


def fake_rasa(client: TestClient, monkeypatch: pytest.MonkeyPatch,
              answer: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Rasa answers `answer` to everything; returns the (sender, message) it received."""
    received: list[tuple[str, str]] = []

    async def send(sender: str, message: str, timeout: float | None = None) -> list[dict[str, Any]]:
        received.append((sender, message))
        return answer

    monkeypatch.setattr(client.app.state.rasa, "send", send)
    return received


def conversation_messages(chat_id: int) -> list[Message]:
    with session_scope() as db:
        conversation = db.scalar(select(Conversation).where(Conversation.channel == "telegram",
                                                            Conversation.user_id == str(chat_id)))
        if conversation is None:
            return []
        return list(db.scalars(select(Message).where(Message.conversation_id == conversation.id)
                               .order_by(Message.id)))


def store(chat_id: int, author: MessageAuthor, text: str, buttons: list[dict[str, str]] | None = None,
          officer: str | None = None) -> int:
    """A message written to a Telegram citizen (as the handoff code stores it); the commit wakes the pusher."""
    with session_scope() as db:
        conversation = db.scalar(select(Conversation).where(Conversation.channel == "telegram",
                                                            Conversation.user_id == str(chat_id)))
        if conversation is None:
            conversation = Conversation(channel="telegram", user_id=str(chat_id), mode=ConversationMode.bot)
            db.add(conversation)
            db.flush()
        staff_id = None
        if officer:
            user = StaffUser(username=f"cb-{random.randint(0, 10**9)}", full_name=officer, role=Role.officer,
                             password_hash="!")
            db.add(user)
            db.flush()
            staff_id = user.id
        message = Message(conversation_id=conversation.id, author=author, text=text, buttons=buttons,
                          staff_id=staff_id)
        db.add(message)
        db.flush()
        return message.id


def pushed_at(message_id: int) -> Any:
    with session_scope() as db:
        return db.get(Message, message_id).pushed_at  # type: ignore[union-attr]


# --- commands --------------------------------------------------------------------------------------------------

def test_commands_are_set_and_start_and_help_answer_in_plain_vietnamese(bot: TestClient, tg: FakeTelegram) -> None:
    assert [c["command"] for c in tg.commands] == ["start", "help", "canbo"]
    assert all(c["description"] for c in tg.commands)
    chat = new_chat()
    tg.send_text(chat, "/start")
    [welcome] = tg.wait_sent(chat)
    assert welcome["text"].startswith("Xin chào!")
    assert "/help" in welcome["text"] and "/canbo" in welcome["text"]
    mark = tg.mark()
    tg.send_text(chat, "/help")
    [help_message] = tg.wait_sent(chat, since=mark)
    assert "Cách dùng trợ lý" in help_message["text"] and "/canbo" in help_message["text"]
    for call in tg.calls_of("sendMessage", chat_id=chat):
        assert "parse_mode" not in call.params  # plain text: nothing is read as markup
    assert conversation_messages(chat) == []  # /start and /help are answered by the channel, not stored


def test_unknown_commands_and_stickers_get_a_hint(bot: TestClient, tg: FakeTelegram) -> None:
    chat = new_chat()
    tg.send_text(chat, "/xoa_het")
    tg.send_sticker(chat)
    first, second = tg.wait_sent(chat, count=2)
    assert first["text"] == telegram.UNKNOWN_COMMAND
    assert second["text"] == telegram.TEXT_ONLY


# --- text through the gateway ----------------------------------------------------------------------------------

def test_text_goes_through_the_gateway_and_buttons_become_an_inline_keyboard(bot: TestClient,
                                                                              tg: FakeTelegram) -> None:
    chat = new_chat()
    update_id = tg.send_text(chat, "làm căn cước cần giấy tờ gì")
    [reply] = tg.wait_sent(chat)
    assert reply["text"] == BOT_UNAVAILABLE  # Rasa is down in unit tests
    stored = conversation_messages(chat)
    assert [(m.author, m.text) for m in stored] == [(MessageAuthor.citizen, "làm căn cước cần giấy tờ gì"),
                                                    (MessageAuthor.bot, BOT_UNAVAILABLE)]
    assert stored[0].client_msg_id == f"tg:{update_id}"
    [[button]] = reply["reply_markup"]["inline_keyboard"]
    assert button == {"text": "Gặp cán bộ", "callback_data": f"b:{stored[1].id}:0"}
    assert tg.calls_of("sendChatAction", chat_id=chat)[0].params["action"] == "typing"


def test_a_button_press_sends_the_stored_payload_even_over_64_bytes(bot: TestClient, tg: FakeTelegram,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(LONG_PAYLOAD.encode()) > 64
    title = "Cấp giấy chứng nhận quyền sử dụng đất lần đầu"
    received = fake_rasa(bot, monkeypatch, [{"text": "Bạn hỏi thủ tục nào?", "buttons": [
        {"title": "Đăng ký đất đai", "payload": '/choose_option{"procedure_id": "dang-ky-dat-dai"}'},
        {"title": title, "payload": LONG_PAYLOAD}]}])
    chat = new_chat()
    tg.send_text(chat, "so do")
    [question] = tg.wait_sent(chat)
    buttons = tg.buttons(question)
    assert [b["text"] for b in buttons] == ["Đăng ký đất đai", title]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    mark = tg.mark()
    update_id = tg.press(chat, question["message_id"], title=title)
    tg.wait_sent(chat, since=mark)
    assert received[-1] == (f"telegram:{chat}", LONG_PAYLOAD)
    citizen = [m for m in conversation_messages(chat) if m.author == MessageAuthor.citizen][-1]
    assert (citizen.text, citizen.payload, citizen.client_msg_id) == (title, LONG_PAYLOAD, f"tg:{update_id}")
    assert tg.calls_of("answerCallbackQuery")  # the spinner stops
    marked = tg.message(chat, question["message_id"])["reply_markup"]["inline_keyboard"]
    assert marked == [[{"text": f"✓ {title}", "callback_data": telegram.CHOSEN}]]
    mark = tg.mark()
    tg.press(chat, question["message_id"], title=f"✓ {title}")  # the mark itself does nothing
    tg.wait_calls("answerCallbackQuery", since=mark)
    assert tg.calls_of("answerCallbackQuery", since=mark)[0].params["text"] == telegram.ALREADY_CHOSEN
    assert len(received) == 2


def test_forged_and_foreign_callback_data_are_refused(bot: TestClient, tg: FakeTelegram,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    received = fake_rasa(bot, monkeypatch, [{"text": "Chọn:", "buttons": [{"title": "A", "payload": "/greet"}]}])
    owner, other = new_chat(), new_chat()
    tg.send_text(owner, "xin chào")
    tg.wait_sent(owner)
    owners_message = [m for m in conversation_messages(owner) if m.author == MessageAuthor.bot][-1]
    tg.send_text(other, "/start")
    tg.wait_sent(other)
    mark = tg.mark()
    for data in (f"b:{owners_message.id}:0", "b:999999999:0", f"b:{owners_message.id}:7", "xyz", "b:1:-1"):
        tg.press_data(other, 1, data)
    answers = tg.wait_calls("answerCallbackQuery", since=mark, count=5)
    assert {a.params["text"] for a in answers} == {telegram.STALE_BUTTON}
    assert len(received) == 1 and conversation_messages(other) == []


def test_long_replies_are_split_and_markup_characters_stay_text(bot: TestClient, tg: FakeTelegram,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    paragraph = "Hồ sơ gồm <b>tờ khai</b> & *bản sao* _giấy tờ_ [1](x) `mã`. " * 30
    long_text = "\n\n".join([paragraph] * 6)
    assert len(long_text) > 2 * 4096
    fake_rasa(bot, monkeypatch, [{"text": long_text, "buttons": [{"title": "Lệ phí", "payload": "/ask_fee"}]}])
    chat = new_chat()
    tg.send_text(chat, "ho so gom gi")
    parts = tg.wait_sent(chat, count=3)
    time.sleep(0.3)
    assert len(tg.sent(chat)) == 3
    assert all(utf16_len(p["text"]) <= 4096 for p in parts)
    assert "".join(p["text"] for p in parts).replace("\n", "").replace(" ", "") == \
        long_text.replace("\n", "").replace(" ", "")
    assert [bool(p.get("reply_markup")) for p in parts] == [False, False, True]
    assert "<b>tờ khai</b> & *bản sao*" in parts[0]["text"]
    assert all("parse_mode" not in c.params for c in tg.calls_of("sendMessage", chat_id=chat))


def test_split_text_prefers_breaks_and_counts_utf16() -> None:
    assert telegram.split_text("ngắn") == ["ngắn"]
    words = " ".join(["thủ-tục"] * 2000)
    parts = telegram.split_text(words, limit=1000)
    assert all(utf16_len(p) <= 1000 and not p.startswith(" ") for p in parts)
    assert " ".join(parts) == words
    emoji = "😀" * 3000  # 2 UTF-16 units each
    assert [utf16_len(p) for p in telegram.split_text(emoji)] == [4096, 1904]
    assert telegram.parse_callback_data(telegram.callback_data(123, 4)) == (123, 4)
    assert telegram.parse_callback_data("b:12") is None


def test_canbo_reaches_the_officers_without_rasa(bot: TestClient, tg: FakeTelegram,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    received = fake_rasa(bot, monkeypatch, [{"text": "không được dùng"}])
    chat = new_chat()
    tg.send_text(chat, "/canbo")
    told = [m["text"] for m in tg.wait_sent(chat, count=2)]  # the answer, and the system notice pushed
    assert received == []  # the gateway opens the handoff itself: it works while Rasa is down
    assert any("vị trí thứ" in text for text in told)
    citizen = [m for m in conversation_messages(chat) if m.author == MessageAuthor.citizen][-1]
    assert (citizen.text, citizen.payload) == ("Gặp cán bộ", "/request_human")


def test_rate_limit_per_chat_with_one_notice(migrated: None, tg: FakeTelegram) -> None:
    for _client in run_bot(tg, conversation_rate_per_minute=3):
        chat, other = new_chat(), new_chat()
        for n in range(6):
            tg.send_text(chat, f"câu hỏi số {n}")
        tg.wait_sent(chat, count=4)
        time.sleep(0.5)
        texts = [m["text"] for m in tg.sent(chat)]
        assert texts.count(BOT_UNAVAILABLE) == 3 and texts.count(telegram.RATE_LIMITED) == 1
        assert len(texts) == 4
        tg.send_text(other, "xin chào")  # other chats are not affected
        assert tg.wait_sent(other)[0]["text"] == BOT_UNAVAILABLE


# --- webhook ---------------------------------------------------------------------------------------------------

def text_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": 7, "date": int(time.time()), "text": text,
        "chat": {"id": chat_id, "type": "private", "first_name": "An"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "An"}}}


def test_webhook_checks_the_secret_and_handles_a_redelivered_update_once(webhook_bot: TestClient,
                                                                          tg: FakeTelegram) -> None:
    assert tg.webhook["url"] == "https://tro-ly.example.vn/telegram/webhook"
    assert tg.webhook["secret_token"] == "bi-mat_123"
    chat = new_chat()
    tg.open_chat(chat)
    update = text_update(555_001, chat, "thủ tục khai sinh")
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "sai"}):
        response = webhook_bot.post("/telegram/webhook", json=update, headers=headers)
        assert response.status_code == 403
    good = {"X-Telegram-Bot-Api-Secret-Token": "bi-mat_123"}
    assert webhook_bot.post("/telegram/webhook", content=b"{oops", headers=good).status_code == 400
    assert webhook_bot.post("/telegram/webhook", json=update, headers=good).status_code == 200
    tg.wait_sent(chat)
    assert webhook_bot.post("/telegram/webhook", json=update, headers=good).status_code == 200  # Telegram retried
    time.sleep(1.0)
    assert len(tg.sent(chat)) == 1
    assert [m.author for m in conversation_messages(chat)] == [MessageAuthor.citizen, MessageAuthor.bot]
    assert not tg.calls_of("getUpdates", ok=None)  # no polling in webhook mode


def test_webhook_stores_a_button_press_and_canbo_before_acknowledging_them(webhook_bot: TestClient,
                                                                           tg: FakeTelegram,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Every citizen message of an update (a button press, /canbo, as well as text) is stored when the webhook
    answers 200, once however often Telegram sends the update; the bot's answer comes after."""
    fake_rasa(webhook_bot, monkeypatch, [{"text": "Bạn hỏi thủ tục nào?", "buttons": [
        {"title": "Đăng ký đất đai", "payload": LONG_PAYLOAD}]}])
    good = {"X-Telegram-Bot-Api-Secret-Token": "bi-mat_123"}
    chat = new_chat()
    tg.open_chat(chat)
    assert webhook_bot.post("/telegram/webhook", json=text_update(556_001, chat, "so do"), headers=good).status_code \
        == 200
    [question] = tg.wait_sent(chat)
    mark = tg.mark()
    tg.press(chat, question["message_id"], title="Đăng ký đất đai")
    press = tg._updates[-1]  # as Telegram would post it
    canbo = {**text_update(556_003, chat, "/canbo"), "update_id": 556_003}
    canbo["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]
    for update, payload in ((press, LONG_PAYLOAD), (canbo, "/request_human")):
        for _ in range(2):  # the second time as Telegram sends an update again
            assert webhook_bot.post("/telegram/webhook", json=update, headers=good).status_code == 200
            citizen = [m for m in conversation_messages(chat) if m.client_msg_id == f"tg:{update['update_id']}"]
            assert [(m.author, m.payload) for m in citizen] == [(MessageAuthor.citizen, payload)]
    tg.wait_sent(chat, count=2, since=mark)
    assert tg.calls_of("answerCallbackQuery", since=mark)  # the spinner stops
    assert len([m for m in conversation_messages(chat) if m.author == MessageAuthor.citizen]) == 3


def checks(client: TestClient) -> dict:
    """/readyz's checks, as the stack's processes and staff see them."""
    return client.get("/readyz", headers=bot_headers(client)).json()["checks"]


def test_no_token_no_telegram(client: TestClient) -> None:
    assert client.app.state.telegram is None
    assert client.post("/telegram/webhook", json={"update_id": 1}).status_code == 404
    assert "telegram" not in client.get("/readyz", headers=bot_headers(client)).json()["checks"]


def test_readyz_reports_telegram_without_requiring_it(bot: TestClient) -> None:
    body = bot.get("/readyz", headers=bot_headers(bot)).json()
    assert body["checks"]["telegram"] == {"ok": True, "detail": "polling as @tlhc_test_bot", "required": False}
    assert set(body["checks"]) >= {"database", "rasa", "action_server", "search_index"}


def test_the_bot_token_never_reaches_the_logs(bot: TestClient, tg: FakeTelegram,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    chat = new_chat()
    tg.send_text(chat, "số điện thoại của tôi là 0912345678")
    tg.wait_sent(chat)
    assert tg.token not in caplog.text
    assert "0912345678" not in caplog.text  # message texts are not logged, not even at DEBUG


# --- pushing officer and system messages -----------------------------------------------------------------------

def test_an_officer_reply_is_pushed_once_with_the_officers_name(bot: TestClient, tg: FakeTelegram) -> None:
    chat = new_chat()
    tg.open_chat(chat)
    message_id = store(chat, MessageAuthor.officer, "Bạn mang theo giấy khai sinh bản chính nhé.",
                       officer="Nguyễn Văn A")
    [pushed] = tg.wait_sent(chat)
    assert pushed["text"] == "Cán bộ Nguyễn Văn A: Bạn mang theo giấy khai sinh bản chính nhé."
    tg.wait_for(lambda: pushed_at(message_id) is not None, what="pushed_at")
    events.get_bus().publish(events.MESSAGES)  # wake the pusher again: nothing new to send
    store(new_chat(), MessageAuthor.bot, "(another conversation)")  # bot messages are never pushed
    time.sleep(1.0)
    assert len(tg.sent(chat)) == 1


def test_the_rating_request_is_pushed_with_star_buttons_that_work(bot: TestClient, tg: FakeTelegram,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    received = fake_rasa(bot, monkeypatch, [{"text": "Cảm ơn bạn đã đánh giá!"}])
    chat = new_chat()
    tg.open_chat(chat)
    message_id = store(chat, MessageAuthor.system, RATING_REQUEST, RATING_BUTTONS)
    [request] = tg.wait_sent(chat)
    assert request["text"] == RATING_REQUEST
    assert [b["text"] for b in tg.buttons(request)] == ["5 sao", "4 sao", "3 sao", "2 sao", "1 sao"]
    assert tg.buttons(request)[0]["callback_data"] == f"b:{message_id}:0"
    mark = tg.mark()
    tg.press(chat, request["message_id"], title="4 sao")
    assert tg.wait_sent(chat, since=mark)[0]["text"] == "Cảm ơn bạn đã đánh giá!"
    assert received == [(f"telegram:{chat}", '/rate{"rating": "4"}')]


def test_a_blocked_chat_is_marked_and_logged_not_retried(bot: TestClient, tg: FakeTelegram,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    chat = new_chat()
    tg.open_chat(chat)
    tg.block(chat)
    message_id = store(chat, MessageAuthor.officer, "Bạn còn cần hỗ trợ gì không?", officer="Trần Thị B")
    tg.wait_for(lambda: pushed_at(message_id) is not None, what="pushed_at")
    time.sleep(1.5)
    assert len(tg.calls_of("sendMessage", chat_id=chat, ok=False)) == 1
    [refused] = [r for r in caplog.records if "push refused" in r.getMessage()]
    assert refused.error == "Forbidden: bot was blocked by the user"  # type: ignore[attr-defined]


def test_transient_errors_are_retried_and_the_message_sent_once(bot: TestClient, tg: FakeTelegram) -> None:
    chat = new_chat()
    tg.open_chat(chat)
    tg.fail_next("sendMessage", 502, "Bad Gateway", count=2)
    message_id = store(chat, MessageAuthor.officer, "Hồ sơ của bạn đã đủ.", officer="Lê Văn C")
    [pushed] = tg.wait_sent(chat, timeout=20)
    assert pushed["text"] == "Cán bộ Lê Văn C: Hồ sơ của bạn đã đủ."
    tg.wait_for(lambda: pushed_at(message_id) is not None, what="pushed_at")
    time.sleep(1.0)
    assert len(tg.sent(chat)) == 1
    assert len(tg.calls_of("sendMessage", ok=False)) == 2


def test_unpushed_messages_are_sent_after_a_restart_and_not_again(migrated: None, tg: FakeTelegram) -> None:
    chat = new_chat()
    tg.open_chat(chat)
    message_id = store(chat, MessageAuthor.system, "Cán bộ Phạm D đã tham gia cuộc trò chuyện.")  # app not running
    for _client in run_bot(tg):
        tg.wait_sent(chat)
        tg.wait_for(lambda: pushed_at(message_id) is not None, what="pushed_at")
    for _client in run_bot(tg):  # a second start does not send it again
        time.sleep(1.0)
    assert len(tg.sent(chat)) == 1


# --- start-up --------------------------------------------------------------------------------------------------

def test_telegram_down_at_start_does_not_stop_the_app_and_it_connects_later(migrated: None,
                                                                           tg: FakeTelegram) -> None:
    tg.fail_next("getMe", 502, "Bad Gateway", count=2)
    app = create_app(settings_for(tg))
    with TestClient(app, base_url="https://testserver") as client:
        assert client.get("/healthz").status_code == 200  # served while Telegram is unreachable
        tg.wait_polling(timeout=20)  # retried after 1 s and 2 s
        assert len(tg.calls_of("getMe", ok=False)) == 2
        tg.wait_for(lambda: checks(client)["telegram"]["ok"], what="telegram ready")


def test_a_refused_token_turns_the_channel_off(migrated: None, tg: FakeTelegram) -> None:
    app = create_app(Settings(telegram_bot_token="42:not-the-token", telegram_api_base_url=tg.base_url))
    with TestClient(app, base_url="https://testserver") as client:
        tg.wait_for(lambda: checks(client)["telegram"]["detail"] == "invalid token",
                    what="the refusal")
        assert checks(client)["telegram"]["ok"] is False
    assert tg.calls == []  # the fake records calls with its own token only


def test_two_replicas_on_postgres_push_each_message_once_and_in_order(postgres_url: str, tg: FakeTelegram,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(postgres_url)
    engine = create_engine(postgres_url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    @contextmanager
    def pg_session() -> Iterator[Session]:
        session = factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    monkeypatch.setattr(pusher_module, "session_scope", pg_session)
    chats = [new_chat(), new_chat()]
    with pg_session() as db:
        for chat in chats:
            tg.open_chat(chat)
            conversation = Conversation(channel="telegram", user_id=str(chat), mode=ConversationMode.assigned)
            db.add(conversation)
            db.flush()
            db.add_all(Message(conversation_id=conversation.id, author=MessageAuthor.system, text=f"tin {n}")
                       for n in range(5))
    tg.slow("sendMessage", 0.1)

    async def two_replicas() -> list[int]:
        settings = settings_for(tg)
        limits = RateLimits(conversation_per_minute=30, client_per_minute=100, search_per_minute=10)
        replicas = [TelegramChannel(settings, Gateway(settings, RasaClient("http://127.0.0.1:1", 1), limits))
                    for _ in "ab"]
        for replica in replicas:
            await replica.app.initialize()
        try:
            sent = await asyncio.gather(*(replica.pusher.push_pending() for replica in replicas))
            sent += await asyncio.gather(*(replica.pusher.push_pending() for replica in replicas))  # what was "taken"
            return sent
        finally:
            for replica in replicas:
                await replica.stop()

    assert sum(asyncio.run(two_replicas())) == 10
    for chat in chats:
        assert [m["text"] for m in tg.sent(chat)] == [f"tin {n}" for n in range(5)]
    with pg_session() as db:
        assert db.scalar(select(Message.id).where(Message.pushed_at.is_(None))) is None
    engine.dispose()
