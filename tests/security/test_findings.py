"""Issue 15: one test per finding (High, Medium, Low) that an in-process app can show, each through HTTP as an
attacker or a user would meet it. The findings that need real processes (internal services, what reaches the log
files, socket caps per address) are in test_internal_services.py and test_findings_stack.py.

Every finding is fixed; a test that fails again names the finding that came back."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from api.core.config import Settings
from api.db.base import session_scope
from api.db.models import Conversation, Message, MessageAuthor, Role
from api.deps import SESSION_COOKIE
from api.main import create_app
from api.services import retention, staff
from tests.utils.bot import bot_turn, open_handoff_via_bot
from tests.utils.staff import PASSWORD, auth_headers, make_staff


@pytest.fixture(scope="module")
def client(migrated: None) -> Iterator[TestClient]:
    """One app for the module (its start builds the search index: seconds)."""
    with TestClient(create_app(), base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture(scope="module")
def admin(client: TestClient) -> dict[str, str]:
    return auth_headers(client, Role.admin)


@pytest.fixture(scope="module")
def officer(client: TestClient) -> dict[str, str]:
    return auth_headers(client, Role.officer)


def sender() -> str:
    return f"sec-{uuid.uuid4().hex[:10]}"


def staff_browser(app: Any, role: Role) -> TestClient:
    """A logged-in staff member with a cookie jar of their own (the session cookie, as the console uses it)."""
    with session_scope() as db:
        user = staff.create_user(db, username=f"{role.value}-{uuid.uuid4().hex[:8]}", full_name="Cán bộ thử",
                                 role=role, password=PASSWORD)
        issued = staff.open_session(db, user, 60)
    browser = TestClient(app, base_url="https://testserver")
    browser.cookies.set(SESSION_COOKIE, issued.token)
    return browser


# --- High ----------------------------------------------------------------------------------------------------------

def test_high_rest_conversation_is_owned_by_its_key(client: TestClient) -> None:
    """Whoever guesses a sender must neither read the officer's replies nor write into the conversation."""
    who = sender()
    first = client.post("/api/v1/chat", json={"sender": who, "text": "xin chào"})
    assert first.status_code == 200, first.text
    key = first.json()["conversation_key"]
    assert len(key) >= 22  # ≥ 128 bits, URL-safe
    intruder_write = client.post("/api/v1/chat", json={"sender": who, "text": "tôi là chủ cuộc trò chuyện"})
    assert intruder_write.status_code == 403
    assert client.get(f"/api/v1/chat/{who}/messages").status_code == 403
    wrong = client.get(f"/api/v1/chat/{who}/messages", headers={"X-Conversation-Key": "A" * len(key)})
    assert wrong.status_code == 403
    owner = client.get(f"/api/v1/chat/{who}/messages", headers={"X-Conversation-Key": key})
    assert owner.status_code == 200


