"""A local fake of the Telegram Bot API, for tests: a real HTTP server on loopback, in a thread.

It implements the methods python-telegram-bot calls (getMe, deleteWebhook, setWebhook, getWebhookInfo,
setMyCommands, getUpdates with long polling and offsets, sendMessage, sendChatAction, answerCallbackQuery,
editMessageReplyMarkup, editMessageText), records every call, lets a test inject updates (a text message,
a /command, a button press) and wait for what the bot sent. Requests are checked the way the real API checks
them (token, chat exists, text 1–4,096 UTF-16 units, parse_mode entities, reply_markup JSON, callback_data
1–64 bytes, callback query ids, "message is not modified", getUpdates while a webhook is set…), with the real
API's error codes and descriptions, so a bot that would fail against Telegram fails here too.

    with FakeTelegram() as tg:                    # tg.token, tg.base_url (→ TELEGRAM_API_BASE_URL)
        tg.send_text(42, "xin chào")
        [reply] = tg.wait_sent(42)
        tg.press(42, reply["message_id"], title="Gặp cán bộ")
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

JSON_PARAMS = {"reply_markup", "commands", "allowed_updates", "link_preview_options", "entities", "scope",
               "reply_parameters"}
INT_PARAMS = {"message_id", "offset", "limit", "timeout", "max_connections", "cache_time"}
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
             "blockquote", "tg-emoji"}
MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MAX_TEXT = 4096


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    ok: bool
    result: Any = None
    error: str | None = None
    at: float = field(default_factory=time.monotonic)


class FakeTelegram:
    """The fake server and its state. All state is guarded by one condition variable."""

    def __init__(self, token: str = "123456789:AAFakeTokenForTests_0123456789abcdef", username: str = "tlhc_test_bot",
                 host: str = "127.0.0.1") -> None:
        self.token = token
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Trợ lý thủ tục",
                         "username": username, "can_join_groups": False, "can_read_all_group_messages": False,
                         "supports_inline_queries": False}
        self.calls: list[Call] = []
        self.commands: list[dict[str, str]] = []
        self.webhook: dict[str, Any] = {"url": ""}
        self._cond = threading.Condition()
        self._updates: list[dict[str, Any]] = []  # not yet confirmed by an offset
        self._next_update_id = 100_000
        self._chats: dict[int, dict[str, Any]] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}  # every message, the bot's and the users'
        self._callback_queries: dict[str, bool] = {}  # id → answered
        self._blocked: set[int] = set()
        self._failures: dict[str, list[ApiError]] = {}
        self._delays: dict[str, float] = {}
        self._poll_generation = 0
        self._polls_waiting = 0  # getUpdates requests being held open now
        self._closing = False
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer((host, 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-telegram", daemon=True)
        self.base_url = f"http://{host}:{self._server.server_address[1]}"

    # --- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- what a test does as a Telegram user ---------------------------------------------------------------

    def open_chat(self, chat_id: int, first_name: str = "Công dân") -> dict[str, Any]:
        """The user has started a private chat with the bot (so the bot may write to it)."""
        with self._cond:
            chat = self._chats.setdefault(chat_id, {"id": chat_id, "type": "private", "first_name": first_name})
            self._next_message_id.setdefault(chat_id, 1)
            return chat

    def send_text(self, chat_id: int, text: str, first_name: str = "Công dân") -> int:
        """The user writes `text` (a /command gets its bot_command entity); returns the update id."""
        chat = self.open_chat(chat_id, first_name)
        with self._cond:
            message = {"message_id": self._new_message_id(chat_id), "date": int(time.time()), "chat": dict(chat),
                       "from": self._user(chat), "text": text}
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(text.split()[0])}]
            self._messages[(chat_id, message["message_id"])] = message
            return self._add_update({"message": message})

    def send_sticker(self, chat_id: int) -> int:
        chat = self.open_chat(chat_id)
        with self._cond:
            message = {"message_id": self._new_message_id(chat_id), "date": int(time.time()), "chat": dict(chat),
                       "from": self._user(chat),
                       "sticker": {"file_id": "sticker-1", "file_unique_id": "s1", "type": "regular", "width": 512,
                                   "height": 512, "is_animated": False, "is_video": False}}
            return self._add_update({"message": message})

    def press(self, chat_id: int, message_id: int, *, title: str | None = None, index: int | None = None) -> int:
        """The user presses a button that is on the bot's message now (by title or flat index)."""
        with self._cond:
            message = self._messages.get((chat_id, message_id))
            assert message is not None, f"no message {message_id} in chat {chat_id}"
            buttons = [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
            chosen = [b for i, b in enumerate(buttons) if b["text"] == title or i == index]
            assert chosen, f"no button {title or index!r} on message {message_id}: {[b['text'] for b in buttons]}"
        return self.press_data(chat_id, message_id, chosen[0]["callback_data"])

    def press_data(self, chat_id: int, message_id: int, data: str) -> int:
        """A callback query with any data (as a modified client could send); returns the update id."""
        chat = self.open_chat(chat_id)
        with self._cond:
            message = self._messages.get((chat_id, message_id)) or {
                "message_id": message_id, "date": int(time.time()), "chat": dict(chat), "text": "?"}
            query_id = f"cq{self._next_update_id}"
            self._callback_queries[query_id] = False
            return self._add_update({"callback_query": {
                "id": query_id, "from": self._user(chat), "message": message, "chat_instance": f"ci{chat_id}",
                "data": data}})

    def inject(self, update: dict[str, Any]) -> int:
        """Any update (without update_id); returns its update id."""
        with self._cond:
            return self._add_update(update)

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: sends to this chat get 403."""
        with self._cond:
            self._blocked.add(chat_id)

    def fail_next(self, method: str, code: int = 500, description: str = "Internal Server Error", count: int = 1,
                  retry_after: int | None = None) -> None:
        """The next `count` calls of `method` fail (e.g. 429 with retry_after, 502)."""
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        with self._cond:
            self._failures.setdefault(method.lower(), []).extend(
                ApiError(code, description, parameters) for _ in range(count))

    def slow(self, method: str, seconds: float) -> None:
        """Every later call of `method` takes this long to answer (to make races visible)."""
        with self._cond:
            self._delays[method.lower()] = seconds

    # --- what a test checks --------------------------------------------------------------------------------

    def mark(self) -> int:
        """A cursor into the call log: pass it as `since` to see only later calls."""
        with self._cond:
            return len(self.calls)

    def calls_of(self, method: str, since: int = 0, chat_id: int | None = None, ok: bool | None = True) -> list[Call]:
        with self._cond:
            return [c for c in self.calls[since:] if c.method == method.lower()
                    and (chat_id is None or c.params.get("chat_id") == chat_id) and (ok is None or c.ok == ok)]

    def wait_for(self, check: Callable[[], Any], timeout: float = 15, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (found := check()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = [(c.method, c.params.get("text", "")[:80], c.error) for c in self.calls[-15:]]
                    raise AssertionError(f"timed out waiting for {what}; last calls: {recent}")
                self._cond.wait(min(remaining, 0.5))
            return found

    def wait_polling(self, timeout: float = 15) -> None:
        """Until the bot is long-polling (a getUpdates request is being held open)."""
        self.wait_for(lambda: self._polls_waiting > 0, timeout, "a getUpdates long poll")

    def wait_calls(self, method: str, *, chat_id: int | None = None, count: int = 1, since: int = 0,
                   timeout: float = 15) -> list[Call]:
        def enough() -> list[Call] | None:
            found = self.calls_of(method, since, chat_id)
            return found if len(found) >= count else None

        return self.wait_for(enough, timeout, f"{count} × {method} to {chat_id}")

    def wait_sent(self, chat_id: int, count: int = 1, since: int = 0, timeout: float = 15) -> list[dict[str, Any]]:
        """The messages the bot sent to `chat_id` since the cursor (as Telegram stored them, with later edits)."""
        calls = self.wait_calls("sendMessage", chat_id=chat_id, count=count, since=since, timeout=timeout)
        with self._cond:
            return [self._messages[(chat_id, c.result["message_id"])] for c in calls]

    def sent(self, chat_id: int, since: int = 0) -> list[dict[str, Any]]:
        with self._cond:
            return [self._messages[(chat_id, c.result["message_id"])]
                    for c in self.calls_of("sendMessage", since, chat_id)]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        with self._cond:
            return self._messages[(chat_id, message_id)]

    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot (a later getUpdates offset)."""
        with self._cond:
            return len(self._updates)

    @staticmethod
    def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
        return [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]

    # --- internals (called with the condition held) --------------------------------------------------------

    def _user(self, chat: dict[str, Any]) -> dict[str, Any]:
        return {"id": chat["id"], "is_bot": False, "first_name": chat["first_name"], "language_code": "vi"}

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id[chat_id]
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _add_update(self, body: dict[str, Any]) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **body})
        self._cond.notify_all()
        return update_id

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        method = method.lower()
        try:
            result = self._dispatch(method, params)
            body: dict[str, Any] = {"ok": True, "result": result}
            status, call = 200, Call(method, params, True, result)
        except ApiError as error:
            body = {"ok": False, "error_code": error.code, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
            status, call = error.code, Call(method, params, False, error=error.description)
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()
        return status, body

    def _dispatch(self, method: str, params: dict[str, Any]) -> Any:
        if method != "getupdates":
            with self._cond:
                failures = self._failures.get(method)
                delay = self._delays.get(method, 0.0)
                if failures:
                    raise failures.pop(0)
            time.sleep(delay)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return handler(params)

    # --- the API methods -----------------------------------------------------------------------------------

    def _api_getme(self, _params: dict[str, Any]) -> Any:
        return self.bot_user

    def _api_logout(self, _params: dict[str, Any]) -> Any:
        return True

    def _api_deletewebhook(self, params: dict[str, Any]) -> Any:
        with self._cond:
            self.webhook = {"url": ""}
            if _bool(params.get("drop_pending_updates")):
                self._updates.clear()
        return True

    def _api_setwebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url", ""))
        if url and not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        with self._cond:
            self.webhook = {"url": url, "secret_token": secret, "allowed_updates": params.get("allowed_updates")}
            if _bool(params.get("drop_pending_updates")):
                self._updates.clear()
        return True

    def _api_getwebhookinfo(self, _params: dict[str, Any]) -> Any:
        with self._cond:
            return {"url": self.webhook["url"], "has_custom_certificate": False,
                    "pending_update_count": len(self._updates)}

    def _api_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be an array of at most 100 BotCommand")
        for command in commands:
            if not isinstance(command, dict) or not COMMAND.match(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        with self._cond:
            self.commands = commands
        return True

    def _api_getupdates(self, params: dict[str, Any]) -> Any:
        offset, limit = params.get("offset"), params.get("limit", 100)
        timeout = float(params.get("timeout", 0))
        if not 1 <= limit <= 100:
            raise ApiError(400, "Bad Request: limit must be between 1 and 100")
        with self._cond:
            if self.webhook["url"]:
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                    "use deleteWebhook to delete the webhook first")
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()
            if offset is not None:  # confirms every update before the offset
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            deadline = time.monotonic() + timeout
            self._polls_waiting += 1
            self._cond.notify_all()
            try:
                while not self._updates and not self._closing:
                    if generation != self._poll_generation:
                        raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that "
                                            "only one bot instance is running")
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(min(remaining, 0.25))
            finally:
                self._polls_waiting -= 1
            allowed = params.get("allowed_updates")
            if allowed:  # Telegram does not even create updates of other kinds
                self._updates = [u for u in self._updates if set(u) - {"update_id"} <= set(allowed)]
            return [dict(u) for u in self._updates[:limit]]

    def _chat(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        with self._cond:
            if chat_id not in self._chats:
                raise ApiError(400, "Bad Request: chat not found")
            if chat_id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _api_sendmessage(self, params: dict[str, Any]) -> Any:
        chat_id = self._chat(params)
        text = _check_text(params)
        message: dict[str, Any] = {"from": self.bot_user, "text": text}
        if "reply_markup" in params:
            message["reply_markup"] = _check_markup(params["reply_markup"], inline_only=False)
            if "inline_keyboard" not in message["reply_markup"]:
                del message["reply_markup"]  # reply keyboards are not part of the message
        _check_link_preview(params)
        with self._cond:
            message.update(message_id=self._new_message_id(chat_id), date=int(time.time()),
                           chat=dict(self._chats[chat_id]))
            self._messages[(chat_id, message["message_id"])] = message
            return dict(message)

    def _api_sendchataction(self, params: dict[str, Any]) -> Any:
        self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _api_answercallbackquery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id", ""))
        if len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        with self._cond:
            if self._callback_queries.get(query_id, True):
                raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is "
                                    "invalid")
            self._callback_queries[query_id] = True
        return True

    def _bot_message(self, params: dict[str, Any]) -> dict[str, Any]:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat_id = self._chat(params)
        with self._cond:
            message = self._messages.get((chat_id, params.get("message_id", 0)))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        message = self._bot_message(params)
        markup = _check_markup(params["reply_markup"], inline_only=True) if "reply_markup" in params else None
        if not markup or not markup.get("inline_keyboard"):
            markup = None
        with self._cond:
            if markup == message.get("reply_markup"):
                raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                    "markup are exactly the same as a current content and reply markup of the message")
            if markup is None:
                message.pop("reply_markup", None)
            else:
                message["reply_markup"] = markup
            message["edit_date"] = int(time.time())
            return dict(message)

    def _api_editmessagetext(self, params: dict[str, Any]) -> Any:
        message = self._bot_message(params)
        text = _check_text(params)
        markup = _check_markup(params["reply_markup"], inline_only=True) if "reply_markup" in params else None
        with self._cond:
            if text == message.get("text") and markup == message.get("reply_markup"):
                raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                    "markup are exactly the same as a current content and reply markup of the message")
            message["text"] = text
            if markup and markup.get("inline_keyboard"):
                message["reply_markup"] = markup
            else:
                message.pop("reply_markup", None)
            message["edit_date"] = int(time.time())
            return dict(message)


