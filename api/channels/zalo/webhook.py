"""`POST /zalo/webhook`: the OA's events. Checked in this order: the body's size, its JSON, the signature
(`X-ZEvent-Signature: mac=sha256(app id + body + timestamp + OA secret key)`, compared in constant time), the app id,
the event's age (older than 5 minutes, or more than 5 minutes ahead: not handled). Then the event is stored and
acknowledged; the bot's turn runs after the answer (Zalo expects one within 2 seconds)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.channels.zalo.bot import MAX_EVENT_AGE, ZaloChannel
from api.core import security
from api.core.errors import AppError

log = logging.getLogger(__name__)

router = APIRouter(tags=["zalo"])

MAX_EVENT_BYTES = 16 * 1024  # a text event is well under 4 KB


def signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The value of X-ZEvent-Signature Zalo sends for this body."""
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()).hexdigest()
    return f"mac={digest}"


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/zalo/webhook", include_in_schema=False)
async def zalo_webhook(request: Request) -> JSONResponse:
    channel: ZaloChannel | None = getattr(request.app.state, "zalo", None)
    if channel is None:
        raise AppError(404, "not_found", "Không tìm thấy nội dung yêu cầu.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_EVENT_BYTES:
            raise AppError(413, "too_large", "Yêu cầu quá lớn.")
    try:
        event: Any = json.loads(body)
        if not isinstance(event, dict):
            raise ValueError("not an object")
        timestamp = str(event["timestamp"])
        sent_at = dt.datetime.fromtimestamp(int(timestamp) / 1000, dt.UTC)
    except (ValueError, KeyError, TypeError, OverflowError, OSError) as error:
        raise AppError(400, "invalid_event", "Yêu cầu không hợp lệ.") from error
    given = request.headers.get("x-zevent-signature", "")
    if not channel.oa_secret or not security.same(given, signature(channel.app_id, body, timestamp,
                                                                   channel.oa_secret)):
        log.warning("zalo webhook: wrong signature", extra={"client": _client(request)})
        raise AppError(403, "forbidden", "Bạn không có quyền thực hiện thao tác này.")
    if str(event.get("app_id", "")) != channel.app_id:
        log.warning("zalo webhook: another app's event", extra={"client": _client(request)})
        raise AppError(403, "forbidden", "Bạn không có quyền thực hiện thao tác này.")
    age = dt.datetime.now(dt.UTC) - sent_at
    if abs(age) > MAX_EVENT_AGE:
        # acknowledged (Zalo would otherwise resend it for hours) but not handled: an old event is a replay or
        # a redelivery after an outage, and answering it now would be out of place
        log.warning("zalo webhook: event too old or from the future, not handled",
                    extra={"age_s": round(age.total_seconds()), "event": event.get("event_name")})
        return JSONResponse({"ok": False, "error": "stale_event"})
    try:
        outcome = await channel.accept(event, sent_at)
    except (ValueError, TypeError, AttributeError) as error:
        raise AppError(400, "invalid_event", "Yêu cầu không hợp lệ.") from error
    return JSONResponse({"ok": True, "outcome": outcome})
