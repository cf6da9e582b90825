"""Headers added to every HTTP response under a path prefix (the console's security headers), unless the response
already set them.

A pure ASGI middleware, like the access log: it only edits the `http.response.start` message as it goes by, so a
response's headers and its body leave in the same step of the event loop. Starlette's `BaseHTTPMiddleware`
(`@app.middleware("http")`) re-streams every response, console or not, through a task and a queue: other tasks run
between the headers and the body, and a replica killed then (the scaled layout's failover) has sent headers without
a body — nginx cannot retry a response it has begun, and the citizen's request is cut.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, prefix: str, headers: Mapping[str, str]) -> None:
        self.app, self.prefix = app, prefix
        self.headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                missing = [(name, value) for name, value in self.headers if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *missing]}
            await send(message)

        await self.app(scope, receive, with_headers)
