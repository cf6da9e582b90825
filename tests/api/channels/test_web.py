"""The web widget's WebSocket protocol, the widget script and the demo page (no Rasa: the bot apologises)."""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from api.channels import web as widget
from api.core.config import get_settings
from api.db.base import session_scope
from api.db.models import Conversation, Message, MessageAuthor, Role, StaffUser
from api.services import handoffs, staff
from tests.utils.bot import open_handoff_via_bot

WIDGET_JS = Path(widget.__file__).resolve().parents[1] / "static" / "widget" / "widget.js"
_pool = ThreadPoolExecutor(max_workers=4)


def new_key() -> str:
    return secrets.token_urlsafe(24)  # 32 characters of A-Z a-z 0-9 _ -


def cid() -> str:
    return uuid.uuid4().hex


class Socket:
    """A test WebSocket whose reads time out instead of hanging the test run."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def recv(self, timeout: float = 10) -> dict[str, Any]:
        return _pool.submit(self.session.receive_json).result(timeout=timeout)

    def send(self, frame: dict[str, Any] | str) -> None:
        self.session.send_text(frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False))

    def until(self, done: Callable[[dict[str, Any]], bool], timeout: float = 10) -> list[dict[str, Any]]:
        """Frames received up to and including the first one for which `done` is true."""
        deadline = time.monotonic() + timeout
        frames: list[dict[str, Any]] = []
        while True:
            frames.append(self.recv(max(0.1, deadline - time.monotonic())))
            if done(frames[-1]):
                return frames

    def history(self) -> list[dict[str, Any]]:
        """The stored messages sent on connect (the `mode` frame closes the history)."""
        frames = self.until(lambda f: f["type"] == "mode")
        assert all(f["type"] == "message" for f in frames[:-1]), frames
        return [f["message"] for f in frames[:-1]]

    def say(self, text: str, client_id: str | None = None) -> list[dict[str, Any]]:
        client_id = client_id or cid()
        self.send({"type": "message", "id": client_id, "text": text})
        return self.until(lambda f: f["type"] in ("ack", "error") and f.get("id") == client_id)


@pytest.fixture()
def connect(client: TestClient) -> Iterator[Callable[..., Socket]]:
    opened: list[Any] = []

    def _connect(key: str, after: int | str = 0) -> Socket:
        context = client.websocket_connect(f"/api/v1/widget/ws?key={key}&after={after}")
        session = context.__enter__()
        opened.append(context)
        return Socket(session)

    yield _connect
    for context in reversed(opened):
        with contextlib.suppress(Exception):  # already closed by the server
            context.__exit__(None, None, None)


def messages(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f["message"] for f in frames if f["type"] == "message"]


def stored(key: str) -> list[Message]:
    with session_scope() as db:
        conversation = db.scalar(select(Conversation).where(Conversation.channel == "web", Conversation.user_id == key))
        if conversation is None:
            return []
        return list(db.scalars(select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)))


# --- the conversation -----------------------------------------------------------------------------------------

def test_message_is_stored_acknowledged_answered_and_replayed_on_reconnect(connect) -> None:
    key = new_key()
    ws = connect(key)
    assert ws.history() == []  # a new conversation: nothing yet, mode "bot"
    client_id = cid()
    frames = ws.say("làm hộ chiếu cần giấy tờ gì", client_id)
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "typing" and frames[0]["on"] is True
    citizen, bot = messages(frames)
    assert citizen["author"] == "citizen" and citizen["text"] == "làm hộ chiếu cần giấy tờ gì"
    assert citizen["client_id"] == client_id and citizen["author_name"] is None
    assert bot["author"] == "bot" and "tạm gián đoạn" in bot["text"]  # Rasa is down in unit tests
    assert bot["buttons"] == [{"title": "Gặp cán bộ", "payload": "/request_human"}]
    assert bot["id"] > citizen["id"] and bot["created_at"].endswith("+00:00")
    ack = frames[-1]
    assert ack == {"type": "ack", "id": client_id, "message_id": citizen["id"], "duplicate": False}
    assert ws.recv() == {"type": "typing", "on": False}

    again = connect(key)  # a reload: everything from the start, in id order
    replay = again.history()
    assert [(m["id"], m["author"]) for m in replay] == [(citizen["id"], "citizen"), (bot["id"], "bot")]
    assert replay[0]["client_id"] == client_id
    later = connect(key, after=citizen["id"])  # a reconnect: only what came after the cursor
    assert [m["id"] for m in later.history()] == [bot["id"]]


def test_retried_message_is_stored_once(connect) -> None:
    key = new_key()
    ws = connect(key)
    ws.history()
    client_id = cid()
    first = ws.say("đăng ký khai sinh ở đâu", client_id)[-1]
    ws.recv()  # typing off
    second = ws.say("đăng ký khai sinh ở đâu", client_id)
    assert second[-1] == {"type": "ack", "id": client_id, "message_id": first["message_id"], "duplicate": True}
    assert messages(second) == []  # nothing new was stored, no bot reply either
    other = connect(key, after=first["message_id"])  # a resend after a reconnect (the ack was lost)
    other.history()
    third = other.say("đăng ký khai sinh ở đâu", client_id)
    assert third[-1]["duplicate"] is True and third[-1]["message_id"] == first["message_id"]
    rows = stored(key)
    assert [m.client_msg_id for m in rows if m.author == MessageAuthor.citizen] == [client_id]
    assert len([m for m in rows if m.author == MessageAuthor.bot]) == 1


def test_button_press_sends_the_payload_and_stores_its_title(connect) -> None:
    key = new_key()
    ws = connect(key)
    ws.history()
    client_id = cid()
    ws.send({"type": "message", "id": client_id, "payload": '/choose_option{"procedure_id": "cap-ho-chieu"}',
             "title": "Cấp hộ chiếu phổ thông"})
    frames = ws.until(lambda f: f["type"] == "ack")
    citizen = messages(frames)[0]
    assert citizen["text"] == "Cấp hộ chiếu phổ thông" and citizen["client_id"] == client_id
    [row] = [m for m in stored(key) if m.author == MessageAuthor.citizen]
    assert row.payload == '/choose_option{"procedure_id": "cap-ho-chieu"}'


# --- refused frames: a Vietnamese error, and the connection stays open ----------------------------------------

@pytest.mark.parametrize(("frame", "code", "words"), [
    ({"type": "message", "id": "c1", "text": "   "}, "empty_message", "Tin nhắn đang trống"),
    ({"type": "message", "id": "c1", "text": "a" * 2001}, "message_too_long", "2.000 ký tự"),
    ({"type": "message", "id": "c1", "text": "x", "payload": "/greet"}, "text_and_payload", "Chỉ gửi một"),
    ({"type": "message", "id": "c1", "payload": "greet"}, "invalid_payload", "Nút bấm không hợp lệ"),
    ({"type": "message", "id": "c 1", "text": "xin chào"}, "invalid_id", "mã tin nhắn"),
    ({"type": "message", "text": "xin chào"}, "invalid_id", "mã tin nhắn"),
    ({"type": "message", "id": "c1", "text": 42}, "bad_frame", "không hợp lệ"),
    ({"type": "subscribe"}, "unknown_type", "không được hỗ trợ"),
    ("{not json", "bad_json", "không phải JSON"),
    ("[1, 2]", "bad_frame", "không hợp lệ"),
    ("x" * (9 * 1024), "frame_too_large", "quá dài"),
])
def test_refused_frame_is_explained_in_vietnamese(connect, frame: Any, code: str, words: str) -> None:
    key = new_key()
    ws = connect(key)
    ws.history()
    ws.send(frame)
    error = ws.recv()
    assert error["type"] == "error" and error["code"] == code, error
    assert words in error["message"]
    if isinstance(frame, dict) and frame.get("id") == "c1":
        assert error["id"] == "c1"  # the widget knows which message was refused
    ws.send({"type": "ping"})
    assert ws.recv() == {"type": "pong"}  # still open
    assert stored(key) == []


def test_exactly_2000_characters_are_accepted(connect) -> None:
    ws = connect(new_key())
    ws.history()
    frames = ws.say("á" * 2000)
    assert frames[-1]["type"] == "ack" and messages(frames)[0]["text"] == "á" * 2000


def test_too_many_messages_are_refused_per_conversation(connect) -> None:
    ws = connect(new_key())
    ws.history()
    ids = [cid() for _ in range(get_settings().conversation_rate_per_minute + 5)]
    for client_id in ids:
        ws.send({"type": "message", "id": client_id, "text": "xin chào"})
    refused = ws.until(lambda f: f["type"] == "error")[-1]
    assert refused["code"] == "rate_limited" and "quá nhanh" in refused["message"] and refused["id"] in ids


@pytest.mark.parametrize(("key", "after", "reason"), [
    ("ngan-qua", 0, "invalid_key"),  # shorter than 16
    ("a" * 65, 0, "invalid_key"),
    ("khoa-co-dau-cách-123456", 0, "invalid_key"),
    ("abcdefghijklmnop<script>", 0, "invalid_key"),
    ("", 0, "invalid_key"),
    (new_key(), "-1", "invalid_after"),
    (new_key(), "abc", "invalid_after"),
])
def test_bad_key_or_cursor_is_refused_with_a_reason(connect, key: str, after: Any, reason: str) -> None:
    ws = connect(key, after)
    error = ws.recv()
    assert error["type"] == "error" and error["code"] == reason and error["message"]
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.recv()
    assert closed.value.code == widget.CLOSE_INVALID and closed.value.reason.startswith(reason + ":")
    if reason == "invalid_key":
        with session_scope() as db:
            assert db.scalar(select(Conversation).where(Conversation.channel == "web",
                                                        Conversation.user_id == key)) is None


# --- live delivery from the officers ------------------------------------------------------------------------------

def test_handoff_claim_and_officer_reply_reach_an_open_socket_live(client: TestClient, connect) -> None:
    key = new_key()
    ws = connect(key)
    ws.history()
    ws.say("tôi cần hỏi về hộ chiếu")
    ws.until(lambda f: f["type"] == "typing" and f["on"] is False)

    opened = open_handoff_via_bot(client, f"web:{key}")
    frames = ws.until(lambda f: f["type"] == "mode", timeout=3)  # signalled: well before the 15 s re-read
    assert frames[-1]["mode"] == "waiting"
    assert [m["author"] for m in messages(frames)] == ["system"]

    queued = ws.say("tôi chờ bao lâu?")  # with the officers: told the queue position, not stored, no typing
    assert "typing" not in [f["type"] for f in queued]
    notice = ws.recv()
    assert notice["type"] == "notice" and "hàng chờ" in notice["text"]

    with session_scope() as db:
        officer = StaffUser(username=f"officer-{uuid.uuid4().hex[:8]}", full_name="Nguyễn Thị Lan",
                            role=Role.officer, password_hash="!")
        db.add(officer)
        db.flush()
        token = staff.open_session(db, officer, 60).token
    claimed = client.post(f"/api/v1/handoffs/{opened['handoff_id']}/claim",
                          headers={"Authorization": f"Bearer {token}"})
    assert claimed.status_code == 200, claimed.text
    frames = ws.until(lambda f: f["type"] == "mode", timeout=3)
    assert frames[-1]["mode"] == "assigned"
    assert [m["text"] for m in messages(frames)] == ["Cán bộ Nguyễn Thị Lan đã tham gia cuộc trò chuyện."]

    started = time.monotonic()
    with session_scope() as db:  # stored by the domain function, as the officers' API and console do
        handoffs.reply(db, opened["handoff_id"], db.get(StaffUser, officer.id),
                       "Chào bạn, bạn cần mang theo căn cước và ảnh chân dung.")
    reply = ws.recv(timeout=3)
    assert time.monotonic() - started < 1.5
    assert reply["type"] == "message"
    assert reply["message"]["author"] == "officer" and reply["message"]["author_name"] == "Nguyễn Thị Lan"
    assert reply["message"]["text"].startswith("Chào bạn")

    history = connect(key).history()  # the notice was told, not stored
    assert [m["author"] for m in history] == ["citizen", "bot", "system", "citizen", "system", "officer"]


def test_a_second_tab_takes_the_conversation_over(connect, monkeypatch: pytest.MonkeyPatch) -> None:
    """One live socket per key: the older tab is closed with 4409 and a reason; the newer one gets the replies."""
    monkeypatch.setattr(widget, "WAKE_TIMEOUT", 1.0)
    key = new_key()
    first_tab = connect(key)
    first_tab.history()
    second_tab = connect(key)
    second_tab.history()
    with pytest.raises(WebSocketDisconnect) as closed:
        first_tab.until(lambda f: False, timeout=5)
    assert closed.value.code == widget.CLOSE_REPLACED and closed.value.reason.startswith("replaced:")
    got = messages(second_tab.say("xin chào") + second_tab.until(lambda f: f == {"type": "typing", "on": False}))
    assert [m["author"] for m in got] == ["citizen", "bot"]


def test_sockets_are_capped_per_address_and_in_total(client: TestClient, connect,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client.app.state.settings, "widget_sockets_per_address", 2)
    monkeypatch.setattr(client.app.state.settings, "widget_sockets_total", 3)
    client.app.state.widget_sockets = None  # made again from the settings above
    first, second = connect(new_key()), connect(new_key())
    first.history(), second.history()
    third = connect(new_key())  # the test client always comes from one address
    error = third.recv()
    assert error["code"] == "too_many_sockets" and "quá nhiều cửa sổ" in error["message"]
    with pytest.raises(WebSocketDisconnect) as closed:
        third.recv()
    assert closed.value.code == widget.CLOSE_POLICY
    sockets = client.app.state.widget_sockets
    assert sockets.open == 2  # the refused socket is not counted
    sockets.per_address = 10
    connect(new_key()).history()
    busy = connect(new_key())
    assert busy.recv()["code"] == "busy"
    with pytest.raises(WebSocketDisconnect) as closed:
        busy.recv()
    assert closed.value.code == widget.CLOSE_BUSY


def test_a_closed_socket_frees_its_place(client: TestClient) -> None:
    with client.websocket_connect(f"/api/v1/widget/ws?key={new_key()}") as ws:
        ws.receive_json()
        assert client.app.state.widget_sockets.open == 1
    deadline = time.monotonic() + 5
    while client.app.state.widget_sockets.open and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.app.state.widget_sockets.open == 0 and not client.app.state.widget_sockets.by_key


# --- the script and the demo page ---------------------------------------------------------------------------------

def test_widget_script_is_served_with_caching_and_gzip(client: TestClient) -> None:
    response = client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.content == WIDGET_JS.read_bytes()
    etag = response.headers["etag"]
    assert "max-age=300" in response.headers["cache-control"]
    assert client.get("/widget.js", headers={"If-None-Match": etag}).status_code == 304
    zipped = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == WIDGET_JS.read_bytes()
    versioned = client.get(f"/widget.js?v={etag.strip(chr(34))}")
    assert "immutable" in versioned.headers["cache-control"]
    assert "immutable" not in client.get("/widget.js?v=old").headers["cache-control"]


def test_widget_is_under_30_kb_gzipped() -> None:
    size = len(gzip.compress(WIDGET_JS.read_bytes(), 9))
    assert size < 30 * 1024, f"widget.js is {size} bytes gzipped"


def test_widget_never_writes_html() -> None:
    source = WIDGET_JS.read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, sink


def test_demo_page_embeds_the_widget_with_one_tag(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="vi">' in page and "trình diễn" in page.lower()
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/widget.js" defer>']
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert client.get("/docs").status_code == 200  # nothing else moved


def test_the_widget_key_never_reaches_the_log(migrated: None, capfd: pytest.CaptureFixture[str]) -> None:
    """A real uvicorn server logs every socket with its URL; the key in its query string must not reach the log."""
    import threading

    import uvicorn
    from websockets.sync.client import connect as ws_connect

    from api.main import create_app
    from tests.utils.stack import free_port

    app = create_app()  # the app's logging, as `uvicorn api.main:app` ends up with it
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, log_level="info",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    key = new_key()
    try:
        with ws_connect(f"ws://127.0.0.1:{port}/api/v1/widget/ws?key={key}&after=0") as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "mode"
    finally:
        server.should_exit = True
        thread.join(15)
    logged = capfd.readouterr().err
    assert '"WebSocket /api/v1/widget/ws?…' in logged  # uvicorn's line is there, without its query string
    assert key not in logged
