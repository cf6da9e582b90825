"""Conversation history (/console/history): search messages by text, channel, date range, conversation mode and
author, page by page; open a conversation read-only with its handoffs.

Citizens' phone and ID numbers stay visible in the text (officers need them); user ids in lists are masked as in
the REST API. Searches and opened conversations are written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import ColumnElement, Select, select

from api.console import officer_pages
from api.console.officer_pages import pressed_titles, transcript_out
from api.console.web import ConsoleUser, render
from api.core.config import get_settings
from api.core.privacy import mask_identifier, mask_pii
from api.db.models import Conversation, ConversationMode, Handoff, Message, MessageAuthor, Role, StaffUser
from api.deps import SessionDep
from api.services import handoffs, staff

router = APIRouter(prefix="/history")
PER_PAGE = 20
SNIPPET = 220
_MAX_ID = 2**31 - 1


@dataclass
class Hit:
    message: Message
    conversation: Conversation
    user: str  # masked
    parts: list[tuple[str, bool]]  # the snippet, split into (text, is the searched words)


def snippet(text: str, needle: str, width: int = SNIPPET) -> list[tuple[str, bool]]:
    """Up to `width` characters of `text` around the first match of `needle`, every match marked."""
    lowered, wanted = text.lower(), needle.lower()
    at = lowered.find(wanted) if wanted else -1
    start = max(0, at - width // 3) if at >= 0 else 0
    piece = text[start:start + width]
    prefix, suffix = ("…" if start else ""), ("…" if start + width < len(text) else "")
    if not wanted:
        return [(prefix + piece + suffix, False)]
    parts: list[tuple[str, bool]] = [(prefix, False)] if prefix else []
    low, i = piece.lower(), 0
    while (j := low.find(wanted, i)) >= 0:
        parts += [(piece[i:j], False), (piece[j:j + len(wanted)], True)]
        i = j + len(wanted)
    parts += [(piece[i:] + suffix, False)]
    return [p for p in parts if p[0]]


def _day_start(day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time.min, tzinfo=get_settings().zone())
    return local.astimezone(dt.UTC)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def reached_officers() -> ColumnElement[bool]:
    """Conversations that were handed to officers (a handoff or ticket, open or not)."""
    return select(Handoff.id).where(Handoff.conversation_id == Conversation.id).exists()


def sees_everything(me: StaffUser) -> bool:
    """Admins search and read every conversation; officers only those that reached officers (unless
    OFFICERS_SEARCH_ALL)."""
    return me.role == Role.admin or get_settings().officers_search_all


def search_query(q: str, channel: str, mode: str, author: str, date_from: dt.date | None,
                 date_to: dt.date | None, *, everything: bool = True) -> Select[Message, Conversation]:
    query = select(Message, Conversation).join(Conversation, Conversation.id == Message.conversation_id)
    if not everything:
        query = query.where(reached_officers())
    if q:
        query = query.where(Message.text.ilike(f"%{_escape_like(q)}%", escape="\\"))
    if channel:
        query = query.where(Conversation.channel == channel)
    if mode in ConversationMode.__members__:
        query = query.where(Conversation.mode == ConversationMode(mode))
    if author in MessageAuthor.__members__:
        query = query.where(Message.author == MessageAuthor(author))
    if date_from:
        query = query.where(Message.created_at >= _day_start(date_from))
    if date_to:
        query = query.where(Message.created_at < _day_start(date_to + dt.timedelta(days=1)))
    return query.order_by(Message.id.desc())


@router.get("")
def history_page(request: Request, db: SessionDep, me: ConsoleUser, q: str = Query("", max_length=200),
                 channel: str = Query("", max_length=32), mode: str = "", author: str = "",
                 date_from: str = "", date_to: str = "", page: int = Query(1, ge=1, le=10_000)) -> Response:
    q = q.strip()
    errors: list[str] = []

    def day(raw: str, label: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            errors.append(f"{label} không hợp lệ (cần dạng năm-tháng-ngày).")
            return None

    start, end = day(date_from, "Ngày bắt đầu"), day(date_to, "Ngày kết thúc")
    if start and end and start > end:
        errors.append("Ngày bắt đầu đang sau ngày kết thúc.")
    filters = {"q": q, "channel": channel, "mode": mode, "author": author, "date_from": date_from,
               "date_to": date_to}
    hits: list[Hit] = []
    more = False
    if not errors:
        rows = db.execute(search_query(q, channel, mode, author, start, end, everything=sees_everything(me))
                          .offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)).all()
        more = len(rows) > PER_PAGE
        hits = [Hit(m, c, mask_identifier(c.user_id), snippet(m.text or m.payload or "", q))
                for m, c in rows[:PER_PAGE]]
        if any(filters.values()):
            searched = {k: mask_pii(v) if k == "q" else v for k, v in filters.items() if v}  # no numbers in the log
            staff.record(db, me.id, "history.search", None, searched | {"page": page})
    channels = sorted({*officer_pages.CHANNELS, *db.scalars(select(Conversation.channel).distinct())})
    return render(request, "officer/history.html", {
        "filters": filters, "hits": hits, "page": page, "more": more, "errors": errors, "channels": channels,
        "per_page": PER_PAGE, "query": urlencode({k: v for k, v in filters.items() if v})})


@router.get("/conversations/{conversation_id}")
def conversation_history(request: Request, db: SessionDep, me: ConsoleUser,
                         conversation_id: Annotated[int, Path(ge=1, le=_MAX_ID)],
                         message: int | None = None) -> Response:
    conversation = db.get(Conversation, conversation_id)
    if conversation is None:
        return render(request, "error.html", {"message": f"Không có cuộc trò chuyện số {conversation_id}."},
                      status_code=404)
    handed = db.scalar(select(Handoff.id).where(Handoff.conversation_id == conversation.id).limit(1))
    if handed is None and not sees_everything(me):
        return render(request, "error.html", {"message": "Cán bộ chỉ xem được các cuộc trò chuyện đã chuyển đến cán "
                                                         "bộ; cuộc trò chuyện này chỉ có trợ lý ảo trả lời."},
                      status_code=403)
    messages, has_older = transcript_out(db, conversation.id)
    rows = list(db.scalars(select(Handoff).where(Handoff.conversation_id == conversation.id).order_by(Handoff.id)))
    names = handoffs.staff_names(db, {h.officer_id for h in rows})
    staff.record(db, me.id, "conversation.view", f"conversation:{conversation.id}")
    return render(request, "officer/history_conversation.html", {
        "conversation": conversation, "citizen": mask_identifier(conversation.user_id), "messages": messages,
        "has_older": has_older, "handoffs": rows, "names": names, "highlight": message,
        "pressed": pressed_titles(db, conversation.id, messages)})
