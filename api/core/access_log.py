"""One log line per HTTP request (method, path, status, milliseconds) — the app's access log.

A pure ASGI middleware: it only watches the status go by, so the response leaves exactly as the app sends it
(Starlette's `BaseHTTPMiddleware` re-streams every response through a task and a queue, which costs time per
request and lets other work run between a response's headers and its body). Paths only: query strings can carry
a widget key. Health probes are not logged.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("api")

QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in QUIET_PATHS:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before it answers

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            log.info("request", extra={"method": scope["method"], "path": scope["path"], "status": status,
                                       "ms": round((time.perf_counter() - started) * 1000, 1)})
