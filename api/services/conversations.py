"""Conversations: one per (channel, user id), found or created; Rasa's sender id is "{channel}:{user_id}"."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db.models import Conversation, ConversationMode


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
