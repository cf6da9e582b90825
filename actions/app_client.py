"""The action server's only way to the app: its HTTP API (APP_URL), with a short timeout."""

from __future__ import annotations

import os
from typing import Any

import httpx

# Rasa waits for the action server with a fixed timeout no setting changes; the app must answer well within the
# gateway's bound on a whole turn, so a slow app costs the citizen at most this before the apology.
TIMEOUT_SECONDS = 3.0


class AppUnavailable(Exception):
    pass


class AppClient:
    def __init__(self, base_url: str | None = None, timeout: float = TIMEOUT_SECONDS, token: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = (base_url or os.environ.get("APP_URL") or "http://127.0.0.1:8000").rstrip("/")
        self.timeout = timeout
        self.token = token if token is not None else os.environ.get("BOT_API_TOKEN", "")
        self.transport = transport
        self._client: httpx.AsyncClient | None = None  # made on first use: the server pickles actions at start

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout, headers=headers,
                                             transport=self.transport)
        return self._client

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(path, json=body)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise AppUnavailable(f"{path}: {error.__class__.__name__} {error}") from error
        if not isinstance(data, dict):  # e.g. a proxy's page: the action would fail on .get
            raise AppUnavailable(f"{path}: the answer is not a JSON object")
        return data
