"""What the Telegram channel says and how it is shaped for Telegram: texts, splitting under 4,096 UTF-16 units,
inline keyboards whose callback data is `b:{message_id}:{index}` (payloads stay in the database), an officer's name
before an officer's message."""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from api.core.config import Settings
from api.core.privacy import mask_identifier
from api.db.models import MessageAuthor
from api.domain.messages import MessageView

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4,096
MAX_CALLBACK_DATA = 64  # bytes
CHOSEN = "chosen"  # callback data of the "✓ title" mark left on a used keyboard

COMMANDS = [
    BotCommand("start", "Bắt đầu trò chuyện với trợ lý"),
    BotCommand("help", "Hướng dẫn sử dụng"),
    BotCommand("canbo", "Gặp cán bộ bộ phận một cửa"),
]
APOLOGY = ("Xin lỗi, hệ thống đang gặp sự cố nên chưa xử lý được tin nhắn của bạn. "
           "Bạn vui lòng thử lại sau ít phút.")
RATE_LIMITED = ("Bạn đang gửi nhiều tin nhắn quá nhanh. Bạn vui lòng chờ khoảng một phút rồi gửi tiếp; "
                "tin nhắn vừa rồi chưa được xử lý.")
TEXT_ONLY = ("Hiện tại trợ lý chỉ đọc được tin nhắn chữ. Bạn vui lòng gõ câu hỏi, "
             "hoặc gõ /canbo để gặp cán bộ.")
UNKNOWN_COMMAND = "Trợ lý chưa hiểu lệnh này. Bạn gõ /help để xem hướng dẫn, hoặc gõ câu hỏi của bạn."
STALE_BUTTON = "Nút này không còn dùng được. Bạn vui lòng gõ câu hỏi."
ALREADY_CHOSEN = "Bạn đã chọn mục này rồi."
CHOOSE = "Mời bạn chọn:"


def welcome_text(settings: Settings) -> str:
    province = f" {settings.province_name}" if settings.province_name else ""
    return (
        f"Xin chào! Tôi là {settings.assistant_name}{province}.\n\n"
        "Tôi giúp bạn tìm hiểu các thủ tục hành chính: cần giấy tờ gì, lệ phí bao nhiêu, mất bao lâu, nộp ở đâu "
        "và có làm trực tuyến được không — ví dụ khai sinh, căn cước, hộ chiếu, đăng ký thường trú, sổ đỏ, "
        "hộ kinh doanh.\n\n"
        "Bạn cứ gõ câu hỏi, có dấu hay không dấu đều được, ví dụ: \"làm căn cước cần giấy tờ gì\".\n\n"
        "/help — hướng dẫn sử dụng\n"
        f"/canbo — gặp cán bộ bộ phận một cửa ({settings.office_hours})"
    )


def help_text(settings: Settings) -> str:
    return (
        "Cách dùng trợ lý:\n"
        "• Gõ câu hỏi về một thủ tục, ví dụ \"lệ phí làm hộ chiếu bao nhiêu\" hoặc \"dang ky khai sinh o dau\".\n"
        "• Bấm các nút dưới câu trả lời để xem thêm: giấy tờ, lệ phí, thời gian, nơi nộp…\n"
        f"• Gõ /canbo để cán bộ bộ phận một cửa hỗ trợ trực tiếp ({settings.office_hours}). Ngoài giờ làm việc, "
        "cán bộ sẽ trả lời bạn tại đây khi làm việc trở lại.\n"
        "• Mỗi câu trả lời đều ghi nguồn; bạn nên đối chiếu trước khi nộp hồ sơ.\n\n"
        "Bạn không cần gửi số căn cước, số điện thoại hay thông tin cá nhân khác để hỏi thủ tục."
    )


def utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into parts of at most `limit` UTF-16 units, at a paragraph, line or word break if possible."""
    text = text.strip()
    parts: list[str] = []
    while utf16_len(text) > limit:
        cut = len(text)
        while utf16_len(text[:cut]) > limit:  # the longest prefix that fits (in characters)
            cut = min(cut - 1, limit)
        head = text[:cut]
        for separator in ("\n\n", "\n", " "):
            at = head.rfind(separator)
            if at > limit // 2:
                head = head[:at]
                break
        parts.append(head.rstrip())
        text = text[len(head):].lstrip()
    if text:
        parts.append(text)
    return parts


def callback_data(message_id: int, index: int) -> str:
    data = f"b:{message_id}:{index}"
    assert len(data.encode()) <= MAX_CALLBACK_DATA
    return data


def parse_callback_data(data: str | None) -> tuple[int, int] | None:
    kind, _, rest = (data or "").partition(":")
    message_id, _, index = rest.partition(":")
    if kind != "b" or not message_id.isdigit() or not index.isdigit():
        return None
    return int(message_id), int(index)


def keyboard(message_id: int | None, buttons: list[dict[str, Any]] | None) -> InlineKeyboardMarkup | None:
    """One button per row (titles are long Vietnamese procedure names); None without a stored message id."""
    if message_id is None or not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(str(b.get("title") or "…"),
                                                       callback_data=callback_data(message_id, i))]
                                 for i, b in enumerate(buttons)])


def push_text(message: MessageView) -> str:
    """What the citizen reads for a pushed message: an officer's name before an officer's text."""
    if message.author == MessageAuthor.officer.value:
        return f"Cán bộ {message.author_name}: {message.text}" if message.author_name else f"Cán bộ: {message.text}"
    return message.text


def masked(chat_id: int | str) -> str:
    return mask_identifier(str(chat_id))


def describe(error: BaseException) -> str:
    """"Forbidden: bot was blocked by the user", "TimedOut: Timed out" (Telegram's words, no message text)."""
    text, name = str(error), error.__class__.__name__
    return text if text.startswith(name) else f"{name}: {text}"


def seconds(value: float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
