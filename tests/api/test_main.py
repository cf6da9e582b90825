"""The app as assembled: the API's documentation is off in production, the spec stays available in-process; a
response's headers and body leave together."""

from __future__ import annotations

import asyncio

from fastapi.testclient import TestClient
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.types import ASGIApp, Message

from api.core.config import Settings
from api.main import create_app


def test_docs_and_spec_are_public_in_development(client) -> None:
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


def test_docs_and_spec_are_off_in_production(migrated: None) -> None:
    app = create_app(Settings(environment="production", secret_key="k" * 40))
    with TestClient(app, base_url="https://testserver") as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404, path
    assert "/api/v1/chat" in app.openapi()["paths"]  # what schemathesis loads in-process


async def _steps_between_headers_and_body(app: ASGIApp, path: str) -> tuple[int, int]:
    """(status, event-loop steps other tasks took between the response's headers and its first body message)."""
    steps = 0

    async def ticker() -> None:
        nonlocal steps
        while True:
            await asyncio.sleep(0)
            steps += 1

    sent: list[tuple[Message, int]] = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Message:
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # then the client stays connected, as a real server's receive waits
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append((message, steps))

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
    ticking = asyncio.create_task(ticker())
    try:
        await asyncio.wait_for(app(scope, receive, send), 30)
    finally:
        ticking.cancel()
    start = next((m, s) for m, s in sent if m["type"] == "http.response.start")
    body = next((m, s) for m, s in sent if m["type"] == "http.response.body")
    return start[0]["status"], body[1] - start[1]


def test_a_response_s_headers_and_body_leave_in_one_step(migrated: None) -> None:
    """Nothing runs between a response's headers and its body (no `BaseHTTPMiddleware`, which re-streams every
    response through a task): a replica killed with SIGKILL has sent a whole response or none of it, so nginx
    either retries the request on the other replica or forwards a complete answer (the scaled layout's failover)."""
    app = create_app()
    assert not [m.cls for m in app.user_middleware if issubclass(m.cls, BaseHTTPMiddleware)]
    for path, status in (("/healthz", 200), ("/api/v1/no-such-thing", 404), ("/console/login", 200)):
        assert asyncio.run(_steps_between_headers_and_body(app, path)) == (status, 0), path
