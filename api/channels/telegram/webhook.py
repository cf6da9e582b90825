"""`POST /telegram/webhook`: Telegram's calls in webhook mode, authenticated by the secret token set with setWebhook."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request

from api.channels.telegram.bot import TelegramChannel
from api.core import security
from api.core.errors import AppError

log = logging.getLogger(__name__)

router = APIRouter(tags=["telegram"])


@router.post("/telegram/webhook", include_in_schema=False)
async def telegram_webhook(request: Request) -> dict[str, bool]:
    """Telegram's calls in webhook mode, authenticated by the secret token set with setWebhook."""
    channel: TelegramChannel | None = getattr(request.app.state, "telegram", None)
    if channel is None or not channel.webhook:
        raise AppError(404, "not_found", "Không tìm thấy nội dung yêu cầu.")
    sent = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not security.same(sent, channel.webhook_secret):
        log.warning("telegram webhook: wrong secret token", extra={"client": request.client.host if request.client
                                                                   else None})
        raise AppError(403, "forbidden", "Bạn không có quyền thực hiện thao tác này.")
    try:
        data = await request.json()
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise ValueError("not an update")
        await channel.feed(data)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise AppError(400, "invalid_update", "Yêu cầu không hợp lệ.") from error
    return {"ok": True}
