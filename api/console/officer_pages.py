"""What the officers' pages share: Vietnamese labels, template filters, the transcript as the templates
render it, and the list of officers a conversation can be transferred to.

The pages themselves live in queue_pages, conversation_pages, kb_pages, history_pages, quick_replies and live.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.console.web import templates
from api.db.models import Message, MessageAuthor
from api.schemas import MessageOut, message_out
from api.services import conversations, handoffs
from knowledge_base import vocabulary

CHANNELS = {"api": "API", "web": "Web", "telegram": "Telegram"}
REASONS = {"citizen_request": "Người dân muốn gặp cán bộ", "no_answer": "Trợ lý ảo chưa trả lời được",
           "complaint": "Phản ánh, kiến nghị"}
STATUSES = {"waiting": "Đang chờ", "ticket": "Ngoài giờ (phiếu hẹn)", "assigned": "Đang xử lý",
            "resolved": "Đã xong"}
MODES = {"bot": "Trợ lý ảo", "waiting": "Chờ cán bộ", "assigned": "Cán bộ đang xử lý"}
ASPECTS = {"overview": "Tổng quan", **vocabulary.ASPECT_LABELS}
SOURCES = {"title": "tên thủ tục", "alias": "tên gọi khác", "section": "nội dung thủ tục", "note": "lưu ý"}
DECISIONS = {"answer": "Trả lời ngay", "clarify": "Hỏi lại để chọn", "none": "Chưa tìm thấy"}
AUTHORS = {"citizen": "Người dân", "bot": "Trợ lý ảo", "officer": "Cán bộ", "system": "Hệ thống"}
TRANSCRIPT_LIMIT = 500


def duration(seconds: float | int | None) -> str:
    """A wait in words: "dưới 1 phút", "12 phút", "2 giờ 5 phút", "3 ngày"."""
    if seconds is None:
        return ""
    minutes = int(seconds) // 60
    if minutes < 1:
        return "dưới 1 phút"
    if minutes < 60:
        return f"{minutes} phút"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} giờ" + (f" {rest} phút" if rest else "")
    return f"{hours // 24} ngày" + (f" {hours % 24} giờ" if hours % 24 else "")


templates.env.filters["duration"] = duration
templates.env.globals.update(channel_labels=CHANNELS, reason_labels=REASONS, status_labels=STATUSES,
                             mode_labels=MODES, author_labels=AUTHORS, decision_labels=DECISIONS,
                             aspect_labels=ASPECTS)


def source_label(source: str) -> str:
    """Where a search hit matched, in words: "tên gọi khác", "hỏi đáp", …"""
    return "hỏi đáp" if source.startswith("faq:") else SOURCES.get(source, source)


templates.env.filters["source_label"] = source_label


def transcript_out(db: Session, conversation_id: int, after: int | None = None,
                   limit: int = TRANSCRIPT_LIMIT) -> tuple[list[MessageOut], bool]:
    """The conversation's messages after the id `after` (the most recent `limit` when None), oldest first, with
    officer names; and whether older messages were left out."""
    if after is not None:
        return [message_out(m) for m in conversations.read_messages(db, conversation_id, after=after,
                                                                     limit=limit)], False
    rows, has_older = handoffs.transcript(db, conversation_id, limit)
    return [message_out(m) for m in conversations.views(db, rows)], has_older


def pressed_titles(db: Session, conversation_id: int, messages: list[MessageOut]) -> dict[str, str]:
    """Button payloads the citizen pressed → the button's title, from the buttons recently offered to them."""
    wanted = {m.payload for m in messages if m.author == MessageAuthor.citizen.value and m.payload and not m.text}
    if not wanted:
        return {}
    offered = db.scalars(select(Message.buttons).where(Message.conversation_id == conversation_id,
                                                       Message.buttons.is_not(None),
                                                       Message.id <= max(m.id for m in messages))
                         .order_by(Message.id.desc()).limit(100))
    titles: dict[str, str] = {}
    for buttons in offered:
        for button in buttons or []:
            if button.get("payload") in wanted:
                titles.setdefault(button["payload"], button.get("title", ""))
    return titles


def last_citizen_texts(db: Session, conversation_ids: list[int]) -> dict[int, Message]:
    """Per conversation, the citizen's last typed message (button presses left out)."""
    if not conversation_ids:
        return {}
    last = (select(func.max(Message.id)).where(Message.conversation_id.in_(conversation_ids),
                                               Message.author == MessageAuthor.citizen, Message.text != "")
            .group_by(Message.conversation_id))
    return {m.conversation_id: m for m in db.scalars(select(Message).where(Message.id.in_(last)))}
