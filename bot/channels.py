"""Rasa's REST channel behind a token: the app is its only caller.

Rasa 3.6 leaves `/webhooks/rest/webhook` open even when `--auth-token` protects its HTTP API. This channel is
Rasa's own `RestInput` (same name, so the same URL and the same `input_channel` in trackers) with one check in
front of its routes: the request must carry `Authorization: Bearer <RASA_TOKEN>` (compared in constant time),
else 401. The token comes from the environment the launcher gives Rasa; without one every request is refused.
Listed in `credentials.yml` as `bot.channels.TokenRestInput`.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.rest import RestInput
from sanic import response

TOKEN_ENV = "RASA_TOKEN"


def authorized(header: str | None, token: str) -> bool:
    """`header` is `Bearer <token>` for a non-empty token."""
    if not token or not header:
        return False
    scheme, _, provided = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(provided.strip().encode(), token.encode())


class TokenRestInput(RestInput):
    def __init__(self, token: str = "") -> None:
        self.token = token or os.environ.get(TOKEN_ENV, "")

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TokenRestInput:
        return cls(str((credentials or {}).get("token") or ""))

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[None]]) -> Any:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")  # type: ignore[untyped-decorator]
        async def require_token(request: Any) -> Any:
            if not authorized(request.headers.get("authorization"), self.token):
                return response.json({"error": "unauthorized"}, status=401)
            return None

        return webhook
