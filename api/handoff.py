"""Handing a conversation to a person: open a handoff, the queue, ratings (no FastAPI here)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db.models import Conversation, ConversationMode, Handoff, HandoffStatus, Message, MessageAuthor
from api.gateway import get_or_create_conversation

OPEN_STATUSES = (HandoffStatus.waiting, HandoffStatus.assigned, HandoffStatus.ticket)


def split_sender(sender: str) -> tuple[str, str]:
    """Rasa's sender id is "{channel}:{user_id}"; anything else is taken as the REST channel."""
    channel, sep, user_id = sender.partition(":")
    return (channel, user_id) if sep and channel and user_id else ("api", sender)


def open_handoff(db: Session, sender: str, reason: str, note: str | None = None) -> tuple[Handoff, int]:
    """Open (or return the already open) handoff of the sender's conversation; returns it and its queue position."""
    channel, user_id = split_sender(sender)
    conversation = get_or_create_conversation(db, channel, user_id)
    handoff = db.scalar(select(Handoff).where(Handoff.conversation_id == conversation.id,
                                              Handoff.status.in_(OPEN_STATUSES)))
    if handoff is None:
        status = HandoffStatus.ticket if reason == "complaint" else HandoffStatus.waiting
        handoff = Handoff(conversation_id=conversation.id, reason=reason, status=status, note=note)
        db.add(handoff)
        if status == HandoffStatus.waiting:
            conversation.mode = ConversationMode.waiting
        db.add(Message(conversation_id=conversation.id, author=MessageAuthor.system,
                       text=f"Chuyển cho cán bộ ({reason})"))
        db.flush()
    return handoff, queue_position(db, handoff)


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
    return handoff
