"""Broken on purpose (the layout of conftest.py): an app replica and a Rasa server are killed while widget WebSocket
clients talk through nginx, all at once; each client reconnects (to the surviving replica) with its `after` cursor
and misses no message. Only nginx listens beyond loopback."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.utils.stack import Stack

CLIENTS = 4
QUESTIONS = ["làm căn cước ở đâu", "thế lệ phí bao nhiêu?", "mất bao lâu", "cảm ơn bạn"]


class WidgetClient:
    """A widget as the browser runs it: keeps its cursor, reconnects with it, resends what was not acknowledged."""

    def __init__(self, base_url: str) -> None:
        self.ws_url = base_url.replace("http://", "ws://") + "/api/v1/widget/ws"
        self.key = uuid.uuid4().hex
        self.cursor = 0
        self.seen: list[int] = []
        self.authors: dict[int, str] = {}
        self.reconnects = 0
        self.ws: ClientConnection | None = None
        self.connect()

    def connect(self) -> None:
        self.ws = connect(f"{self.ws_url}?key={self.key}&after={self.cursor}", open_timeout=10)

    def _recv(self, timeout: float) -> dict[str, Any]:
        assert self.ws is not None
        return json.loads(self.ws.recv(timeout=timeout))

    def _take(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "message":
            message_id = frame["message"]["id"]
            assert message_id > self.cursor, f"message {message_id} after cursor {self.cursor}: out of order"
            self.seen.append(message_id)
            self.authors[message_id] = frame["message"]["author"]
            self.cursor = message_id

    def answered_after(self, message_id: int) -> bool:
        return any(i > message_id and self.authors[i] in ("bot", "system") for i in self.seen)

    def ask(self, text: str, timeout: float = 90) -> None:
        """Send one message (resent after a reconnect until acknowledged) and read until the bot answered it."""
        client_id = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        acked = sent = False
        stored_as = 0
        while time.monotonic() < deadline:
            try:
                assert self.ws is not None
                if not sent:
                    self.ws.send(json.dumps({"type": "message", "id": client_id, "text": text}))
                    sent = True
                frame = self._recv(timeout=max(0.1, deadline - time.monotonic()))
            except (ConnectionClosed, OSError):
                self.reconnects += 1
                time.sleep(0.3)
                try:
                    self.connect()
                except (OSError, ConnectionClosed, TimeoutError):
                    continue
                sent = acked  # an unacknowledged message is sent again (same id: stored once)
                continue
            self._take(frame)
            if frame["type"] == "ack" and frame["id"] == client_id:  # the ack may come after the answer
                acked, stored_as = True, frame["message_id"]
            if acked and self.answered_after(stored_as):
                return
        raise AssertionError(f"no answer to {text!r} within {timeout} s (cursor {self.cursor})")

    def drain(self, quiet_s: float = 3.0) -> None:
        """Read what is still coming (the rest of the last answer) until the line is quiet."""
        try:
            while True:
                self._take(self._recv(timeout=quiet_s))
        except TimeoutError:
            return

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()


def history(base_url: str, key: str) -> list[int]:
    """Every stored message of the conversation, from a fresh connection at cursor 0."""
    ws_url = base_url.replace("http://", "ws://") + f"/api/v1/widget/ws?key={key}&after=0"
    ids: list[int] = []
    with connect(ws_url, open_timeout=10) as ws:
        try:
            while True:
                frame = json.loads(ws.recv(timeout=2))
                if frame["type"] == "message":
                    ids.append(frame["message"]["id"])
        except TimeoutError:
            return ids


def test_only_nginx_listens_beyond_loopback(scaled_stack: Stack) -> None:
    conf = (scaled_stack.var_dir / "nginx" / "nginx.conf").read_text()
    for name, port in scaled_stack.ports.items():
        if name != "app":  # replicas, Rasa servers, action servers and the balancers for them
            assert f"listen 127.0.0.1:{port}" in conf or f"127.0.0.1:{port} max_fails" in conf, name
    listening = _listening_addresses()
    for name in ("app1", "app2", "rasa1", "rasa2", "actions1", "actions2"):
        port = scaled_stack.ports[name]
        assert listening.get(port), f"{name} is not listening"
        assert listening[port] <= {"127.0.0.1"}, f"{name} listens on {listening[port]}"


def test_widget_clients_reconnect_to_the_surviving_replica_and_miss_nothing(scaled_stack: Stack) -> None:
    assert httpx.get(f"{scaled_stack.app_url}/readyz", timeout=10).status_code == 200
    clients = [WidgetClient(scaled_stack.app_url) for _ in range(CLIENTS)]

    def ask_the_rest(client: WidgetClient) -> None:
        for question in QUESTIONS[1:]:
            client.ask(question)

    def check(client: WidgetClient) -> None:
        client.drain()
        assert client.seen == history(scaled_stack.app_url, client.key), "a client missed or repeated a message"
        assert len(client.seen) >= 2 * len(QUESTIONS)

    try:
        at_once(clients, lambda client: client.ask(QUESTIONS[0]))
        pids = scaled_stack.child_pids()
        os.kill(pids["app1"], signal.SIGKILL)  # nginx alternates: about half the clients were on app1
        os.kill(pids["rasa1"], signal.SIGKILL)
        at_once(clients, ask_the_rest)
        assert sum(c.reconnects for c in clients) >= 1, "no client was on the killed replica"
        at_once(clients, check)
    finally:
        for client in clients:
            client.close()


def at_once(clients: list[WidgetClient], work: Callable[[WidgetClient], None]) -> None:
    """`work` for every client at the same time (each in its own thread, as browsers are); a client's failure is
    raised here."""
    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(work, clients))


def _listening_addresses() -> dict[int, set[str]]:
    """Port → local addresses in LISTEN state (IPv4, from /proc/net/tcp)."""
    found: dict[int, set[str]] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state != "0A":
            continue
        address, port = local.split(":")
        octets = [str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)]
        found.setdefault(int(port, 16), set()).add(".".join(octets))
    return found
