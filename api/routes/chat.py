"""The REST channel used by REST clients and evaluations (stable contract):
POST /api/v1/chat sends a citizen message; GET /api/v1/chat/{sender}/messages fetches what was written to
the citizen since (officer replies, system notices, bot messages). A conversation is owned by the key its first
message was given (`conversation_key`), sent back in `X-Conversation-Key` (api/services/conversation_keys.py)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from api.core.errors import AppError
from api.db.models import MessageAuthor
from api.deps import SessionDep
from api.schemas import ChatMessage, ChatMessages, ChatReply, ChatRequest, ChatResponse
from api.services import conversation_keys, conversations
from api.services.gateway import RETRY_AFTER_SECONDS, CitizenMessage, Gateway, MessageRefused

router = APIRouter(prefix="/api/v1", tags=["chat"])

KeyHeader = Annotated[str | None, Header(alias=conversation_keys.HEADER, max_length=conversation_keys.MAX_KEY_CHARS,
                                         description="the conversation_key the conversation's first reply gave")]
_FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"description": "the conversation exists and X-Conversation-Key is missing or wrong"}}


def clean_sender(raw: str) -> str:
    sender = raw.strip()
    if not sender or not sender.isprintable() or len(sender) > 128:
        raise AppError(422, "invalid_sender", "Mã người gửi (sender) không hợp lệ.")
    return sender


def _refusal(refused: MessageRefused) -> AppError:
    if refused.retry_after is not None:
        return AppError(429, refused.code, refused.message, headers={"Retry-After": str(refused.retry_after)})
    return AppError(422, refused.code, refused.message)


@router.post("/chat", response_model=ChatResponse, response_model_exclude_none=True,
             summary="Send a citizen message, get the assistant's replies (the first reply carries conversation_key)",
             responses={**_FORBIDDEN, 429: {"description": "too many messages (Retry-After)"},
                        503: {"description": "many people are asking: the message is kept and answered later "
                                             "(Retry-After; read the answer with GET …/messages)"}})
async def chat(body: ChatRequest, request: Request, key: KeyHeader = None) -> ChatResponse:
    sender = clean_sender(body.sender)
    text, payload = (body.text or "").strip(), (body.payload or "").strip()
    if text and payload:
        raise AppError(422, "text_and_payload",
                       "Chỉ gửi một trong hai: nội dung tin nhắn (text) hoặc nút bấm (payload).")
    gateway: Gateway = request.app.state.gateway
    message = CitizenMessage("api", sender, text or None, payload or None, body.client_msg_id,
                             request.client.host if request.client else None)
    try:
        message = gateway.check(message)  # a refused message neither starts a conversation nor gets a key
    except MessageRefused as refused:
        raise _refusal(refused) from None
    issued = await run_in_threadpool(conversation_keys.authorize, "api", sender, key, message.client_msg_id)
    try:
        result = await gateway.handle(message)
    except MessageRefused as refused:
        error = _refusal(refused)
        if issued:  # the conversation exists now: its owner needs the key to go on
            error.extra["conversation_key"] = issued
        raise error from None
    if result.busy:
        raise AppError(503, "busy", result.replies[0].text, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                       extra={"last_message_id": result.last_message_id,
                              **({"conversation_key": issued} if issued else {})})
    return ChatResponse(replies=[ChatReply(**r.as_dict()) for r in result.replies], mode=result.mode.value,
                        last_message_id=result.last_message_id, conversation_key=issued)


@router.get("/chat/{sender}/messages", response_model=ChatMessages, responses=_FORBIDDEN,
            summary="Messages written to the citizen after a message id (officer replies, notices, bot answers)")
def chat_messages(sender: str, db: SessionDep, key: KeyHeader = None, after: int = Query(0, ge=0, le=2**63 - 1),
                  limit: int = Query(100, ge=1, le=500)) -> ChatMessages:
    sender = clean_sender(sender)
    conversation = conversations.find(db, "api", sender)
    if conversation is None:  # nothing written yet: same answer as an empty conversation
        return ChatMessages(messages=[], mode="bot", last_message_id=after)
    conversation_keys.check(conversation, key)
    written = conversations.read_messages(db, conversation.id, after=after, limit=limit,
                                          authors=(MessageAuthor.bot, MessageAuthor.officer, MessageAuthor.system))
    messages = [ChatMessage.model_validate(asdict(m)) for m in written]
    return ChatMessages(messages=messages, mode=conversation.mode.value,
                        last_message_id=messages[-1].id if messages else after)
