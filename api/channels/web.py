"""The web channel: the embeddable chat widget's WebSocket, the widget script and the demo portal page.

Embed: `<script src="https://HOST/widget.js" defer></script>` (see docs/channels.md).

WebSocket `/api/v1/widget/ws?key=<conversation key>&after=<last message id the client has>`

The key is a random id the browser keeps in localStorage (16–64 characters of `A-Z a-z 0-9 _ -`); it names the
conversation (channel "web", user id = key). A bad key or cursor is accepted and then closed with code 4400 and a
reason ("invalid_key: …"), after an `error` frame; the widget then starts a new conversation. The key travels in the
query string: logs never hold it (api/core/logging.py drops query strings from every line, uvicorn's included).

Sockets are capped per process: WIDGET_SOCKETS_PER_ADDRESS per client address (closed 1008 "too_many_sockets")
and WIDGET_SOCKETS_TOTAL in all (closed 1013 "busy"), each after an `error` frame. One live socket per key: a newer
socket of the same conversation (another tab) replaces the older, which is closed with 4409 "replaced" (the widget
reconnects when its tab is looked at again).

JSON text frames, at most 8 KB each.

client → server
- `{"type": "message", "id": "<client message id>", "text": "…"}`: the citizen typed something;
- `{"type": "message", "id": "…", "payload": "/intent{…}", "title": "…"}`: the citizen pressed a button (`title`,
  optional, is what the citizen sees as their message and is stored as its text);
- `{"type": "ping"}` → `{"type": "pong"}`.
The client id (1–64 of `A-Z a-z 0-9 _ -`, e.g. a UUID) makes a retried send be stored once.

server → client
- `{"type": "message", "message": {id, author, author_name, text, buttons: [{title, payload}], created_at,
  client_id}}` for every stored message after the cursor, in id order: the history on connect, then live
  (author: citizen | bot | officer | system; author_name: the officer's name; client_id: on citizen messages);
- `{"type": "ack", "id": "<client id>", "message_id": n, "duplicate": bool}` once a citizen message is stored
  (duplicate: it had been stored before, nothing was redone);
- `{"type": "typing", "on": true | false}` while the bot works on a message;
- `{"type": "notice", "text": "…"}`: a reply the gateway gives but does not store (the queue position while the
  conversation is with the officers);
- `{"type": "mode", "mode": "bot" | "waiting" | "assigned"}` on connect and when it changes;
- `{"type": "error", "code": "…", "message": "<Vietnamese>", "id": "<client id, if any>"}`: the frame was refused
  (empty, too long, bad JSON, unknown type, too many messages…); the connection stays open.

The database is the truth: a live-delivery task waits for the conversation's wake-up signal (`api.services.events`, or a
15 s timeout) and sends whatever is stored after the cursor. Officer replies therefore reach the widget within
a second, whichever process stored them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response, WebSocket
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect, WebSocketState

from api.core.rate_limits import RateLimits
from api.core.security import as_utc
from api.db.base import session_scope
from api.db.models import Conversation, MessageAuthor
from api.domain.messages import MessageView
from api.services import conversations, events
from api.services.gateway import CitizenMessage, Gateway, MessageRefused

log = logging.getLogger(__name__)

router = APIRouter(tags=["widget"])
pages = APIRouter(include_in_schema=False)  # the demo portal page at "/"

CHANNEL = "web"
STATIC = Path(__file__).resolve().parents[1] / "static" / "widget"
KEY_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
CLIENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_FRAME_BYTES = 8 * 1024
WAKE_TIMEOUT = 15.0  # re-read the database at least this often, signal or not
PAGE = 200  # messages read per query
INBOX = 16  # citizen messages waiting for the gateway per socket (the rate limits are the gateway's)
MAX_REFUSED = 50  # refused frames in a row before the socket is closed
CLOSE_INVALID = 4400
CLOSE_REPLACED = 4409  # the conversation was opened on another socket (another tab): one live socket per key
CLOSE_POLICY = 1008
CLOSE_BUSY = 1013  # try again later: the app holds as many sockets as it allows

ERRORS = {
    "invalid_key": "Mã cuộc trò chuyện không hợp lệ.",
    "invalid_after": "Vị trí tin nhắn (after) không hợp lệ.",
    "bad_json": "Dữ liệu gửi lên không phải JSON hợp lệ.",
    "bad_frame": "Dữ liệu gửi lên không hợp lệ.",
    "frame_too_large": "Tin nhắn quá dài. Bạn vui lòng viết ngắn gọn hơn.",
    "unknown_type": "Loại dữ liệu không được hỗ trợ.",
    "invalid_id": "Thiếu hoặc sai mã tin nhắn (id).",
    "text_and_payload": "Chỉ gửi một trong hai: nội dung tin nhắn hoặc nút bấm.",
    "rate_limited": "Bạn gửi tin nhắn quá nhanh. Vui lòng đợi giây lát rồi gửi lại.",
    "server_error": "Đã có lỗi xảy ra khi xử lý tin nhắn. Bạn vui lòng gửi lại sau ít phút.",
    "replaced": "Cuộc trò chuyện đang được mở ở một cửa sổ khác.",
    "too_many_sockets": "Có quá nhiều cửa sổ trò chuyện đang mở từ địa chỉ của bạn. Bạn vui lòng đóng bớt rồi thử lại.",
    "busy": "Hệ thống đang có rất nhiều người dùng. Bạn vui lòng thử lại sau ít phút.",
}


class Sockets:
    """The widget sockets open in this process: at most WIDGET_SOCKETS_PER_ADDRESS per client address and
    WIDGET_SOCKETS_TOTAL in all; one live socket per conversation key (a newer one replaces the older)."""

    def __init__(self, per_address: int, total: int) -> None:
        self.per_address, self.total = per_address, total
        self.by_address: Counter[str] = Counter()
        self.by_key: dict[str, WidgetSession] = {}
        self.open = 0

    def admit(self, address: str | None) -> str | None:
        """Count a new socket in, or why not ("busy", "too_many_sockets")."""
        if self.open >= self.total:
            return "busy"
        if address and self.by_address[address] >= self.per_address:
            return "too_many_sockets"
        self.open += 1
        if address:
            self.by_address[address] += 1
        return None

    def live(self, session: WidgetSession) -> None:
        """This socket is now its conversation's live one; an older socket of the same key is told to close."""
        older = self.by_key.get(session.key)
        self.by_key[session.key] = session
        if older is not None:
            older.replaced.set()

    def leave(self, address: str | None, session: WidgetSession | None) -> None:
        self.open -= 1
        if address:
            self.by_address[address] -= 1
            if self.by_address[address] <= 0:
                del self.by_address[address]
        if session is not None and self.by_key.get(session.key) is session:
            del self.by_key[session.key]


