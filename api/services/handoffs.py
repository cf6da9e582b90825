"""Handing a conversation to a person (no FastAPI here): open a handoff, the officers' queue, claim, reply,
transfer, resolve, ratings, and what the citizen is told while waiting.

State changes that two officers can race for (claim, transfer, resolve) are compare-and-set UPDATEs
(`… WHERE status = 'waiting'`): exactly one wins, the other is told in plain words who has the conversation.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from api.core.errors import AppError
from api.core.privacy import mask_identifier
from api.core.security import as_utc
from api.db.base import rows_changed
from api.db.models import (
    Conversation,
    ConversationMode,
    Handoff,
    HandoffStatus,
    Message,
    MessageAuthor,
    Role,
    StaffUser,
    utcnow,
)
from api.domain.limits import REPLY_MAX_CHARS
from api.domain.office_hours import OfficeHours, describe_opening
from api.schemas import HandoffItem, LastMessage
from api.services import analytics_counts, events, staff
from api.services.conversations import get_or_create, split_sender
from knowledge_base.vocabulary import RATING_BUTTONS

log = logging.getLogger(__name__)

OPEN_STATUSES = (HandoffStatus.waiting, HandoffStatus.assigned, HandoffStatus.ticket)
UNCLAIMED = (HandoffStatus.waiting, HandoffStatus.ticket)
RATING_REQUEST = ("Cán bộ đã hoàn tất hỗ trợ bạn. Bạn vui lòng chấm điểm mức độ hài lòng từ 1 đến 5 sao "
                  "(5 là rất hài lòng) để chúng tôi phục vụ tốt hơn. Nếu cần hỏi thêm, bạn cứ nhắn tiếp cho trợ lý ảo.")
OPENED = {
    "complaint": "Phản ánh của bạn đã được ghi nhận và chuyển tới cán bộ phụ trách.",
    "default": "Cuộc trò chuyện đã được chuyển tới cán bộ bộ phận một cửa.",
}
_RECENT_CLAIMS = 20
_RECENT_DAYS = 14


def _office(office: OfficeHours | None) -> OfficeHours:
    if office is not None:
        return office
    from api.core.config import get_settings

    return get_settings().office()


def open_handoff(db: Session, sender: str, reason: str, note: str | None = None, *,
                 retrieved: list[dict[str, Any]] | None = None, office: OfficeHours | None = None,
                 now: dt.datetime | None = None) -> tuple[Handoff, int]:
    """Open (or return the already open) handoff of the sender's conversation; returns it and its queue position.

    Outside office hours (and for complaints) the handoff is a ticket, answered when an officer can. Except for
    complaints, the conversation leaves the bot: the citizen's further messages go to the officers.
    """
    now = now or utcnow()
    office_open = _office(office).is_open(now)
    channel, user_id = split_sender(sender)
    conversation = get_or_create(db, channel, user_id)
    handoff = open_handoff_of(db, conversation.id)
    if handoff is None:
        status = HandoffStatus.waiting if reason != "complaint" and office_open else HandoffStatus.ticket
        handoff = Handoff(conversation_id=conversation.id, reason=reason, status=status, note=note,
                          retrieved=retrieved or None, created_at=now)
        db.add(handoff)
        db.add(Message(conversation_id=conversation.id, author=MessageAuthor.system,
                       text=OPENED.get(reason, OPENED["default"])))
    elif reason != "complaint" and handoff.status == HandoffStatus.ticket and office_open:
        handoff.status = HandoffStatus.waiting  # a complaint ticket, and now the citizen asks for a person
    if reason != "complaint" and conversation.mode == ConversationMode.bot:
        assigned = handoff.status == HandoffStatus.assigned
        conversation.mode = ConversationMode.assigned if assigned else ConversationMode.waiting
    db.flush()
    analytics_counts.sync_handoff(db, handoff.id)
    return handoff, queue_position(db, handoff)


def open_handoff_of(db: Session, conversation_id: int) -> Handoff | None:
    return db.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                           Handoff.status.in_(OPEN_STATUSES)).order_by(Handoff.id.desc()).limit(1))


def queue_position(db: Session, handoff: Handoff) -> int:
    if handoff.status != HandoffStatus.waiting:
        return 0
    ahead = db.scalar(select(func.count()).select_from(Handoff).where(
        Handoff.status == HandoffStatus.waiting, Handoff.created_at < handoff.created_at))
    return int(ahead or 0) + 1


def record_rating(db: Session, sender: str, rating: int) -> Handoff | None:
    """Attach a 1–5 rating to the conversation's latest handoff."""
    channel, user_id = split_sender(sender)
    conversation = db.scalar(select(Conversation).where(Conversation.channel == channel,
                                                        Conversation.user_id == user_id))
    if conversation is None:
        return None
    handoff = db.scalar(select(Handoff).where(Handoff.conversation_id == conversation.id)
                        .order_by(Handoff.id.desc()).limit(1))
    if handoff is not None:
        handoff.rating = rating
        analytics_counts.sync_handoff(db, handoff.id)
    return handoff


