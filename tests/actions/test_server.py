"""The action server's token check (actions/server.py), on rasa_sdk's real Sanic app served in-process."""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any

import httpx
import pytest
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic

from actions import server

TOKEN = "tok-" + uuid.uuid4().hex


def test_authorized_wants_the_exact_bearer_token() -> None:
    assert server.authorized("Bearer s3cret", "s3cret")
    assert server.authorized("bearer s3cret", "s3cret")
    for header in (None, "", "s3cret", "Bearer", "Bearer ", "Bearer s3cre", "Bearer s3cret2", "Basic s3cret"):
        assert not server.authorized(header, "s3cret"), header
    assert not server.authorized("Bearer ", "")  # no token configured: nothing is let through


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def served() -> Any:
    """The app served on loopback by Sanic's own server, in this event loop."""
    executor = ActionExecutor()
    executor.register_package("actions")
    Sanic._app_registry.pop("rasa_sdk", None)  # one test, one app of that name
    return server.create_app(executor, TOKEN)


def test_routes_need_the_token_and_health_does_not(served: Any) -> None:
    port = _free_port()
    good = {"Authorization": f"Bearer {TOKEN}"}

    async def scenario() -> dict[str, int]:
        srv = await served.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        assert srv is not None
        await srv.startup()
        await srv.before_start()
        await srv.after_start()
        try:
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                return {
                    "health": (await client.get("/health")).status_code,
                    "actions_none": (await client.get("/actions")).status_code,
                    "actions_wrong": (await client.get("/actions", headers={"Authorization": "Bearer x"})).status_code,
                    "webhook_none": (await client.post("/webhook", json={"next_action": "action_rate"})).status_code,
                    "actions_good": (await client.get("/actions", headers=good)).status_code,
                }
        finally:
            await srv.before_stop()
            srv.close()
            await srv.wait_closed()
            await srv.after_stop()

    codes = asyncio.run(scenario())
    assert codes == {"health": 200, "actions_none": 401, "actions_wrong": 401, "webhook_none": 401,
                     "actions_good": 200}
