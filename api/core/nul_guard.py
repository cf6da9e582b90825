"""ASGI middleware refusing NUL characters in requests with a 422 (PostgreSQL cannot store them in text, and no
client has a reason to send one): in the path, the query string, and the body (raw, as a JSON `\\u0000` escape, or
`%00` in a form). The body is read whole before the app sees it (a refusal raised while the app reads would become
FastAPI's 400); its size is bounded by BodyLimitMiddleware, outside this one.

Telegram's webhook is left alone (its updates are acknowledged, never refused: the gateway refuses a citizen message
with a NUL on every channel and tells the citizen why)."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_BODY = json.dumps(
    {"error": "nul_character", "message": "Yêu cầu không hợp lệ: nội dung có ký tự NUL (mã 0)."}, ensure_ascii=False,
).encode()
# a raw NUL, or a JSON escape of one that is not itself an escaped backslash followed by "u0000"
_IN_BODY = re.compile(rb"\x00|(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_IN_URL = re.compile(rb"\x00|%00")
EXEMPT = ("/telegram/webhook",)


def _replay(body: bytes, first: Message | None, receive: Receive) -> Receive:
    """A receive that gives the body already read (or the message that came instead), then the client's own."""
    pending: list[Message] = [first] if first is not None else [
        {"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


class NulGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        if _IN_URL.search(raw_path) or _IN_URL.search(scope.get("query_string", b"")) or "\x00" in scope["path"]:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        more = True
        while more:  # the body is read whole first (BodyLimitMiddleware, outside this one, bounds it)
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(b"", message, receive), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"")
        form = content_type.startswith(b"application/x-www-form-urlencoded")
        if _IN_BODY.search(body) or (form and _IN_URL.search(body)):
            await self._refuse(send)
            return
        await self.app(scope, _replay(body, None, receive), send)

    @staticmethod
    async def _refuse(send: Send) -> None:
        headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(_BODY)).encode())]
        await send({"type": "http.response.start", "status": 422, "headers": headers})
        await send({"type": "http.response.body", "body": _BODY})
