"""A local fake of Zalo's OpenAPI, for tests: a real HTTP server on loopback, in a thread.

It serves what the Zalo channel calls — the OA message API v3 (`POST /v3.0/oa/message/cs`) and OAuth v4's refresh
(`POST /v4/oa/access_token`) — and checks requests the way Zalo does, with Zalo's error codes: unknown or missing
fields (-201), text over 2,000 characters and attachments over their limits (-210), a missing or unknown access
token (-216), an expired one (-124), a citizen who unfollowed (-213), a send outside the 48 hours after the
citizen's last message or past the 8 messages it allows (-230); OAuth: a wrong app secret or app id, a refresh
token used before or never issued (error -14014, with `error_name`/`error_description`, HTTP 200 as Zalo does).
It also plays the citizen: it builds webhook events and signs them as Zalo does (`X-ZEvent-Signature:
mac=sha256(app id + body + timestamp + OA secret key)`).

    with FakeZalo() as zalo:                      # zalo.settings() → the app's ZALO_* settings
        body, headers = zalo.text("u1", "xin chào")
        client.post("/zalo/webhook", content=body, headers=headers)
        [reply] = zalo.wait_sent("u1")
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_TITLE = 100
MAX_QUERY_PAYLOAD = 1000
WINDOW = dt.timedelta(hours=48)
PER_CITIZEN_MESSAGE = 8
BUTTON_TYPES = {"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.sms", "oa.open.phone"}

INVALID_PARAMETER = -201
OVER_LIMIT = -210
NOT_FOLLOWER = -213
TOKEN_INVALID = -216
TOKEN_EXPIRED = -124
OUT_OF_WINDOW = -230
REFRESH_INVALID = -14014
APP_INVALID = -14002


class ApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Citizen:
    last_msg_id: str = ""
    msg_ids: set[str] = field(default_factory=set)
    last_at: dt.datetime | None = None
    sent_since: int = 0
    following: bool = True


@dataclass
class Sent:
    user_id: str
    message: dict[str, Any]
    recipient: dict[str, Any]
    message_id: str
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return str(self.message.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return list(((self.message.get("attachment") or {}).get("payload") or {}).get("buttons") or [])


@dataclass
class Call:
    path: str
    ok: bool
    error: int | None = None


class FakeZalo:
    def __init__(self, app_id: str = "1234567890123456789", host: str = "127.0.0.1") -> None:
        self.app_id = app_id
        self.app_secret = "app-secret-" + secrets.token_hex(8)
        self.oa_secret_key = "oa-secret-" + secrets.token_hex(8)
        self.oa_id = "579745863508352884"
        self.access_seconds = 90_000  # 25 hours, as Zalo's access tokens
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self.refreshes = 0  # refresh calls that worked
        self._cond = threading.Condition()
        self._access: dict[str, float] = {}  # token → expiry (time.time())
        self._refresh: dict[str, bool] = {}  # token → used
        self._citizens: dict[str, Citizen] = {}
        self._next_msg = 1
        self._refresh_delay = 0.0
        self._refresh_refused = False
        self.initial_refresh = self._new_refresh()
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer((host, 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-zalo", daemon=True)
        self.base_url = f"http://{host}:{self._server.server_address[1]}"

    # --- lifecycle ----------------------------------------------------------------------------------------------

    def start(self) -> FakeZalo:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeZalo:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def settings(self) -> dict[str, Any]:
        """The app's settings for this fake (ZALO_* as keyword arguments of Settings)."""
        return {"zalo_app_id": self.app_id, "zalo_app_secret": self.app_secret,
                "zalo_oa_secret_key": self.oa_secret_key, "zalo_refresh_token": self.initial_refresh,
                "zalo_api_base_url": self.base_url, "zalo_oauth_base_url": self.base_url}

    def env(self) -> dict[str, str]:
        return {key.upper(): str(value) for key, value in self.settings().items()}

    # --- the citizen's side: signed webhook events -----------------------------------------------------------

    def sign(self, body: bytes, timestamp: str, secret: str | None = None) -> str:
        key = self.oa_secret_key if secret is None else secret
        return "mac=" + hashlib.sha256(self.app_id.encode() + body + timestamp.encode() + key.encode()).hexdigest()

    def event(self, event: dict[str, Any], *, age_s: float = 0.0, secret: str | None = None,
              app_id: str | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers Zalo would POST for this event (signed; `age_s` seconds ago)."""
        timestamp = str(int((time.time() - age_s) * 1000))
        full = {"app_id": app_id or self.app_id, "user_id_by_app": "user-by-app", "timestamp": timestamp, **event}
        body = json.dumps(full, ensure_ascii=False).encode()
        return body, {"X-ZEvent-Signature": self.sign(body, timestamp, secret), "Content-Type": "application/json"}

    def _citizen_message(self, user_id: str, name: str, message: dict[str, Any], **kwargs: Any
                         ) -> tuple[bytes, dict[str, str]]:
        with self._cond:
            msg_id = message.get("msg_id") or f"m{self._next_msg:08d}{secrets.token_hex(4)}"
            self._next_msg += 1
            citizen = self._citizens.setdefault(user_id, Citizen())
            if citizen.last_msg_id != msg_id:
                citizen.last_msg_id, citizen.last_at, citizen.sent_since = msg_id, _now(), 0
                citizen.msg_ids.add(msg_id)
        event = {"event_name": name, "sender": {"id": user_id}, "recipient": {"id": self.oa_id},
                 "message": {**message, "msg_id": msg_id}}
        return self.event(event, **kwargs)

    def text(self, user_id: str, text: str, msg_id: str | None = None, **kwargs: Any) -> tuple[bytes, dict[str, str]]:
        """The citizen writes `text`."""
        message: dict[str, Any] = {"text": text}
        if msg_id:
            message["msg_id"] = msg_id
        return self._citizen_message(user_id, "user_send_text", message, **kwargs)

    def press(self, user_id: str, sent: Sent, title: str) -> tuple[bytes, dict[str, str]]:
        """The citizen presses a button of a message the OA sent (oa.query.* buttons send their payload as text)."""
        [button] = [b for b in sent.buttons if b["title"] == title]
        assert button["type"] in ("oa.query.hide", "oa.query.show"), button
        return self._citizen_message(user_id, "user_send_text", {"text": button["payload"]})

    def sticker(self, user_id: str) -> tuple[bytes, dict[str, str]]:
        return self._citizen_message(user_id, "user_send_sticker", {"attachments": [
            {"type": "sticker", "payload": {"id": "6d0a6e2f", "url": "https://zalo-api.zadn.vn/sticker.png"}}]})

    def image(self, user_id: str) -> tuple[bytes, dict[str, str]]:
        return self._citizen_message(user_id, "user_send_image", {"text": "", "attachments": [
            {"type": "image", "payload": {"url": "https://photo-stal.zadn.vn/a.jpg", "thumbnail": ""}}]})

    def follow(self, user_id: str, following: bool = True) -> tuple[bytes, dict[str, str]]:
        with self._cond:
            self._citizens.setdefault(user_id, Citizen()).following = following
        return self.event({"event_name": "follow" if following else "unfollow", "oa_id": self.oa_id,
                           "source": "oa_profile", "follower": {"id": user_id}})

    def age(self, user_id: str, hours: float) -> None:
        """The citizen's last message was `hours` ago (Zalo's side of the 48-hour window)."""
        with self._cond:
            citizen = self._citizens.setdefault(user_id, Citizen())
            citizen.last_at = _now() - dt.timedelta(hours=hours)

    # --- test controls ------------------------------------------------------------------------------------------

    def issue_pair(self) -> tuple[str, str]:
        with self._cond:
            return self._new_access(), self._new_refresh()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far has expired (Zalo now answers -124)."""
        with self._cond:
            for token in self._access:
                self._access[token] = 0.0

    def refuse_refresh(self, refuse: bool = True) -> None:
        """OAuth refuses every refresh (the app was de-authorised)."""
        with self._cond:
            self._refresh_refused = refuse

    def slow_refresh(self, seconds: float) -> None:
        with self._cond:
            self._refresh_delay = seconds

    def mark(self) -> int:
        with self._cond:
            return len(self.sent)

    def sent_to(self, user_id: str, since: int = 0) -> list[Sent]:
        with self._cond:
            return [s for s in self.sent[since:] if s.user_id == user_id]

    def errors(self, code: int | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if not c.ok and (code is None or c.error == code)]

    def wait_for(self, check: Callable[[], Any], timeout: float = 15, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (found := check()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {what}; last calls: {self.calls[-10:]}")
                self._cond.wait(min(remaining, 0.2))
            return found

    def wait_sent(self, user_id: str, count: int = 1, since: int = 0, timeout: float = 15) -> list[Sent]:
        def enough() -> list[Sent] | None:
            found = [s for s in self.sent[since:] if s.user_id == user_id]
            return found if len(found) >= count else None

        return self.wait_for(enough, timeout, f"{count} message(s) to {user_id}")

    # --- the API --------------------------------------------------------------------------------------------------

    def _new_access(self) -> str:
        token = "acc-" + secrets.token_urlsafe(24)
        self._access[token] = time.time() + self.access_seconds
        return token

    def _new_refresh(self) -> str:
        token = "ref-" + secrets.token_urlsafe(24)
        self._refresh[token] = False
        return token

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        try:
            if method == "POST" and path == "/v4/oa/access_token":
                body = self._oauth(headers, raw)
            elif method == "POST" and path == "/v3.0/oa/message/cs":
                body = self._send(headers, raw)
            else:
                return 404, {"error": 404, "message": "Not found"}
            call = Call(path, True)
        except ApiError as error:
            call = Call(path, False, error.code)
            if path.startswith("/v4/"):
                body = {"error": error.code, "error_name": error.message, "error_reason": error.message,
                        "error_description": error.message}
            else:
                body = {"error": error.code, "message": error.message}
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()
        return 200, body

    def _oauth(self, headers: dict[str, str], raw: bytes) -> dict[str, Any]:
        if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise ApiError(APP_INVALID, "Invalid content type")
        form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        expected = {"app_id", "refresh_token", "grant_type"}
        if set(form) != expected:
            raise ApiError(APP_INVALID, f"Invalid parameter: {sorted(set(form) ^ expected)}")
        if form["grant_type"] != "refresh_token" or form["app_id"] != self.app_id:
            raise ApiError(APP_INVALID, "Invalid app id or grant type")
        if headers.get("secret_key") != self.app_secret:
            raise ApiError(APP_INVALID, "Invalid secret key")
        with self._cond:
            delay = self._refresh_delay
        time.sleep(delay)  # (outside the lock: a slow Zalo makes races visible)
        with self._cond:
            if self._refresh_refused:
                raise ApiError(REFRESH_INVALID, "Invalid refresh token")
            used = self._refresh.get(form["refresh_token"])
            if used is None or used:
                raise ApiError(REFRESH_INVALID, "Invalid refresh token" if used is None else "Refresh token was used")
            self._refresh[form["refresh_token"]] = True
            self.refreshes += 1
            return {"access_token": self._new_access(), "refresh_token": self._new_refresh(),
                    "expires_in": str(self.access_seconds)}

    def _send(self, headers: dict[str, str], raw: bytes) -> dict[str, Any]:
        token = headers.get("access_token")
        with self._cond:
            expiry = self._access.get(token or "")
        if expiry is None:
            raise ApiError(TOKEN_INVALID, "Access token is invalid")
        if expiry < time.time():
            raise ApiError(TOKEN_EXPIRED, "Access token has expired")
        if not headers.get("content-type", "").startswith("application/json"):
            raise ApiError(INVALID_PARAMETER, "Parameters are invalid: content type")
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise ApiError(INVALID_PARAMETER, "Parameters are invalid: body is not JSON") from error
        _fields(body, "body", required={"recipient", "message"})
        recipient, message = body["recipient"], body["message"]
        _fields(recipient, "recipient", required={"user_id"}, optional={"message_id"})
        user_id = recipient["user_id"]
        if not isinstance(user_id, str) or not user_id:
            raise ApiError(INVALID_PARAMETER, "Parameters are invalid: recipient.user_id")
        _check_message(message)
        with self._cond:
            citizen = self._citizens.get(user_id)
            if citizen is None or citizen.last_at is None:
                raise ApiError(OUT_OF_WINDOW, "User has not interacted with the OA")
            if not citizen.following:
                raise ApiError(NOT_FOLLOWER, "User has not followed the OA")
            if _now() - citizen.last_at > WINDOW or citizen.sent_since >= PER_CITIZEN_MESSAGE:
                raise ApiError(OUT_OF_WINDOW, "Out of the messages allowed since the user's last message")
            if "message_id" in recipient and recipient["message_id"] not in citizen.msg_ids:
                raise ApiError(INVALID_PARAMETER, "Parameters are invalid: recipient.message_id")
            citizen.sent_since += 1
            message_id = secrets.token_hex(16)
            self.sent.append(Sent(user_id, message, recipient, message_id))
        return {"data": {"message_id": message_id, "user_id": user_id}, "error": 0, "message": "Success"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _fields(value: Any, where: str, required: set[str], optional: set[str] | frozenset[str] = frozenset()) -> None:
    if not isinstance(value, dict):
        raise ApiError(INVALID_PARAMETER, f"Parameters are invalid: {where} must be an object")
    missing, unknown = required - value.keys(), value.keys() - required - optional
    if missing or unknown:
        raise ApiError(INVALID_PARAMETER, f"Parameters are invalid: {where}: missing {sorted(missing)}, "
                                          f"unknown {sorted(unknown)}")


def _check_message(message: Any) -> None:
    _fields(message, "message", required=set(), optional={"text", "attachment"})
    if not message:
        raise ApiError(INVALID_PARAMETER, "Parameters are invalid: empty message")
    if "text" in message:
        text = message["text"]
        if not isinstance(text, str) or not text.strip():
            raise ApiError(INVALID_PARAMETER, "Parameters are invalid: message.text")
        if len(text) > MAX_TEXT:
            raise ApiError(OVER_LIMIT, f"Parameter exceeds the limit: text longer than {MAX_TEXT} characters")
    if "attachment" in message:
        attachment = message["attachment"]
        _fields(attachment, "attachment", required={"type", "payload"})
        if attachment["type"] != "template":
            raise ApiError(INVALID_PARAMETER, "Parameters are invalid: attachment.type")
        _fields(attachment["payload"], "attachment.payload", required={"buttons"})
        buttons = attachment["payload"]["buttons"]
        if not isinstance(buttons, list) or not buttons:
            raise ApiError(INVALID_PARAMETER, "Parameters are invalid: buttons")
        if len(buttons) > MAX_BUTTONS:
            raise ApiError(OVER_LIMIT, f"Parameter exceeds the limit: more than {MAX_BUTTONS} buttons")
        for button in buttons:
            _fields(button, "button", required={"title", "type", "payload"}, optional={"image_icon"})
            title, kind, payload = button["title"], button["type"], button["payload"]
            if not isinstance(title, str) or not title.strip() or kind not in BUTTON_TYPES:
                raise ApiError(INVALID_PARAMETER, "Parameters are invalid: button title or type")
            if len(title) > MAX_TITLE:
                raise ApiError(OVER_LIMIT, f"Parameter exceeds the limit: button title over {MAX_TITLE} characters")
            if kind.startswith("oa.query."):
                if not isinstance(payload, str) or not payload:
                    raise ApiError(INVALID_PARAMETER, "Parameters are invalid: button payload")
                if len(payload) > MAX_QUERY_PAYLOAD:
                    raise ApiError(OVER_LIMIT, "Parameter exceeds the limit: button payload")
            elif kind == "oa.open.url":
                _fields(payload, "button.payload", required={"url"})
                if not str(payload["url"]).startswith(("http://", "https://")):
                    raise ApiError(INVALID_PARAMETER, "Parameters are invalid: url")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeZalo
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {key.lower(): value for key, value in self.headers.items()}
        status, body = self.fake.handle("POST", urlsplit(self.path).path, headers, raw)
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