def _login(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_high_login_guessing_is_throttled_per_account(client: TestClient) -> None:
    username = make_staff()
    for _ in range(4):
        assert _login(client, username, "doan-sai").status_code == 401
    refused = _login(client, username, "doan-sai")  # the fifth failure locks the account
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "thử lại" in refused.json()["message"]
    assert _login(client, username, PASSWORD).status_code == 429  # even the right password waits


def test_high_login_guessing_is_throttled_for_unknown_usernames(client: TestClient) -> None:
    username = f"khong-co-{uuid.uuid4().hex[:6]}"
    codes = [_login(client, username, "doan-sai").status_code for _ in range(6)]
    assert codes[:4] == [401] * 4 and codes[4:] == [429, 429]


def _probe(socket: Any) -> str:
    """'open' if the socket still answers a ping, 'closed' if the server closed it."""
    try:
        socket.send_text(json.dumps({"type": "ping"}))
        for _ in range(20):
            if json.loads(socket.receive_text()).get("type") == "pong":
                return "open"
    except WebSocketDisconnect:
        return "closed"
    return "no pong"


def test_high_one_live_socket_per_widget_key(client: TestClient) -> None:
    key = uuid.uuid4().hex
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(client.websocket_connect(f"/api/v1/widget/ws?key={key}"))
        first.receive_text()  # the mode frame
        try:
            second = stack.enter_context(client.websocket_connect(f"/api/v1/widget/ws?key={key}"))
        except WebSocketDisconnect:
            return  # the second one refused: one live socket
        states = sorted([_probe(first), _probe(second)])
        assert states == ["closed", "open"]


# --- Medium --------------------------------------------------------------------------------------------------------

OUT_OF_SCOPE = "cho hỏi quy định nuôi rồng trong chung cư, số căn cước của tôi là {id}"


@pytest.mark.parametrize("written", ["079 203 004 567", "0010 9901 2345"])
def test_medium_id_numbers_with_spaces_are_masked(client: TestClient, admin: dict[str, str], written: str) -> None:
    """A question the bot cannot answer is kept for admins, masked: ID numbers written with spaces too."""
    bot_turn(client, f"api:{sender()}", "action_answer", text=OUT_OF_SCOPE.format(id=written), intent="nlu_fallback")
    listed = client.get("/api/v1/admin/unanswered", headers=admin)
    assert listed.status_code == 200
    texts = [item["text"] for item in listed.json() if "nuôi rồng" in item["text"]]
    assert texts, "the unanswered question was not recorded"
    kept_at_most = written.split()[-1]  # masking keeps the last digits only: no earlier group may survive
    for text in texts:
        assert not [group for group in written.split()[:-1] if group in text.split()], (text, kept_at_most)


def _old_conversation(days: int) -> int:
    with session_scope() as db:
        conversation = Conversation(channel="api", user_id=sender())
        db.add(conversation)
        db.flush()
        at = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        db.add(Message(conversation_id=conversation.id, author=MessageAuthor.citizen, text="câu hỏi cũ", created_at=at))
        return conversation.id


def test_medium_old_conversations_are_purged(migrated: None) -> None:
    """A conversation silent for longer than RETENTION_DAYS (and with no open handoff or ticket) is deleted by the
    purge the app schedules (tests/api/services/test_retention.py tests the schedule); a recent one is kept."""
    old, recent = _old_conversation(200), _old_conversation(2)
    with TestClient(create_app(Settings(retention_days=180)), base_url="https://testserver"):
            retention.run(Settings(retention_days=180))  # what the app's schedule and `api.cli purge` run
    with session_scope() as db:
        assert db.scalar(select(Message.id).where(Message.conversation_id == old)) is None
        assert db.scalar(select(Message.id).where(Message.conversation_id == recent)) is not None


def test_medium_officers_search_only_conversations_that_reached_officers(client: TestClient) -> None:
    only_bot, handed = f"tuchuyen{uuid.uuid4().hex[:6]}", f"tuchuyen{uuid.uuid4().hex[:6]}"
    client.post("/api/v1/chat", json={"sender": sender(), "text": f"hỏi {only_bot}"})
    who = sender()
    client.post("/api/v1/chat", json={"sender": who, "text": f"hỏi {handed}"})
    open_handoff_via_bot(client, f"api:{who}")
    officer, admin = staff_browser(client.app, Role.officer), staff_browser(client.app, Role.admin)
    officer_bot, officer_handed = (officer.get(f"/console/history?q={w}").text for w in (only_bot, handed))
    # the word is echoed once in the search box; more often only when a result shows it
    assert officer_handed.count(handed) > 1 and officer_bot.count(only_bot) == 1
    assert admin.get(f"/console/history?q={only_bot}").text.count(only_bot) > 1


def _procedure(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    listed = client.get("/api/v1/admin/procedures", headers=headers).json()
    return dict(client.get(f"/api/v1/admin/procedures/{listed[0]['id']}", headers=headers).json())


@pytest.mark.parametrize("field", ["online", "forms"])
def test_medium_javascript_links_are_refused_in_records(client: TestClient, admin: dict[str, str], field: str) -> None:
    headers = admin
    found = _procedure(client, headers)
    record = dict(found["published"])
    if field == "online":
        record["online"] = {"level": "toan_trinh", "url": "javascript:alert(document.cookie)"}
    else:
        record["forms"] = [{"code": "X1", "name": "Tờ khai", "url": "javascript:alert(1)"}]
    saved = client.put(f"/api/v1/admin/procedures/{found['id']}", headers=headers,
                       json={"expected_version": found["version"], "record": record})
    assert saved.status_code == 422, saved.text


def test_medium_staff_change_their_password_after_an_admin_reset(client: TestClient, admin: dict[str, str]) -> None:
    """An account an admin made (or reset) must choose its own password before working."""
    username = f"moi-{uuid.uuid4().hex[:6]}"
    created = client.post("/api/v1/staff/users", headers=admin,
                          json={"username": username, "full_name": "Cán bộ mới", "role": "officer",
                                "password": "mat-khau-tam-2026"})
    assert created.status_code == 201
    _login(client, username, "mat-khau-tam-2026")
    page = client.get("/console/queue", follow_redirects=False)
    assert page.status_code in (302, 303) and "password" in page.headers["location"]


def test_medium_failed_index_rebuild_is_not_silent(client: TestClient, admin: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """A publish whose index rebuild fails (a full disk, simulated) is logged and shown to admins."""
    from knowledge_base.service import SearchService

    def broken(self: SearchService, procedures: Any) -> Any:
        raise OSError("No space left on device")

    monkeypatch.setattr(SearchService, "rebuild", broken)
    headers = admin
    found = _procedure(client, headers)
    saved = client.put(f"/api/v1/admin/procedures/{found['id']}", headers=headers,
                       json={"expected_version": found["version"], "record": found["published"]})
    assert saved.status_code == 200, saved.text
    with caplog.at_level(logging.ERROR):
        published = client.post(f"/api/v1/admin/procedures/{found['id']}/publish", headers=headers,
                                json={"expected_version": saved.json()["version"]})
        assert published.status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(r.levelno >= logging.ERROR for r in caplog.records):
            time.sleep(0.2)
    assert any(r.levelno >= logging.ERROR for r in caplog.records), "the failed rebuild was not logged"
    admin = staff_browser(client.app, Role.admin)
    assert "chỉ mục" in admin.get("/console/admin/procedures").text.lower()


# --- Low -----------------------------------------------------------------------------------------------------------

def test_low_api_docs_are_off_in_production(migrated: None) -> None:
    settings = Settings(environment="production", secret_key="s" * 43)
    with TestClient(create_app(settings), base_url="https://testserver") as production:
        assert production.get("/docs").status_code == 404
        assert production.get("/openapi.json").status_code == 404


def test_low_readiness_details_only_for_staff(client: TestClient, officer: dict[str, str]) -> None:
    client.cookies.clear()  # no staff session from an earlier login
    public = client.get("/readyz")
    assert "checks" not in public.json() and "detail" not in public.text
    detailed = client.get("/readyz", headers=officer)
    assert "checks" in detailed.json()


def test_low_console_pages_carry_security_headers(client: TestClient) -> None:
    page = client.get("/console/login")
    assert page.status_code == 200
    csp = page.headers.get("content-security-policy", "")
    assert "frame-ancestors" in csp and "default-src" in csp
    assert page.headers.get("x-content-type-options") == "nosniff"
    assert "max-age=" in page.headers.get("strict-transport-security", "")


NUL_REQUESTS = [
    ("post", "/api/v1/chat", {"json": {"sender": "nul-probe", "text": "xin\x00chào"}}),
    ("post", "/api/v1/chat", {"json": {"sender": "nul\x00probe", "text": "xin chào"}}),
    ("post", "/api/v1/auth/login", {"json": {"username": "admin\x00", "password": "x"}}),
    ("get", "/api/v1/search?q=h%E1%BB%99%00chi%E1%BA%BFu", {}),
    ("get", "/api/v1/chat/nul%00probe/messages", {}),
    ("get", "/api/v1/procedures/cap-ho-chieu%00", {}),
]


@pytest.fixture()
def postgres_client(postgres_url: str) -> Iterator[TestClient]:
    """The app on PostgreSQL (where U+0000 cannot be stored), migrated and seeded."""
    import os

    from api.db.migrate import upgrade
    from tests.conftest import _reset_database_caches

    previous = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = postgres_url
    _reset_database_caches()
    try:
        upgrade()
        with TestClient(create_app(), base_url="https://testserver") as test_client:
            yield test_client
    finally:
        os.environ["DATABASE_URL"] = previous
        _reset_database_caches()


@pytest.mark.parametrize(("method", "path", "kwargs"), NUL_REQUESTS)
def test_low_nul_character_is_refused_on_postgresql(postgres_client: TestClient, method: str, path: str,
                                                   kwargs: dict[str, Any]) -> None:
    response = getattr(postgres_client, method)(path, **kwargs)
    assert response.status_code == 422, response.text
    assert "NUL" in response.json()["message"]


def test_low_nul_character_in_a_widget_frame_is_refused(client: TestClient) -> None:
    with client.websocket_connect(f"/api/v1/widget/ws?key={uuid.uuid4().hex}") as socket:
        socket.receive_text()  # the mode frame
        socket.send_text(json.dumps({"type": "message", "id": "nul-1", "text": "xin\x00chào"}))
        frame = json.loads(socket.receive_text())
        assert frame["type"] == "error" and frame["code"] == "invalid_character" and frame["id"] == "nul-1"


@pytest.mark.parametrize("action", ["archive", "restore", "publish"])
@pytest.mark.parametrize("version", [2**64, 2**63, -(2**63) - 1, 2**31])
def test_low_oversized_expected_version_is_refused(client: TestClient, admin: dict[str, str], action: str,
                                                   version: int) -> None:
    headers = admin
    found = _procedure(client, headers)
    response = client.post(f"/api/v1/admin/procedures/{found['id']}/{action}", headers=headers,
                           json={"expected_version": version})
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("path", ["/api/v1/staff/users/{n}/deactivate", "/api/v1/admin/unanswered/{n}/resolve"])
def test_low_oversized_ids_in_paths_are_not_server_errors(client: TestClient, admin: dict[str, str], path: str) -> None:
    response = client.post(path.format(n=2**64), headers=admin)
    assert response.status_code in (404, 422), response.text


def test_low_telegram_webhook_update_is_stored_before_it_is_acknowledged(migrated: None,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Telegram does not send an acknowledged update again: when the 200 leaves, the message must be stored (here the
    database is slow — half a second per message — so an early acknowledgement shows), once however often the update
    comes; the bot's answer follows after the acknowledgement."""
    from api.services import gateway
    from tests.utils.fake_telegram import FakeTelegram

    store = gateway.store_citizen_message

    def slow_store(message: Any, settings: Any) -> Any:
        time.sleep(0.5)
        return store(message, settings)

    monkeypatch.setattr(gateway, "store_citizen_message", slow_store)
    with FakeTelegram() as tg:
        settings = Settings(telegram_bot_token=tg.token, telegram_api_base_url=tg.base_url, telegram_mode="webhook",
                            telegram_webhook_url="https://tro-ly.example.vn/telegram/webhook",
                            telegram_webhook_secret="bi-mat_123")
        with TestClient(create_app(settings), base_url="https://testserver") as bot:
            tg.wait_calls("setWebhook")
            chat = 5_000_000_000 + int(uuid.uuid4().int % 10**6)
            tg.open_chat(chat)
            update = {"update_id": 777_001, "message": {
                "message_id": 7, "date": int(time.time()), "text": "thủ tục khai sinh",
                "chat": {"id": chat, "type": "private", "first_name": "An"},
                "from": {"id": chat, "is_bot": False, "first_name": "An"}}}
            for _ in range(2):  # the second time as Telegram would send it again (a lost acknowledgement)
                response = bot.post("/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token":
                                                                                 "bi-mat_123"})
                assert response.status_code == 200
                with session_scope() as db:
                    stored = db.scalars(select(Message.text).join(Conversation,
                                                                  Conversation.id == Message.conversation_id)
                                        .where(Conversation.channel == "telegram", Conversation.user_id == str(chat),
                                               Message.author == MessageAuthor.citizen)).all()
                assert stored == ["thủ tục khai sinh"]
            assert len(tg.wait_sent(chat)) == 1  # answered (Rasa is away here: the apology), once
            time.sleep(0.5)
            assert len(tg.sent(chat)) == 1
