"""ASGI middleware refusing NUL characters with a 422 before any route sees them.

PostgreSQL cannot store U+0000 in text (psycopg raises, the request would end in a 500); nothing a citizen or an
officer writes needs it. Checked: the path, the query string (`%00`), and JSON and form bodies (a raw NUL byte,
`\\u0000` in JSON, `%00` in a form). Bodies are read whole before the route (the body limit in front of this keeps
them small) and replayed unchanged. WebSocket frames are checked by the gateway (`Gateway.check`).
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MESSAGE = "Nội dung gửi lên có ký tự không hợp lệ (ký tự NUL). Vui lòng xoá ký tự đó rồi gửi lại."
_BODY = json.dumps({"error": "invalid_character", "message": MESSAGE}, ensure_ascii=False).encode()
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)  # an escaped backslash before it is not one
_PERCENT_NUL = b"%00"


def has_nul(content_type: str, body: bytes) -> bool:
    if b"\x00" in body:
        return not content_type.startswith("multipart/")  # an uploaded file's bytes are the importer's business
    if "json" in content_type:
        return _JSON_NUL.search(body) is not None
    if content_type.startswith("application/x-www-form-urlencoded"):
        return _PERCENT_NUL in body
    return False


class NulGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or _PERCENT_NUL in scope.get("query_string", b"").upper():
            await self._refuse(send)
            return
        headers = dict(scope.get("headers", []))
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") and b"content-length" not in headers \
                and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        if has_nul(content_type, body):
            await self._refuse(send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send: Send) -> None:
        headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(_BODY)).encode())]
        await send({"type": "http.response.start", "status": 422, "headers": headers})
        await send({"type": "http.response.body", "body": _BODY})
