"""A client of the REST channel (`POST /api/v1/chat`), as evaluations, tests and benchmarks use it.

The one place that knows how a conversation is addressed: by its `sender`, owned by the `conversation_key` its first
reply carried, which every later call sends in `X-Conversation-Key` (kept here per sender, in memory only).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

KEY_HEADER = "X-Conversation-Key"


class ChatFailed(RuntimeError):
    """The app answered with something other than 200."""


class ChatClient:
    def __init__(self, base_url: str, timeout: float = 60, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        # one keep-alive client, as a channel holds its connection (a new client per call costs ~30 ms)
        self.http = httpx.Client(timeout=timeout, transport=transport)
        self.keys: dict[str, str] = {}

    def headers(self, sender: str) -> dict[str, str]:
        """The header that proves the conversation is ours (none before its first message)."""
        return {KEY_HEADER: self.keys[sender]} if sender in self.keys else {}

    def send(self, sender: str, text: str | None = None, payload: str | None = None) -> dict[str, Any]:
        """One citizen message (typed text or a button's payload); the app's JSON answer."""
        body = {"sender": sender, **({"text": text} if text else {}), **({"payload": payload} if payload else {})}
        response = self.http.post(f"{self.base_url}/api/v1/chat", json=body, headers=self.headers(sender))
        self.remember(sender, response)
        if response.status_code != 200:
            raise ChatFailed(f"POST /api/v1/chat answered {response.status_code}: {response.text[:500]}")
        return response.json()

    def messages(self, sender: str, after: int = 0) -> dict[str, Any]:
        """What was written to the citizen after a message id (GET …/messages)."""
        response = self.http.get(f"{self.base_url}/api/v1/chat/{sender}/messages", params={"after": after},
                                 headers=self.headers(sender))
        if response.status_code != 200:
            raise ChatFailed(f"GET /api/v1/chat/…/messages answered {response.status_code}: {response.text[:500]}")
        return response.json()

    def remember(self, sender: str, response: httpx.Response) -> None:
        """Keep the key a conversation's first reply carries (also on a 429/503 that started the conversation)."""
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("conversation_key"), str):
                self.keys[sender] = body["conversation_key"]

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
