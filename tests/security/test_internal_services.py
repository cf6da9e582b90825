"""Issue 15, item 2: Rasa and the action server are internal. The real stack runs with HOST=0.0.0.0 (the app serves
everyone); from another network namespace (ip netns + a veth pair) the app answers and Rasa and the action server
refuse the connection; on loopback a missing or wrong token gets 401 from Rasa's API, its REST channel and the
action server, and the right one is let through (so a citizen's turn still reaches the actions)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HOST_ADDR, NS_ADDR = "10.213.91.1", "10.213.91.2"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def namespace() -> Iterator[str]:
    """A network namespace joined to this host by a veth pair: another machine on the host's network."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 (ip netns)")
    suffix = uuid.uuid4().hex[:6]
    name, host_end, ns_end = f"tlhc-{suffix}", f"vh{suffix}", f"vn{suffix}"
    _ip("netns", "add", name)
    try:
        _ip("link", "add", host_end, "type", "veth", "peer", "name", ns_end)
        _ip("link", "set", ns_end, "netns", name)
        _ip("addr", "add", f"{HOST_ADDR}/30", "dev", host_end)
        _ip("link", "set", host_end, "up")
        _ip("netns", "exec", name, "ip", "addr", "add", f"{NS_ADDR}/30", "dev", ns_end)
        _ip("netns", "exec", name, "ip", "link", "set", ns_end, "up")
        _ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield name
    finally:
        subprocess.run(["ip", "link", "del", host_end], capture_output=True)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def _connect_from(namespace: str, port: int) -> str:
    """'open' or the error's class name, for a TCP connection from the namespace to the host's address."""
    code = ("import socket, sys\n"
            "try:\n"
            f"    socket.create_connection(({HOST_ADDR!r}, {port}), timeout=5).close(); print('open')\n"
            "except OSError as e:\n"
            "    print(type(e).__name__)\n")
    result = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=30)
    return result.stdout.strip() or result.stderr.strip()


def test_from_another_host_only_the_app_answers(public_stack: Any, namespace: str) -> None:
    assert _connect_from(namespace, public_stack.ports["app"]) == "open"  # the path works: the app is public
    assert _connect_from(namespace, public_stack.ports["rasa"]) == "ConnectionRefusedError"
    assert _connect_from(namespace, public_stack.ports["actions"]) == "ConnectionRefusedError"


def test_rasa_api_needs_its_token(public_stack: Any) -> None:
    rasa, token = f"http://127.0.0.1:{public_stack.ports['rasa']}", public_stack.tokens()["rasa"]
    assert httpx.get(f"{rasa}/status", timeout=10).status_code == 401
    assert httpx.get(f"{rasa}/status", params={"token": "wrong"}, timeout=10).status_code == 401
    assert httpx.get(f"{rasa}/status", params={"token": token}, timeout=10).status_code == 200
    tracker = f"{rasa}/conversations/api:someone/tracker"
    assert httpx.get(tracker, timeout=10).status_code == 401


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer"])
def test_rasa_rest_channel_refuses_without_the_token(public_stack: Any, header: str | None) -> None:
    rasa = f"http://127.0.0.1:{public_stack.ports['rasa']}"
    headers = {"Authorization": header} if header is not None else {}
    response = httpx.post(f"{rasa}/webhooks/rest/webhook", json={"sender": "api:intruder", "message": "xin chào"},
                          headers=headers, timeout=30)
    assert response.status_code == 401
    # nor with the API's query token: the channel wants the header
    token = public_stack.tokens()["rasa"]
    response = httpx.post(f"{rasa}/webhooks/rest/webhook", params={"token": token}, headers=headers,
                          json={"sender": "api:intruder", "message": "xin chào"}, timeout=30)
    assert response.status_code == 401


def test_rasa_rest_channel_answers_with_the_token(public_stack: Any) -> None:
    rasa, token = f"http://127.0.0.1:{public_stack.ports['rasa']}", public_stack.tokens()["rasa"]
    response = httpx.post(f"{rasa}/webhooks/rest/webhook", json={"sender": "api:probe-ok", "message": "xin chào"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert response.status_code == 200 and isinstance(response.json(), list)


ACTION_CALL = {"next_action": "action_rate", "sender_id": "api:intruder", "version": "3.6.21",
               "tracker": {"sender_id": "api:intruder", "slots": {}, "latest_message": {"text": "5", "intent": {},
                                                                                      "entities": []},
                           "events": [], "paused": False, "followup_action": None, "active_loop": {},
                           "latest_action_name": None},
               "domain": {}}


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Bearer"])
def test_action_server_refuses_without_the_token(public_stack: Any, header: str | None) -> None:
    actions = f"http://127.0.0.1:{public_stack.ports['actions']}"
    headers = {"Authorization": header} if header is not None else {}
    assert httpx.post(f"{actions}/webhook", json=ACTION_CALL, headers=headers, timeout=10).status_code == 401
    assert httpx.get(f"{actions}/actions", headers=headers, timeout=10).status_code == 401
    token = public_stack.tokens()["actions"]  # a query parameter is not the header
    assert httpx.get(f"{actions}/actions", params={"token": token}, timeout=10).status_code == 401


def test_action_server_lets_its_token_through(public_stack: Any) -> None:
    actions, token = f"http://127.0.0.1:{public_stack.ports['actions']}", public_stack.tokens()["actions"]
    listed = httpx.get(f"{actions}/actions", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert listed.status_code == 200 and {"name": "action_answer"} in listed.json()
    assert httpx.get(f"{actions}/health", timeout=10).status_code == 200  # readiness, says only "ok"


def test_a_citizen_turn_still_reaches_the_actions(public_stack: Any) -> None:
    """Rasa sends the action server's token (endpoints.yml `headers:`) and the app sends Rasa's: a question is
    answered from the knowledge base by action_answer, not by the apology for a broken action server."""
    ready = httpx.get(f"{public_stack.app_url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text  # /status with the token, the action server's /health
    reply = public_stack.chat(f"tok-{uuid.uuid4().hex[:8]}", "làm hộ chiếu cần giấy tờ gì")["replies"][0]
    assert "hộ chiếu" in reply["text"].lower() and "Nguồn:" in reply["text"]
