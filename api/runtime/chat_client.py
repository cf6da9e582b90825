"""A client of the REST channel (`POST /api/v1/chat`), as evaluations, tests and benchmarks use it.

The one place that knows how a conversation is addressed. Today a conversation is its `sender`; when the first
reply starts carrying a `conversation_key` that later calls must send in `X-Conversation-Key`, keep it per sender
in `send` and nothing else changes for the callers.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx


class ChatFailed(RuntimeError):
    """The app answered with something other than 200."""


class ChatClient:
    def __init__(self, base_url: str, timeout: float = 60, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        # one keep-alive client, as a channel holds its connection (a new client per call costs ~30 ms)
        self.http = httpx.Client(timeout=timeout, transport=transport)

    def send(self, sender: str, text: str | None = None, payload: str | None = None) -> dict[str, Any]:
        """One citizen message (typed text or a button's payload); the app's JSON answer."""
        body = {"sender": sender, **({"text": text} if text else {}), **({"payload": payload} if payload else {})}
        response = self.http.post(f"{self.base_url}/api/v1/chat", json=body)
        if response.status_code != 200:
            raise ChatFailed(f"POST /api/v1/chat answered {response.status_code}: {response.text[:500]}")
        return response.json()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
