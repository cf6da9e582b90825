"""The action server's only way to the app: its HTTP API (APP_URL)."""

from __future__ import annotations

import os
from typing import Any

import httpx


class AppUnavailable(Exception):
    pass


class AppClient:
    def __init__(self, base_url: str | None = None, timeout: float = 5.0, token: str | None = None,
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

    async def get(self, path: str, **params: Any) -> Any:
        try:
            response = await self._http.get(path, params=params or None)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise AppUnavailable(f"{path}: {error}") from error

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        try:
            response = await self._http.post(path, json=body)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise AppUnavailable(f"{path}: {error}") from error
