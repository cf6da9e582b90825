"""The gateway: every citizen message passes here, is stored, then routed by conversation mode.

No FastAPI here; channels (REST, widget, Telegram) call `handle_citizen_message`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import events  # noqa: F401  (registers the publish-on-commit listeners)
from api.core.config import get_settings
from api.db.models import Conversation, ConversationMode, Message, MessageAuthor
from api.office_hours import OfficeHours
from api.rasa_client import RasaClient, RasaUnavailable

log = logging.getLogger(__name__)

BOT_UNAVAILABLE = (
    "Xin lỗi, trợ lý ảo đang tạm gián đoạn. Tin nhắn của bạn đã được lưu lại; "
    "bạn vui lòng thử lại sau ít phút hoặc bấm \"Gặp cán bộ\"."
)


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": self.buttons}


@dataclass
class GatewayResult:
    replies: list[Reply]
    mode: ConversationMode
    conversation_id: int
    last_message_id: int  # the last message this call stored: poll GET /api/v1/chat/{sender}/messages after it
    duplicate: bool = False  # the client had already sent this message (same client_msg_id): nothing was redone
    reply_message_ids: list[int] = field(default_factory=list)  # the stored replies, in order (a notice is not stored)


def get_or_create_conversation(db: Session, channel: str, user_id: str) -> Conversation:
    query = select(Conversation).where(Conversation.channel == channel, Conversation.user_id == user_id)
    conversation = db.scalar(query)
    if conversation is not None:
        return conversation
    conversation = Conversation(channel=channel, user_id=user_id, mode=ConversationMode.bot)
    try:
        with db.begin_nested():
            db.add(conversation)
    except IntegrityError:  # created by a concurrent request
        conversation = db.scalar(query)
        assert conversation is not None
    return conversation


def _already_stored(db: Session, conversation_id: int, client_msg_id: str) -> int | None:
    return db.scalar(select(Message.id).where(Message.conversation_id == conversation_id,
                                              Message.client_msg_id == client_msg_id))


def rasa_replies_to_messages(raw: list[dict[str, Any]]) -> list[Reply]:
    """Rasa's REST output → our replies: one per text, buttons attached, images/links as text."""
    replies: list[Reply] = []
    for item in raw:
        buttons = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in item.get("buttons") or []
            if b.get("title")
        ]
        text = item.get("text") or (item.get("image") and f"Hình ảnh: {item['image']}") or ""
        if text or buttons:
            replies.append(Reply(text=str(text), buttons=buttons))
    return replies


def handle_citizen_message(db: Session, rasa: RasaClient, *, channel: str, user_id: str,
                           text: str | None = None, payload: str | None = None,
                           office: OfficeHours | None = None, client_msg_id: str | None = None) -> GatewayResult:
    conversation = get_or_create_conversation(db, channel, user_id)
    if client_msg_id and (seen := _already_stored(db, conversation.id, client_msg_id)) is not None:
        return GatewayResult([], conversation.mode, conversation.id, seen, duplicate=True)
    message = Message(conversation_id=conversation.id, author=MessageAuthor.citizen, text=text or "", payload=payload,
                      client_msg_id=client_msg_id)
    db.add(message)
    try:
        db.commit()  # stored before anything else happens: nothing is lost if Rasa fails
    except IntegrityError:  # the same client message arrived twice at once: the other request handles it
        db.rollback()
        seen = _already_stored(db, conversation.id, client_msg_id or "")
        return GatewayResult([], conversation.mode, conversation.id, seen or 0, duplicate=True)

    if conversation.mode in (ConversationMode.waiting, ConversationMode.assigned):
        from api import handoff  # handoff builds on this module

        office = office or get_settings().office()
        waiting = Reply(handoff.waiting_reply(db, conversation, office))  # told, not stored: the officer sees the rest
        return GatewayResult([waiting], conversation.mode, conversation.id, message.id)
    if conversation.mode == ConversationMode.closed:
        conversation.mode = ConversationMode.bot

    try:
        replies = rasa_replies_to_messages(rasa.send(conversation.rasa_sender, payload or text or ""))
    except RasaUnavailable:
        replies = [Reply(BOT_UNAVAILABLE, [{"title": "Gặp cán bộ", "payload": "/request_human"}])]
    stored = [Message(conversation_id=conversation.id, author=MessageAuthor.bot, text=reply.text,
                      buttons=reply.buttons or None) for reply in replies]
    db.add_all(stored)
    db.commit()
    db.refresh(conversation)  # an action may have handed the conversation to an officer meanwhile
    return GatewayResult(replies, conversation.mode, conversation.id, stored[-1].id if stored else message.id,
                         reply_message_ids=[m.id for m in stored])
