"""Conversations: one per (channel, user id), found or created; Rasa's sender id is "{channel}:{user_id}"."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.core.security import as_utc
from api.db.models import Conversation, ConversationMode, Message, MessageAuthor, StaffUser, ZaloUser, utcnow
from api.domain import zalo_rules
from api.domain.messages import MessageView


def split_sender(sender: str) -> tuple[str, str]:
    """Rasa's sender id is "{channel}:{user_id}"; anything else is taken as the REST channel."""
    channel, sep, user_id = sender.partition(":")
    return (channel, user_id) if sep and channel and user_id else ("api", sender)


def find(db: Session, channel: str, user_id: str) -> Conversation | None:
    return db.scalar(select(Conversation).where(Conversation.channel == channel, Conversation.user_id == user_id))


def get_or_create(db: Session, channel: str, user_id: str) -> Conversation:
    conversation = find(db, channel, user_id)
    if conversation is not None:
        return conversation
    conversation = Conversation(channel=channel, user_id=user_id, mode=ConversationMode.bot)
    try:
        with db.begin_nested():
            db.add(conversation)
    except IntegrityError:  # created by a concurrent request
        conversation = find(db, channel, user_id)
        assert conversation is not None
    return conversation


def view(message: Message, officer_name: str | None) -> MessageView:
    return MessageView(id=message.id, author=message.author.value,
                       author_name=officer_name if message.author == MessageAuthor.officer else None,
                       text=message.text or "", payload=message.payload, buttons=list(message.buttons or []),
                       created_at=message.created_at, client_msg_id=message.client_msg_id)


def read_messages(db: Session, conversation_id: int, *, after: int = 0, limit: int = 200,
                  authors: Iterable[MessageAuthor] | None = None) -> list[MessageView]:
    """The conversation's messages after a cursor, oldest first, with the officers' names (one query)."""
    query = (select(Message, StaffUser.full_name).outerjoin(StaffUser, StaffUser.id == Message.staff_id)
             .where(Message.conversation_id == conversation_id, Message.id > after))
    if authors is not None:
        query = query.where(Message.author.in_(tuple(authors)))
    return [view(message, name) for message, name in db.execute(query.order_by(Message.id).limit(limit))]


def views(db: Session, messages: list[Message]) -> list[MessageView]:
    """Messages already read, with the officers' names (one query)."""
    wanted = {m.staff_id for m in messages if m.staff_id}
    names = dict(db.execute(select(StaffUser.id, StaffUser.full_name).where(StaffUser.id.in_(wanted))).tuples()
                 .all()) if wanted else {}
    return [view(m, names.get(m.staff_id or 0)) for m in messages]


def waiting_for_citizen(db: Session, conversation_id: int, ids: Iterable[int]) -> set[int]:
    """Of these messages, the officer and system messages Zalo's rules hold back: the citizen last wrote more than
    48 hours ago, was sent 8 messages since, or unfollowed the OA. They go out when the citizen next writes (the
    console marks them)."""
    wanted = list(ids)
    conversation = db.get(Conversation, conversation_id)
    if not wanted or conversation is None or conversation.channel != "zalo":
        return set()
    citizen = db.get(ZaloUser, conversation.user_id)
    held = (citizen is None or citizen.unfollowed or citizen.last_citizen_at is None
            or as_utc(citizen.last_citizen_at) < utcnow() - zalo_rules.WINDOW
            or citizen.sent_since >= zalo_rules.MAX_PER_CITIZEN_MESSAGE)
    if not held:
        return set()
    return set(db.scalars(select(Message.id).where(
        Message.conversation_id == conversation_id, Message.id.in_(wanted), Message.pushed_at.is_(None),
        Message.author.in_((MessageAuthor.officer, MessageAuthor.system)))))
