"""Who may write to and read a REST conversation: whoever holds its key.

A REST conversation's first message is given a random key (`secrets.token_urlsafe(24)`: 192 bits), returned once in
the body as `conversation_key`; only its SHA-256 is stored. Continuing the conversation or reading its messages needs
the key in the `X-Conversation-Key` header, compared in constant time. A conversation from before keys existed is
claimed by its next message (documented in docs/security.md). Keys never appear in paths, so never in logs.

A first message whose reply was lost (the app restarted mid-request) is retried with the same `client_msg_id` and no
key: within RECOVERY_WINDOW of the conversation's start, a keyless retry of its first message (same client id) gets a
fresh key that replaces the lost one. Clients should use random client ids (UUIDs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.core.errors import AppError
from api.core.security import as_utc
from api.db.base import rows_changed, session_scope
from api.db.models import Conversation, Message, MessageAuthor, utcnow
from api.services import conversations

HEADER = "X-Conversation-Key"
MAX_KEY_CHARS = 128
RECOVERY_WINDOW = dt.timedelta(minutes=5)
WRONG_KEY = ("Bạn không có quyền gửi tin hoặc đọc tin của cuộc trò chuyện này. Hãy gửi kèm mã cuộc trò chuyện "
             "(X-Conversation-Key) nhận được ở tin nhắn đầu tiên, hoặc bắt đầu cuộc trò chuyện mới.")


def new_key() -> str:
    return secrets.token_urlsafe(24)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def refused() -> AppError:
    return AppError(403, "wrong_conversation_key", WRONG_KEY)


def holds(conversation: Conversation, presented: str | None) -> bool:
    """Whether `presented` is the conversation's key (constant-time comparison of the hashes)."""
    if not conversation.key_hash or not presented or len(presented) > MAX_KEY_CHARS:
        return False
    return hmac.compare_digest(conversation.key_hash, key_hash(presented))


def check(conversation: Conversation, presented: str | None) -> None:
    """Reading: the key must match (a conversation without a key has no owner yet and is not shown)."""
    if not holds(conversation, presented):
        raise refused()


def _retried_first_message(db: Session, conversation: Conversation, client_msg_id: str | None) -> bool:
    if not client_msg_id or as_utc(conversation.created_at) < utcnow() - RECOVERY_WINDOW:
        return False
    first = db.scalar(select(Message.client_msg_id).where(Message.conversation_id == conversation.id,
                                                          Message.author == MessageAuthor.citizen)
                      .order_by(Message.id).limit(1))
    return first is not None and hmac.compare_digest(first.encode(), client_msg_id.encode())


def authorize(channel: str, user_id: str, presented: str | None, client_msg_id: str | None = None) -> str | None:
    """Before a citizen message is stored: None when `presented` is the conversation's key; a new key when the
    conversation is new (or from before keys) and is now owned by this caller, or when this is a keyless retry of
    its first message (see above); AppError 403 otherwise."""
    with session_scope() as db:
        conversation = conversations.find(db, channel, user_id)
        known = None
        if conversation is not None and conversation.key_hash is not None:
            if holds(conversation, presented):
                return None
            if presented or not _retried_first_message(db, conversation, client_msg_id):
                raise refused()
            known = conversation.key_hash
        conversation = conversation or conversations.get_or_create(db, channel, user_id)
        key = new_key()
        owned_by = Conversation.key_hash.is_(None) if known is None else Conversation.key_hash == known
        claimed = rows_changed(db, update(Conversation).where(Conversation.id == conversation.id, owned_by)
                               .values(key_hash=key_hash(key)).execution_options(synchronize_session=False))
        if claimed != 1:  # a concurrent first message claimed it
            raise refused()
        return key
