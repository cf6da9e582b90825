"""HTTP client for the Rasa server: REST channel and status."""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    pass


class RasaClient:
    def __init__(self, base_url: str, timeout: float) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def send(self, sender: str, message: str) -> list[dict[str, Any]]:
        """Send one user message (text, or a "/intent{...}" payload); return Rasa's bot messages."""
        try:
            response = self._http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("rasa request failed", extra={"error": str(error)})
            raise RasaUnavailable(str(error)) from error
        return replies if isinstance(replies, list) else []

    def ready(self) -> tuple[bool, str]:
        try:
            response = self._http.get("/status", timeout=3)
        except httpx.HTTPError as error:
            return False, f"unreachable: {error.__class__.__name__}"
        if response.status_code != 200:
            return False, f"HTTP {response.status_code}"
        model = response.json().get("model_file") or ""
        return bool(model), model or "no model loaded"

    def close(self) -> None:
        self._http.close()