# --- what the citizen is told ---------------------------------------------------------------------------------

def average_wait_seconds(db: Session, office: OfficeHours, now: dt.datetime | None = None) -> float | None:
    """Mean time from opening to claim of the recent handoffs opened during office hours (None: no data)."""
    since = (now or utcnow()) - dt.timedelta(days=_RECENT_DAYS)
    rows = db.execute(select(Handoff.created_at, Handoff.claimed_at)
                      .where(Handoff.claimed_at.is_not(None), Handoff.claimed_at >= since)
                      .order_by(Handoff.claimed_at.desc()).limit(_RECENT_CLAIMS * 5)).all()
    waits = [(as_utc(claimed) - as_utc(created)).total_seconds() for created, claimed in rows
             if claimed is not None and office.is_open(as_utc(created))][:_RECENT_CLAIMS]  # never None (SQL)
    waits = [w for w in waits if w >= 0]
    return sum(waits) / len(waits) if waits else None


def describe_wait(seconds: float | None) -> str:
    """An estimated wait in Vietnamese: "khoảng 5 phút", "khoảng 2 giờ", "vài phút" when unknown."""
    if seconds is None:
        return "vài phút"
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return f"khoảng {minutes} phút"
    hours = round(minutes / 60)
    return f"khoảng {hours} giờ" if hours > 1 else "khoảng 1 giờ"


def next_opening_text(office: OfficeHours, now: dt.datetime) -> str | None:
    """When officers are next at work, for a citizen; None while the office is open."""
    if office.is_open(now):
        return None
    opening = office.next_opening(now)
    return describe_opening(opening, now) if opening else "giờ làm việc tiếp theo"


def waiting_reply(db: Session, conversation: Conversation, office: OfficeHours, now: dt.datetime | None = None) -> str:
    """The gateway's answer to a citizen message while the conversation is with the officers."""
    now = now or utcnow()
    handoff = open_handoff_of(db, conversation.id)
    if handoff is not None and handoff.status == HandoffStatus.assigned and handoff.officer_id:
        officer = db.get(StaffUser, handoff.officer_id)
        who = f"Cán bộ {officer.full_name}" if officer else "Cán bộ phụ trách"
        return f"{who} đã nhận được tin nhắn của bạn và sẽ trả lời bạn tại đây."
    if (opening := next_opening_text(office, now)) is not None:
        return ("Hiện đang ngoài giờ làm việc. Tin nhắn của bạn đã được lưu lại; cán bộ sẽ trả lời bạn tại đây "
                f"từ {opening}.")
    if handoff is None or handoff.status != HandoffStatus.waiting:
        return ("Tin nhắn của bạn đã được lưu lại và chuyển tới cán bộ. "
                "Cán bộ sẽ trả lời bạn tại đây sớm nhất có thể.")
    position = queue_position(db, handoff)
    where = ("Bạn là người tiếp theo trong hàng chờ" if position == 1
             else f"Bạn đang ở vị trí thứ {position} trong hàng chờ")
    wait = describe_wait(average_wait_seconds(db, office, now))
    return f"Tin nhắn của bạn đã được chuyển tới cán bộ. {where}; cán bộ sẽ trả lời bạn trong {wait} nữa."


# --- the officers' side -----------------------------------------------------------------------------------------

def get_handoff(db: Session, handoff_id: int) -> Handoff:
    handoff = db.get(Handoff, handoff_id)
    if handoff is None:
        raise AppError(404, "not_found", f"Không có yêu cầu hỗ trợ số {handoff_id}.")
    return handoff