def _bool(value: Any) -> bool:
    return value in (True, "true", "True", "1", 1)


def _check_text(params: dict[str, Any]) -> str:
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    mode = params.get("parse_mode")
    if mode is not None:
        _check_entities(text, str(mode))
    return text


def _check_entities(text: str, mode: str) -> None:
    """A rough version of Telegram's entity parsing: enough to catch unescaped content."""
    if mode == "HTML":
        for match in re.finditer(r"<(/?)([^\s>/]*)", text):
            if match.group(2).lower() not in HTML_TAGS:
                raise ApiError(400, f"Bad Request: can't parse entities: Unsupported start tag \"{match.group(2)}\" "
                                    f"at byte offset {match.start()}")
        if re.search(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
            raise ApiError(400, "Bad Request: can't parse entities: Unclosed start tag or bad entity")
    elif mode == "MarkdownV2":
        escaped = False
        for char in text:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char in ".!-=+#|{}>()":
                raise ApiError(400, f"Bad Request: can't parse entities: Character '{char}' is reserved and must be "
                                    "escaped with the preceding '\\'")
    elif mode == "Markdown":
        if text.count("*") % 2 or text.count("_") % 2 or text.count("`") % 2:
            raise ApiError(400, "Bad Request: can't parse entities: Can't find end of the entity")
    else:
        raise ApiError(400, "Bad Request: unsupported parse_mode")


def _check_markup(markup: Any, inline_only: bool) -> dict[str, Any]:
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if inline_only or not ({"keyboard", "remove_keyboard", "force_reply"} & markup.keys()):
            raise ApiError(400, "Bad Request: object expected as reply markup")
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of "
                            "Arrays")
    kinds = {"callback_data", "url", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
             "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay"}
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            present = kinds & button.keys()
            if len(present) != 1:
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: exactly one of the optional "
                                    "fields must be used")
            if "callback_data" in present:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if "url" in present and not re.match(r"^(https?|tg)://", str(button["url"])):
                raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
    return markup


