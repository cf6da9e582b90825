"""Async HTTP client for the Rasa server (REST channel and status): waiting on Rasa holds no thread and no
database connection, only a socket."""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    pass


class RasaClient:
    def __init__(self, base_url: str, timeout: float, max_connections: int = 64, token: str = "") -> None:
        self.timeout = timeout
        self._token = token
        # the REST channel checks the header (bot/channels.py); Rasa's HTTP API only reads `?token=` (/status)
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout,
                                       headers={"Authorization": f"Bearer {token}"} if token else {},
                                       limits=httpx.Limits(max_connections=max_connections,
                                                           max_keepalive_connections=max_connections))

    async def send(self, sender: str, message: str, timeout: float | None = None) -> list[dict[str, Any]]:
        """Send one user message (text, or a "/intent{...}" payload); return Rasa's bot messages."""
        try:
            response = await self._http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message},
                                              timeout=timeout or self.timeout)
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("rasa request failed", extra={"error": f"{error.__class__.__name__} {error}"})
            raise RasaUnavailable(str(error)) from error
        return replies if isinstance(replies, list) else []

    async def ready(self) -> tuple[bool, str]:
        try:
            response = await self._http.get("/status", params={"token": self._token}, timeout=3)
        except httpx.HTTPError as error:
            return False, f"unreachable: {error.__class__.__name__}"
        if response.status_code != 200:
            return False, f"HTTP {response.status_code}"
        model = response.json().get("model_file") or ""
        return bool(model), model or "no model loaded"

    async def close(self) -> None:
        await self._http.aclose()
