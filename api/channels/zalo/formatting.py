"""What Zalo citizens read, and Zalo's message shapes: texts split under 2,000 characters, the bot's choices as
template buttons whose payload names the stored message and the button (`#b:{message_id}:{index}`; the real payload
is looked up in the database, as on Telegram), a link in the text as an "open" button."""

from __future__ import annotations

import re
from typing import Any

from api.core.privacy import mask_identifier
from api.db.models import MessageAuthor
from api.domain.messages import MessageView

MAX_TEXT = 2000  # characters of a text message (the stricter of the figures found; docs/channels.md)
MAX_BUTTONS = 5  # template buttons on one message
MAX_TITLE = 100  # characters of a button's title
MAX_QUERY_PAYLOAD = 1000  # characters of an oa.query.* button's payload

APOLOGY = "Xin lỗi, trợ lý đang gặp sự cố. Bạn vui lòng thử lại sau ít phút."
RATE_LIMITED = ("Bạn gửi tin nhắn quá nhanh. Bạn vui lòng đợi một phút rồi gửi tiếp; "
                "tin nhắn vừa rồi chưa được xử lý.")
TEXT_ONLY = ("Cảm ơn bạn! Hiện tại trợ lý chỉ đọc được tin nhắn chữ. Bạn vui lòng gõ câu hỏi, "
             "hoặc gõ \"gặp cán bộ\" để được cán bộ hỗ trợ.")
STALE_BUTTON = "Nút này không còn dùng được. Bạn vui lòng gõ câu hỏi."
CHOOSE_MORE = "Mời bạn chọn tiếp:"
CHOOSE = "Mời bạn chọn:"
OPEN_LINK = "Mở trang nguồn"

_BUTTON = re.compile(r"^#b:(\d{1,12}):(\d{1,3})$")
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Parts of at most `limit` characters, cut at a paragraph, line or word break where possible."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        head = text[:limit]
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


def button_payload(message_id: int, index: int) -> str:
    return f"#b:{message_id}:{index}"


def parse_button(text: str | None) -> tuple[int, int] | None:
    """(stored message id, button index) of a pressed button's hidden text, or None for anything else."""
    match = _BUTTON.match((text or "").strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _title(text: str) -> str:
    text = " ".join(text.split()) or "…"
    return text if len(text) <= MAX_TITLE else text[:MAX_TITLE - 1].rstrip() + "…"


def messages(text: str, buttons: list[dict[str, Any]] | None, message_id: int | None) -> list[dict[str, Any]]:
    """The Zalo messages (the `message` object of a send) for one stored message: text parts, the last carrying
    up to 5 buttons; more buttons go in further messages ("Mời bạn chọn tiếp:"). Buttons need the stored message's
    id (their payloads are looked up by it); a link in the text becomes an "open" button when there is room."""
    parts = split_text(text)
    zalo_buttons: list[dict[str, Any]] = []
    if message_id is not None:
        zalo_buttons = [{"title": _title(str(b.get("title") or "")), "type": "oa.query.hide",
                         "payload": button_payload(message_id, i)}
                        for i, b in enumerate(buttons or []) if b.get("payload")]
    link = _URL.search(text)
    url = link.group(0).rstrip(".,;:!?") if link else ""
    if url and len(zalo_buttons) < MAX_BUTTONS and len(url) <= MAX_QUERY_PAYLOAD:
        zalo_buttons.append({"title": OPEN_LINK, "type": "oa.open.url", "payload": {"url": url}})
    if not parts and not zalo_buttons:
        return []
    if not parts:
        parts = [CHOOSE]
    out: list[dict[str, Any]] = [{"text": part} for part in parts]
    groups = [zalo_buttons[i:i + MAX_BUTTONS] for i in range(0, len(zalo_buttons), MAX_BUTTONS)]
    for number, group in enumerate(groups):
        if number > 0:
            out.append({"text": CHOOSE_MORE})
        out[-1]["attachment"] = {"type": "template", "payload": {"buttons": group}}
    return out


def push_text(message: MessageView) -> str:
    """What the citizen reads for a pushed message: an officer's name before an officer's text."""
    if message.author == MessageAuthor.officer.value:
        return f"Cán bộ {message.author_name}: {message.text}" if message.author_name else f"Cán bộ: {message.text}"
    return message.text


def masked(user_id: str) -> str:
    return mask_identifier(user_id)