def _name(db: Session, staff_id: int | None) -> str:
    user = db.get(StaffUser, staff_id) if staff_id else None
    return user.full_name if user else "khác"


def _refused(db: Session, handoff: Handoff, officer: StaffUser) -> AppError:
    """Why a state change did not apply, in plain words (the handoff is re-read first)."""
    db.refresh(handoff)
    if handoff.status == HandoffStatus.resolved:
        return AppError(409, "already_resolved", "Cuộc trò chuyện này đã được xử lý xong.")
    if handoff.status == HandoffStatus.assigned:
        if handoff.officer_id == officer.id:
            return AppError(409, "already_yours", "Bạn đang phụ trách cuộc trò chuyện này.")
        return AppError(409, "already_claimed",
                        f"Cán bộ {_name(db, handoff.officer_id)} đã nhận cuộc trò chuyện này.")
    return AppError(409, "not_claimed", "Cuộc trò chuyện chưa có cán bộ nhận. Bạn hãy bấm \"Nhận\" trước.")


def _say(db: Session, handoff: Handoff, text: str, buttons: list[dict[str, str]] | None = None) -> Message:
    message = Message(conversation_id=handoff.conversation_id, author=MessageAuthor.system, text=text,
                      buttons=buttons)
    db.add(message)
    return message


def _set_mode(db: Session, handoff: Handoff, mode: ConversationMode) -> None:
    conversation = db.get(Conversation, handoff.conversation_id)
    assert conversation is not None
    conversation.mode = mode


def claim(db: Session, handoff_id: int, officer: StaffUser, now: dt.datetime | None = None) -> Handoff:
    """Take a waiting handoff or a ticket. Of two officers claiming at once exactly one wins; the other gets a 409
    naming who has it. Claiming again one's own handoff is harmless (a retried request)."""
    handoff = get_handoff(db, handoff_id)
    won = rows_changed(db, update(Handoff).where(Handoff.id == handoff_id, Handoff.status.in_(UNCLAIMED))
                       .values(status=HandoffStatus.assigned, officer_id=officer.id, claimed_at=now or utcnow())
                       .execution_options(synchronize_session=False)) == 1
    if not won:
        refusal = _refused(db, handoff, officer)
        if refusal.code == "already_yours":
            return handoff
        raise refusal
    db.refresh(handoff)
    analytics_counts.sync_handoff(db, handoff.id)
    _set_mode(db, handoff, ConversationMode.assigned)
    _say(db, handoff, f"Cán bộ {officer.full_name} đã tham gia cuộc trò chuyện.")
    events.after_commit(db, events.QUEUE)
    staff.record(db, officer.id, "handoff.claim", f"handoff:{handoff.id}",
                 {"conversation_id": handoff.conversation_id, "reason": handoff.reason})
    log.info("handoff claimed", extra={"handoff_id": handoff.id, "officer_id": officer.id})
    return handoff


def check_reply_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise AppError(422, "empty_reply", "Nội dung trả lời đang trống. Bạn vui lòng nhập nội dung.")
    if len(text) > REPLY_MAX_CHARS:
        raise AppError(422, "reply_too_long",
                       f"Nội dung trả lời dài {len(text):,} ký tự, quá giới hạn {REPLY_MAX_CHARS:,} ký tự. "
                       "Bạn vui lòng chia thành nhiều tin nhắn.".replace(",", "."))
    return text


def reply(db: Session, handoff_id: int, officer: StaffUser, text: str) -> Message:
    """An officer's answer to the citizen, stored (the caller commits before acknowledging)."""
    handoff = get_handoff(db, handoff_id)
    text = check_reply_text(text)
    if handoff.status != HandoffStatus.assigned:
        raise _refused(db, handoff, officer)
    if handoff.officer_id != officer.id:
        raise AppError(403, "not_assigned", f"Cuộc trò chuyện này do cán bộ {_name(db, handoff.officer_id)} phụ "
                                            "trách; chỉ cán bộ phụ trách mới trả lời được.")
    message = Message(conversation_id=handoff.conversation_id, author=MessageAuthor.officer, text=text,
                      staff_id=officer.id)
    db.add(message)
    db.flush()
    analytics_counts.sync_handoff(db, handoff.id)
    staff.record(db, officer.id, "handoff.reply", f"handoff:{handoff.id}",
                 {"message_id": message.id, "chars": len(text)})
    return message