def _check_link_preview(params: dict[str, Any]) -> None:
    if "link_preview_options" in params and not isinstance(params["link_preview_options"], dict):
        raise ApiError(400, "Bad Request: can't parse link preview options JSON object")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTelegram
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve(urlsplit(self.path).query.encode(), "application/x-www-form-urlencoded")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(self.rfile.read(length), self.headers.get("Content-Type", ""))

    def _serve(self, raw: bytes, content_type: str) -> None:
        path = urlsplit(self.path).path
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", path)
        if match is None or match.group(1) != self.fake.token:
            self._reply(401 if match else 404, {"ok": False, "error_code": 401 if match else 404,
                                                "description": "Unauthorized" if match else "Not Found"})
            return
        try:
            params = _parse(raw, content_type)
        except ApiError as error:
            self._reply(error.code, {"ok": False, "error_code": error.code, "description": error.description})
            return
        status, body = self.fake.handle(match.group(2), params)
        self._reply(status, body)

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status, HTTPStatus(status).phrase)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a cancelled long poll)
            pass


def _parse(raw: bytes, content_type: str) -> dict[str, Any]:
    if content_type.startswith("application/json"):
        try:
            params = json.loads(raw or b"{}")
        except ValueError as error:
            raise ApiError(400, "Bad Request: can't parse JSON") from error
        if not isinstance(params, dict):
            raise ApiError(400, "Bad Request: parameters must be a JSON object")
    elif content_type.startswith("multipart/"):
        raise ApiError(400, "Bad Request: the fake server does not take files")
    else:
        params = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        for key in JSON_PARAMS & params.keys():
            try:
                params[key] = json.loads(params[key])
            except ValueError as error:
                if key == "reply_markup":
                    raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object") from error
                raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from error
    for key in INT_PARAMS & params.keys():
        try:
            params[key] = int(params[key])
        except (TypeError, ValueError) as error:
            raise ApiError(400, f"Bad Request: invalid {key} specified") from error
    if "chat_id" in params:
        chat_id = params["chat_id"]
        if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
            params["chat_id"] = int(chat_id)
    return params