def sockets_of(websocket: WebSocket) -> Sockets:
    state = websocket.app.state
    if getattr(state, "widget_sockets", None) is None:
        settings = state.settings
        state.widget_sockets = Sockets(settings.widget_sockets_per_address, settings.widget_sockets_total)
    sockets: Sockets = state.widget_sockets
    return sockets


class Refused(Exception):
    """A frame the server will not act on; told to the client as an `error` frame."""

    def __init__(self, code: str, message: str | None = None, client_id: str | None = None) -> None:
        super().__init__(code)
        self.code, self.message, self.client_id = code, message or ERRORS[code], client_id

    def frame(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.client_id:
            body["id"] = self.client_id
        return body


@dataclass
class Outgoing:
    """A citizen message accepted from a frame, waiting for the gateway."""

    client_id: str
    text: str | None
    payload: str | None


@dataclass
class Batch:
    messages: list[dict[str, Any]] = field(default_factory=list)
    mode: str | None = None
    conversation_id: int | None = None


def parse_frame(raw: str) -> Outgoing | None:
    """A client frame → a citizen message to send (its content is checked by the gateway), or None for a ping.
    Raises Refused."""
    if len(raw.encode()) > MAX_FRAME_BYTES:
        raise Refused("frame_too_large")
    try:
        data = json.loads(raw)
    except ValueError:
        raise Refused("bad_json") from None
    if not isinstance(data, dict):
        raise Refused("bad_frame")
    kind = data.get("type")
    if kind == "ping":
        return None
    if kind != "message":
        raise Refused("unknown_type")
    client_id = data.get("id")
    if not isinstance(client_id, str) or not CLIENT_ID_RE.fullmatch(client_id):
        raise Refused("invalid_id")
    text, payload, title = data.get("text"), data.get("payload"), data.get("title")
    if any(v is not None and not isinstance(v, str) for v in (text, payload, title)):
        raise Refused("bad_frame", client_id=client_id)
    text, payload, title = (text or "").strip(), (payload or "").strip(), (title or "").strip()
    if text and payload:
        raise Refused("text_and_payload", client_id=client_id)
    if payload:
        return Outgoing(client_id, title or None, payload)  # the title is stored as what the citizen "said"
    return Outgoing(client_id, text or None, None)


def message_frame(message: MessageView) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": message.id, "author": message.author, "author_name": message.author_name, "text": message.text,
        "buttons": message.buttons, "created_at": as_utc(message.created_at).isoformat(),
    }
    if message.author == MessageAuthor.citizen.value:
        body["client_id"] = message.client_msg_id
    return {"type": "message", "message": body}