def transfer(db: Session, handoff_id: int, actor: StaffUser, target_id: int, now: dt.datetime | None = None) -> Handoff:
    """Give the conversation to another active officer: its officer or an admin may; an admin may also assign
    a handoff nobody has claimed yet."""
    handoff = get_handoff(db, handoff_id)
    target = db.get(StaffUser, target_id)
    if target is None:
        raise AppError(404, "officer_not_found", f"Không có cán bộ số {target_id}.")
    if not target.is_active:
        raise AppError(409, "officer_inactive", f"Tài khoản của cán bộ {target.full_name} đang bị khoá.")
    previous = handoff.officer_id
    if handoff.status == HandoffStatus.assigned:
        if previous != actor.id and actor.role != Role.admin:
            raise AppError(403, "not_assigned", f"Cuộc trò chuyện này do cán bộ {_name(db, previous)} phụ trách; "
                                                "chỉ cán bộ phụ trách hoặc quản trị viên mới chuyển được.")
        if target.id == previous:
            raise AppError(409, "same_officer", f"Cán bộ {target.full_name} đang phụ trách cuộc trò chuyện này.")
        condition: tuple[ColumnElement[bool], ...] = (Handoff.status == HandoffStatus.assigned,
                                                      Handoff.officer_id == previous)
        values: dict[str, Any] = {"officer_id": target.id}
    elif handoff.status in UNCLAIMED and actor.role == Role.admin:
        condition = (Handoff.status.in_(UNCLAIMED),)
        values = {"officer_id": target.id, "status": HandoffStatus.assigned, "claimed_at": now or utcnow()}
    else:
        raise _refused(db, handoff, actor)
    changed = rows_changed(db, update(Handoff).where(Handoff.id == handoff_id, *condition).values(**values)
                           .execution_options(synchronize_session=False)) == 1
    if not changed:
        db.refresh(handoff)
        raise AppError(409, "changed_meanwhile", "Cuộc trò chuyện vừa được cán bộ khác thay đổi. "
                                                 "Bạn vui lòng tải lại để xem tình trạng mới.")
    db.refresh(handoff)
    analytics_counts.sync_handoff(db, handoff.id)
    _set_mode(db, handoff, ConversationMode.assigned)
    _say(db, handoff, f"Cuộc trò chuyện đã được chuyển cho cán bộ {target.full_name}.")
    events.after_commit(db, events.QUEUE)
    staff.record(db, actor.id, "handoff.transfer", f"handoff:{handoff.id}",
                 {"from_officer_id": previous, "to_officer_id": target.id})
    return handoff


def resolve(db: Session, handoff_id: int, actor: StaffUser, now: dt.datetime | None = None) -> Handoff:
    """Done: the conversation returns to the bot (the gateway forwards to Rasa again) and the citizen is asked
    for a 1–5 rating (buttons answered by Rasa's action_rate)."""
    handoff = get_handoff(db, handoff_id)
    if handoff.status != HandoffStatus.assigned:
        raise _refused(db, handoff, actor)
    if handoff.officer_id != actor.id and actor.role != Role.admin:
        raise AppError(403, "not_assigned", f"Cuộc trò chuyện này do cán bộ {_name(db, handoff.officer_id)} phụ "
                                            "trách; chỉ cán bộ phụ trách hoặc quản trị viên mới kết thúc được.")
    done = rows_changed(db, update(Handoff).where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.assigned,
                                                  Handoff.officer_id == handoff.officer_id)
                        .values(status=HandoffStatus.resolved, resolved_at=now or utcnow())
                        .execution_options(synchronize_session=False)) == 1
    if not done:
        raise _refused(db, handoff, actor)
    db.refresh(handoff)
    _set_mode(db, handoff, ConversationMode.bot)
    _say(db, handoff, RATING_REQUEST, RATING_BUTTONS)
    events.after_commit(db, events.QUEUE)
    staff.record(db, actor.id, "handoff.resolve", f"handoff:{handoff.id}", {"officer_id": handoff.officer_id})
    log.info("handoff resolved", extra={"handoff_id": handoff.id, "officer_id": actor.id})
    return handoff


