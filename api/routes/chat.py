"""The REST channel used by REST clients, the widget and evaluations (stable contract):
POST /api/v1/chat sends a citizen message; GET /api/v1/chat/{sender}/messages fetches what was written to
the citizen since (officer replies, system notices, bot messages)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Query, Request

from api.core.errors import AppError
from api.db.models import MessageAuthor
from api.deps import SessionDep
from api.schemas import ChatMessage, ChatMessages, ChatReply, ChatRequest, ChatResponse
from api.services import conversations
from api.services.gateway import RETRY_AFTER_SECONDS, CitizenMessage, Gateway, MessageRefused

router = APIRouter(prefix="/api/v1", tags=["chat"])


def clean_sender(raw: str) -> str:
    sender = raw.strip()
    if not sender or not sender.isprintable() or len(sender) > 128:
        raise AppError(422, "invalid_sender", "Mã người gửi (sender) không hợp lệ.")
    return sender


@router.post("/chat", response_model=ChatResponse, summary="Send a citizen message, get the assistant's replies",
             responses={429: {"description": "too many messages (Retry-After)"},
                        503: {"description": "many people are asking: the message is kept and answered later "
                                             "(Retry-After; read the answer with GET …/messages)"}})
async def chat(body: ChatRequest, request: Request) -> ChatResponse:
    sender = clean_sender(body.sender)
    text, payload = (body.text or "").strip(), (body.payload or "").strip()
    if text and payload:
        raise AppError(422, "text_and_payload",
                       "Chỉ gửi một trong hai: nội dung tin nhắn (text) hoặc nút bấm (payload).")
    gateway: Gateway = request.app.state.gateway
    message = CitizenMessage("api", sender, text or None, payload or None, body.client_msg_id,
                             request.client.host if request.client else None)
    try:
        result = await gateway.handle(message)
    except MessageRefused as refused:
        if refused.retry_after is not None:
            raise AppError(429, refused.code, refused.message,
                           headers={"Retry-After": str(refused.retry_after)}) from None
        raise AppError(422, refused.code, refused.message) from None
    if result.busy:
        raise AppError(503, "busy", result.replies[0].text, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                       extra={"last_message_id": result.last_message_id})
    return ChatResponse(replies=[ChatReply(**r.as_dict()) for r in result.replies], mode=result.mode.value,
                        last_message_id=result.last_message_id)


@router.get("/chat/{sender}/messages", response_model=ChatMessages,
            summary="Messages written to the citizen after a message id (officer replies, notices, bot answers)")
def chat_messages(sender: str, db: SessionDep, after: int = Query(0, ge=0, le=2**63 - 1),
                  limit: int = Query(100, ge=1, le=500)) -> ChatMessages:
    sender = clean_sender(sender)
    conversation = conversations.find(db, "api", sender)
    if conversation is None:  # nothing written yet: same answer as an empty conversation
        return ChatMessages(messages=[], mode="bot", last_message_id=after)
    written = conversations.read_messages(db, conversation.id, after=after, limit=limit,
                                          authors=(MessageAuthor.bot, MessageAuthor.officer, MessageAuthor.system))
    messages = [ChatMessage.model_validate(asdict(m)) for m in written]
    return ChatMessages(messages=messages, mode=conversation.mode.value,
                        last_message_id=messages[-1].id if messages else after)