def read_after(key: str, after: int, conversation_id: int | None) -> Batch:
    """Up to PAGE stored messages of the conversation after the cursor, and its mode (blocking: run in a thread)."""
    with session_scope() as db:
        if conversation_id is None:
            conversation = conversations.find(db, CHANNEL, key)
        else:
            conversation = db.get(Conversation, conversation_id)
        if conversation is None:
            return Batch()
        written = conversations.read_messages(db, conversation.id, after=after, limit=PAGE)
        return Batch([message_frame(m) for m in written], conversation.mode.value, conversation.id)


class WidgetSession:
    """One open socket: a reader (this coroutine), a worker for citizen messages, a live-delivery pump."""

    def __init__(self, websocket: WebSocket, key: str, after: int) -> None:
        self.ws, self.key, self.cursor = websocket, key, after
        self.conversation_id: int | None = None
        self.mode: str | None = None
        self.send_lock, self.flush_lock = asyncio.Lock(), asyncio.Lock()
        self.inbox: asyncio.Queue[Outgoing] = asyncio.Queue(maxsize=INBOX)
        self.known = asyncio.Event()  # the conversation exists (set once its id is known)
        self.gateway: Gateway = websocket.app.state.gateway
        self.limits: RateLimits = websocket.app.state.limits
        self.client = websocket.client.host if websocket.client else None
        self.socket_id = f"ws:{id(self)}:{time.monotonic_ns()}"
        self.replaced = asyncio.Event()  # the same conversation was opened on a newer socket

    async def send(self, frame: dict[str, Any]) -> None:
        async with self.send_lock:
            if self.ws.application_state == WebSocketState.CONNECTED:
                await self.ws.send_text(json.dumps(frame, ensure_ascii=False))

    async def flush(self) -> None:
        """Send every stored message after the cursor, then the mode if it changed."""
        async with self.flush_lock:
            while True:
                batch = await run_in_threadpool(read_after, self.key, self.cursor, self.conversation_id)
                if batch.conversation_id is not None and self.conversation_id is None:
                    self.conversation_id = batch.conversation_id
                    self.known.set()
                for frame in batch.messages:
                    await self.send(frame)
                    self.cursor = frame["message"]["id"]
                if batch.mode and batch.mode != self.mode:
                    self.mode = batch.mode
                    await self.send({"type": "mode", "mode": batch.mode})
                if len(batch.messages) < PAGE:
                    return

    async def pump(self) -> None:
        """Live delivery: wait for a signal (or the timeout), then read the database after the cursor."""
        bus = events.get_bus()
        await self.flush()  # the history
        if self.mode is None:
            self.mode = "bot"
            await self.send({"type": "mode", "mode": "bot"})
        while True:
            if self.conversation_id is None:  # nothing stored yet: wait for the first message (or another tab's)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.known.wait(), WAKE_TIMEOUT)
                await self.flush()
                continue
            # Subscribe before reading, so that a message stored during the read is not missed.
            waiter = asyncio.create_task(bus.wait([events.conversation_topic(self.conversation_id)], WAKE_TIMEOUT))
            await asyncio.sleep(0)
            try:
                await self.flush()
                await waiter
            finally:
                waiter.cancel()

    def citizen_message(self, item: Outgoing) -> CitizenMessage:
        return CitizenMessage(CHANNEL, self.key, item.text, item.payload, item.client_id, self.client)

    async def work(self) -> None:
        """Send citizen messages to the gateway one at a time, in the order they came."""
        while True:
            item = await self.inbox.get()
            typing = self.mode in (None, "bot")  # with the officers, nobody is typing on the bot's side
            if typing:
                await self.send({"type": "typing", "on": True})
            try:
                result = await self.gateway.handle(self.citizen_message(item))
            except MessageRefused as refused:
                if typing:
                    await self.send({"type": "typing", "on": False})
                await self.send(Refused(refused.code, refused.message, item.client_id).frame())
                continue
            except Exception:
                log.exception("widget message failed")
                if typing:
                    await self.send({"type": "typing", "on": False})
                await self.send(Refused("server_error", client_id=item.client_id).frame())
                continue
            if self.conversation_id is None:
                self.conversation_id = result.conversation_id
                self.known.set()
            await self.flush()  # the citizen message and the replies, in id order
            await self.send({"type": "ack", "id": item.client_id, "message_id": result.message_id,
                             "duplicate": result.duplicate})
            for reply in result.notices:
                await self.send({"type": "notice", "text": reply.text})
            if typing:
                await self.send({"type": "typing", "on": False})

    async def read(self) -> None:
        refused_in_a_row = 0
        while True:
            frame = await self.ws.receive()
            if frame["type"] == "websocket.disconnect":
                return
            try:
                if not (await self.limits.hit(self.limits.frames, self.socket_id)).allowed:
                    raise Refused("rate_limited")
                raw = frame.get("text")
                if raw is None:
                    raise Refused("bad_frame")
                item = parse_frame(raw)
                if item is None:
                    await self.send({"type": "pong"})
                    refused_in_a_row = 0
                    continue
                try:
                    self.gateway.check(self.citizen_message(item))
                except MessageRefused as refused:
                    raise Refused(refused.code, refused.message, item.client_id) from None
                if self.inbox.full():
                    raise Refused("rate_limited", client_id=item.client_id)
                self.inbox.put_nowait(item)
                refused_in_a_row = 0
            except Refused as refused:
                refused_in_a_row += 1
                if refused_in_a_row > MAX_REFUSED:
                    await self.ws.close(CLOSE_POLICY, "too_many_errors")
                    return
                await self.send(refused.frame())

    async def run(self) -> None:
        tasks = [asyncio.create_task(self.pump(), name="widget-pump"),
                 asyncio.create_task(self.work(), name="widget-work"),
                 asyncio.create_task(self.replaced.wait(), name="widget-replaced")]
        reader = asyncio.create_task(self.read(), name="widget-read")
        try:
            done, _ = await asyncio.wait([reader, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for task in done:  # a task that ended by an error (not a disconnect) is logged
                if not task.cancelled() and (error := task.exception()) and not isinstance(error, WebSocketDisconnect):
                    log.error("widget socket task failed", exc_info=error)
            if self.replaced.is_set() and self.ws.application_state == WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await self.ws.close(CLOSE_REPLACED, "replaced: " + ERRORS["replaced"])
        finally:
            for task in (reader, *tasks):
                task.cancel()
            await asyncio.gather(reader, *tasks, return_exceptions=True)


def parse_cursor(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


@router.websocket("/api/v1/widget/ws")
async def widget_socket(websocket: WebSocket) -> None:
    key = websocket.query_params.get("key", "")
    after = parse_cursor(websocket.query_params.get("after", "0") or "0")
    await websocket.accept()
    sockets, address = sockets_of(websocket), websocket.client.host if websocket.client else None
    crowded = sockets.admit(address)
    problem = crowded or ("invalid_key" if not KEY_RE.fullmatch(key) else "invalid_after" if after is None else None)
    session: WidgetSession | None = None
    try:
        if problem:  # accepted first, so that the browser gets the reason (a refused handshake carries none)
            code = CLOSE_BUSY if problem == "busy" else CLOSE_POLICY if crowded else CLOSE_INVALID
            await websocket.send_text(json.dumps(Refused(problem).frame(), ensure_ascii=False))
            await websocket.close(code, f"{problem}: {ERRORS[problem]}")
            return
        assert after is not None
        session = WidgetSession(websocket, key, after)
        sockets.live(session)
        await session.run()
    finally:
        if not crowded:
            sockets.leave(address, session)
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await websocket.close()


# --- the script and the demo page -------------------------------------------------------------------------------

@dataclass
class Asset:
    body: bytes
    gzipped: bytes
    etag: str
    mtime: float


_assets: dict[str, Asset] = {}


def load_asset(name: str) -> Asset:
    """A static file with its gzip form and ETag, re-read when it changes on disk."""
    path = STATIC / name
    mtime = path.stat().st_mtime
    asset = _assets.get(name)
    if asset is None or asset.mtime != mtime:
        body = path.read_bytes()
        asset = Asset(body, gzip.compress(body, 9, mtime=0), '"' + hashlib.sha256(body).hexdigest()[:20] + '"', mtime)
        _assets[name] = asset
    return asset


def widget_version() -> str:
    return load_asset("widget.js").etag.strip('"')


def _serve(request: Request, name: str, media_type: str, headers: dict[str, str]) -> Response:
    asset = load_asset(name)
    headers = {"ETag": asset.etag, "Vary": "Accept-Encoding", **headers}
    if asset.etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(asset.gzipped, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(asset.body, media_type=media_type, headers=headers)


@router.get("/widget.js", include_in_schema=False)
def widget_script(request: Request, v: str = "") -> Response:
    """The widget. `?v=<version>` (the ETag) may be cached for a year; without it, revalidated every 5 minutes."""
    fresh = v and v == widget_version()
    cache = "public, max-age=31536000, immutable" if fresh else "public, max-age=300"
    return _serve(request, "widget.js", "text/javascript; charset=utf-8",
                  {"Cache-Control": cache, "Cross-Origin-Resource-Policy": "cross-origin",
                   "X-Content-Type-Options": "nosniff"})


DEMO_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@pages.get("/", response_class=HTMLResponse)
def demo_page(request: Request) -> Response:
    """A demo portal page of a province, embedding the widget with the one script tag."""
    return _serve(request, "demo.html", "text/html; charset=utf-8",
                  {"Cache-Control": "no-cache", "Content-Security-Policy": DEMO_CSP,
                   "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"})
