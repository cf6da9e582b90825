"""POST /api/v1/chat: the REST channel used by REST clients and evaluations (stable contract)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from api.core.errors import AppError
from api.deps import SessionDep, SettingsDep
from api.gateway import handle_citizen_message

router = APIRouter(prefix="/api/v1", tags=["chat"])


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender: str = Field(min_length=1, max_length=128, description="stable id of the citizen in the calling client")
    text: str | None = Field(default=None, description="what the citizen typed")
    payload: str | None = Field(default=None, max_length=512, description="payload of a button the citizen pressed")


class Button(BaseModel):
    title: str
    payload: str


class ChatReply(BaseModel):
    text: str
    buttons: list[Button] = []


class ChatResponse(BaseModel):
    replies: list[ChatReply]
    mode: Literal["bot", "waiting", "assigned"]


@router.post("/chat", response_model=ChatResponse, summary="Send a citizen message, get the assistant's replies")
def chat(body: ChatRequest, request: Request, db: SessionDep, settings: SettingsDep) -> ChatResponse:
    sender = body.sender.strip()
    text = (body.text or "").strip()
    payload = (body.payload or "").strip()
    if not sender or not sender.isprintable():
        raise AppError(422, "invalid_sender", "Mã người gửi (sender) không hợp lệ.")
    if text and payload:
        raise AppError(422, "text_and_payload",
                       "Chỉ gửi một trong hai: nội dung tin nhắn (text) hoặc nút bấm (payload).")
    if not text and not payload:
        raise AppError(422, "empty_message", "Tin nhắn đang trống. Bạn vui lòng nhập câu hỏi.")
    if len(text) > settings.max_message_chars:
        raise AppError(
            422, "message_too_long",
            f"Tin nhắn dài quá {settings.max_message_chars:,} ký tự. Bạn vui lòng viết ngắn gọn hơn.".replace(",", "."),
        )
    if payload and not payload.startswith("/"):
        raise AppError(422, "invalid_payload", "Nút bấm không hợp lệ.")
    result = handle_citizen_message(db, request.app.state.rasa, channel="api", user_id=sender,
                                    text=text or None, payload=payload or None)
    mode = result.mode.value if result.mode.value != "closed" else "bot"
    return ChatResponse(replies=[ChatReply(**r.as_dict()) for r in result.replies], mode=mode)  # type: ignore[arg-type]