def unclaimed(db: Session, limit: int = 200) -> list[Handoff]:
    """The queue: waiting handoffs first, longest waiting first; then tickets, oldest first."""
    waiting_first = (Handoff.status == HandoffStatus.waiting).desc()
    return list(db.scalars(select(Handoff).where(Handoff.status.in_(UNCLAIMED))
                           .order_by(waiting_first, Handoff.created_at, Handoff.id).limit(limit)))


def assigned_to(db: Session, officer_id: int) -> list[Handoff]:
    return list(db.scalars(select(Handoff).where(Handoff.officer_id == officer_id,
                                                 Handoff.status == HandoffStatus.assigned)
                           .order_by(Handoff.claimed_at, Handoff.id)))


@dataclass
class ConversationSummary:
    conversation: Conversation
    last_citizen: Message | None
    last_bot: Message | None
    last: Message | None


def summaries(db: Session, conversation_ids: list[int]) -> dict[int, ConversationSummary]:
    """Per conversation: the last citizen message, the last bot message and the last message (3 queries)."""
    if not conversation_ids:
        return {}
    conversations = {c.id: c for c in db.scalars(select(Conversation).where(Conversation.id.in_(conversation_ids)))}
    last_ids: dict[tuple[int, str], int] = {}
    for author in (MessageAuthor.citizen, MessageAuthor.bot, None):
        query = select(Message.conversation_id, func.max(Message.id)).where(
            Message.conversation_id.in_(conversation_ids)).group_by(Message.conversation_id)
        if author is not None:
            query = query.where(Message.author == author)
        for conversation_id, message_id in db.execute(query):
            last_ids[(conversation_id, author.value if author else "any")] = message_id
    messages = {m.id: m for m in db.scalars(select(Message).where(Message.id.in_(set(last_ids.values()))))}

    def pick(conversation_id: int, kind: str) -> Message | None:
        message_id = last_ids.get((conversation_id, kind))
        return messages.get(message_id) if message_id else None

    return {cid: ConversationSummary(conversation, pick(cid, "citizen"), pick(cid, "bot"), pick(cid, "any"))
            for cid, conversation in conversations.items()}


def transcript(db: Session, conversation_id: int, limit: int) -> tuple[list[Message], bool]:
    """The conversation's messages, oldest first (the most recent `limit`), and whether older ones exist."""
    rows = list(db.scalars(select(Message).where(Message.conversation_id == conversation_id)
                           .order_by(Message.id.desc()).limit(limit + 1)))
    return list(reversed(rows[:limit])), len(rows) > limit


def staff_names(db: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(db.execute(select(StaffUser.id, StaffUser.full_name).where(StaffUser.id.in_(wanted))).all())


def _last(message: Message | None) -> LastMessage | None:
    return LastMessage(text=message.text or message.payload or "", created_at=message.created_at) if message else None


def queue_items(db: Session, rows: list[Handoff]) -> list[HandoffItem]:
    """Handoffs as the officers' lists show them: the citizen masked, the wait, the last messages, who has it."""
    found = summaries(db, sorted({h.conversation_id for h in rows}))
    names = staff_names(db, {h.officer_id for h in rows})
    now = utcnow()
    out = []
    for handoff in rows:
        summary = found[handoff.conversation_id]
        until = as_utc(handoff.claimed_at) if handoff.claimed_at else now
        out.append(HandoffItem(
            id=handoff.id, conversation_id=handoff.conversation_id, channel=summary.conversation.channel,
            user=mask_identifier(summary.conversation.user_id), reason=handoff.reason, status=handoff.status.value,
            note=handoff.note, officer_id=handoff.officer_id, officer_name=names.get(handoff.officer_id or 0),
            created_at=handoff.created_at, claimed_at=handoff.claimed_at, resolved_at=handoff.resolved_at,
            waiting_seconds=max(0, int((until - as_utc(handoff.created_at)).total_seconds())),
            last_citizen_message=_last(summary.last_citizen), last_bot_message=_last(summary.last_bot),
            retrieved=handoff.retrieved,
            awaiting_reply=bool(summary.last and summary.last.author == MessageAuthor.citizen),
        ))
    return out
