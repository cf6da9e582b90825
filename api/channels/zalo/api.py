"""Zalo's HTTP APIs, synchronous (called from worker threads): the OA message API v3 and OAuth v4's refresh.

Replies come back as HTTP 200 with a numeric `error` (0 = success) and a `message`; OAuth v4 answers a refresh
with the new pair, or with `error`/`error_name`/`error_description` (sometimes with HTTP 200): anything without an
`access_token` is a failure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import httpx

SEND_PATH = "/v3.0/oa/message/cs"  # a "consultation" (customer-service) message, the kind a reply is
REFRESH_PATH = "/v4/oa/access_token"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)

# The OA API's error codes the channel acts on (see docs/channels.md, "Zalo": where they come from).
ACCESS_TOKEN_INVALID = -216
ACCESS_TOKEN_EXPIRED = -124
INVALID_PARAMETER = -201
OVER_LIMIT = -210
NOT_FOLLOWER = -213
OUT_OF_WINDOW = -230
RATE_LIMITED = -32
TOKEN_ERRORS = frozenset({ACCESS_TOKEN_INVALID, ACCESS_TOKEN_EXPIRED})
GONE = frozenset({NOT_FOLLOWER, OUT_OF_WINDOW})  # this citizen cannot be written to now


class ZaloError(Exception):
    """Zalo refused a call (`code` is Zalo's error code), or could not be reached (`code` None, transient)."""

    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(f"{code}: {message}" if code is not None else message)
        self.code, self.message = code, message

    @property
    def transient(self) -> bool:
        """Worth trying again later: network errors, 5xx, Zalo's rate limit."""
        return self.code is None or self.code == RATE_LIMITED


@dataclasses.dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_at: dt.datetime


class ZaloApi:
    def __init__(self, api_base_url: str, oauth_base_url: str, app_id: str, app_secret: str,
                 client: httpx.Client | None = None) -> None:
        self.api_base, self.oauth_base = api_base_url.rstrip("/"), oauth_base_url.rstrip("/")
        self.app_id, self.app_secret = app_id, app_secret
        self.client = client or httpx.Client(timeout=TIMEOUT)

    def close(self) -> None:
        self.client.close()

    def send(self, access_token: str, recipient: dict[str, str], message: dict[str, Any]) -> str:
        """Send one message; returns Zalo's message id."""
        body = self._call("POST", f"{self.api_base}{SEND_PATH}", headers={"access_token": access_token},
                          json={"recipient": recipient, "message": message})
        error = body.get("error")
        if error not in (0, None) or not isinstance(body.get("data"), dict):
            raise ZaloError(int(error) if isinstance(error, int) else None, str(body.get("message") or body))
        return str(body["data"].get("message_id", ""))

    def refresh(self, refresh_token: str) -> TokenPair:
        """A new pair for a refresh token (which then no longer works)."""
        body = self._call("POST", f"{self.oauth_base}{REFRESH_PATH}", headers={"secret_key": self.app_secret},
                          data={"refresh_token": refresh_token, "app_id": self.app_id, "grant_type": "refresh_token"})
        access, refresh = body.get("access_token"), body.get("refresh_token")
        if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
            code = body.get("error")
            reason = body.get("error_description") or body.get("error_reason") or body.get("error_name") or "no token"
            raise ZaloError(int(code) if isinstance(code, int) else -1, str(reason)[:200])
        try:
            seconds = int(body.get("expires_in", 0))
        except (TypeError, ValueError):
            seconds = 0
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=max(seconds, 60))
        return TokenPair(access, refresh, expires)

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            raise ZaloError(None, f"{error.__class__.__name__}") from error
        if response.status_code >= 500 or response.status_code == 429:
            raise ZaloError(None, f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as error:
            raise ZaloError(None, f"HTTP {response.status_code}: not JSON") from error
        if not isinstance(body, dict):
            raise ZaloError(None, f"HTTP {response.status_code}: not a JSON object")
        return body
