"""The chat contract: validation errors are clear 4xx JSON; a message is stored even when Rasa is down."""

from __future__ import annotations

import base64
import hashlib
import logging
import uuid

import pytest
from sqlalchemy import select

from api.core.logging import JsonFormatter
from api.core.rate_limits import Verdict
from api.db.base import session_scope
from api.db.models import Conversation, Message, MessageAuthor


def test_empty_text_is_refused_in_vietnamese(client) -> None:
    response = client.post("/api/v1/chat", json={"sender": "u1", "text": "   "})
    assert response.status_code == 422
    assert response.json() == {"error": "empty_message", "message": "Tin nhắn đang trống. Bạn vui lòng nhập câu hỏi."}


def test_text_over_2000_characters_is_refused(client) -> None:
    response = client.post("/api/v1/chat", json={"sender": "u1", "text": "a" * 2001})
    assert response.status_code == 422
    assert response.json()["error"] == "message_too_long"
    assert "2.000" in response.json()["message"]


def test_text_of_exactly_2000_characters_is_accepted(client) -> None:
    response = client.post("/api/v1/chat", json={"sender": "u-2000", "text": "á" * 2000})
    assert response.status_code == 200


def test_missing_sender_names_the_field(client) -> None:
    response = client.post("/api/v1/chat", json={"text": "xin chào"})
    assert response.status_code == 422
    assert "sender" in response.json()["message"]


def test_broken_json_is_a_clear_error(client) -> None:
    response = client.post("/api/v1/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


def test_unknown_field_is_refused(client) -> None:
    response = client.post("/api/v1/chat", json={"sender": "u1", "text": "hi", "admin": True})
    assert response.status_code == 422


def test_text_and_payload_together_are_refused(client) -> None:
    response = client.post("/api/v1/chat", json={"sender": "u1", "text": "hi", "payload": "/greet"})
    assert response.status_code == 422
    assert response.json()["error"] == "text_and_payload"


def test_payload_must_be_an_intent(client) -> None:
    response = client.post("/api/v1/chat", json={"sender": "u1", "payload": "greet"})
    assert response.status_code == 422


def test_ten_megabyte_body_is_refused_before_parsing(client) -> None:
    body = b'{"sender": "u1", "text": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    response = client.post("/api/v1/chat", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


def test_message_is_stored_and_citizen_is_told_when_rasa_is_down(client) -> None:
    response = client.post("/api/v1/chat", json={"sender": "offline-user", "text": "xin chào"})
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "bot"
    assert "tạm gián đoạn" in body["replies"][0]["text"]
    assert body["replies"][0]["buttons"] == [{"title": "Gặp cán bộ", "payload": "/request_human"}]
    with session_scope() as db:
        conversation = db.scalar(select(Conversation).where(Conversation.user_id == "offline-user"))
        assert conversation is not None and conversation.channel == "api"
        authors = [m.author for m in db.scalars(select(Message).where(Message.conversation_id == conversation.id))]
    assert authors == [MessageAuthor.citizen, MessageAuthor.bot]


def test_unknown_route_is_json_404(client) -> None:
    response = client.get("/api/v1/khong-co")
    assert response.status_code == 404
    assert response.json()["message"] == "Không tìm thấy nội dung yêu cầu."


# --- conversations owned by a key ----------------------------------------------------------------------------------

def test_first_message_gets_a_key_that_later_calls_need(client) -> None:
    first = client.post("/api/v1/chat", json={"sender": "chu-so-huu", "text": "xin chào"})
    assert first.status_code == 200
    key = first.json()["conversation_key"]
    assert len(key) >= 32 and len(base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))) * 8 >= 128
    with session_scope() as db:
        conversation = db.scalar(select(Conversation).where(Conversation.user_id == "chu-so-huu"))
        assert conversation is not None and conversation.key_hash == hashlib.sha256(key.encode()).hexdigest()
    again = client.post("/api/v1/chat", json={"sender": "chu-so-huu", "text": "cảm ơn"},
                        headers={"X-Conversation-Key": key})
    assert again.status_code == 200 and "conversation_key" not in again.json()
    read = client.get("/api/v1/chat/chu-so-huu/messages", headers={"X-Conversation-Key": key})
    assert read.status_code == 200 and len(read.json()["messages"]) == 2


@pytest.mark.parametrize("headers", [{}, {"X-Conversation-Key": "doan-bua-khong-dung-1234567890"},
                                     {"X-Conversation-Key": ""}])
def test_someone_without_the_key_can_neither_write_nor_read(client, headers: dict[str, str]) -> None:
    sender = f"nan-nhan-{uuid.uuid4().hex[:6]}"
    key = client.post("/api/v1/chat", json={"sender": sender, "text": "xin chào"}).json()["conversation_key"]
    written = client.post("/api/v1/chat", json={"sender": sender, "text": "tôi là kẻ mạo danh"}, headers=headers)
    assert written.status_code == 403 and written.json()["error"] == "wrong_conversation_key"
    assert "mã cuộc trò chuyện" in written.json()["message"]
    read = client.get(f"/api/v1/chat/{sender}/messages", headers=headers)
    assert read.status_code == 403 and read.json()["error"] == "wrong_conversation_key"
    with session_scope() as db:
        texts = db.scalars(select(Message.text).join(Conversation).where(Conversation.user_id == sender)).all()
    assert "tôi là kẻ mạo danh" not in texts  # nothing was stored
    assert client.get(f"/api/v1/chat/{sender}/messages", headers={"X-Conversation-Key": key}).status_code == 200


def test_a_conversation_from_before_keys_is_claimed_once(client, db) -> None:
    db.add(Conversation(channel="api", user_id="cu-truoc-khoa"))
    db.commit()
    assert client.get("/api/v1/chat/cu-truoc-khoa/messages").status_code == 403  # nobody owns it yet
    claimed = client.post("/api/v1/chat", json={"sender": "cu-truoc-khoa", "text": "xin chào"})
    assert claimed.status_code == 200 and claimed.json()["conversation_key"]
    assert client.post("/api/v1/chat", json={"sender": "cu-truoc-khoa", "text": "a"}).status_code == 403


def test_a_lost_first_reply_is_recovered_by_retrying_the_first_message(client) -> None:
    body = {"sender": f"mat-mang-{uuid.uuid4().hex[:6]}", "text": "xin chào", "client_msg_id": uuid.uuid4().hex}
    lost = client.post("/api/v1/chat", json=body).json()["conversation_key"]
    retried = client.post("/api/v1/chat", json=body)  # same client id, no key: the reply to it was lost
    assert retried.status_code == 200
    key = retried.json()["conversation_key"]
    assert key != lost and retried.json()["replies"]
    other = client.post("/api/v1/chat", json={**body, "client_msg_id": uuid.uuid4().hex})
    assert other.status_code == 403  # another message without the key is not a retry
    path = f"/api/v1/chat/{body['sender']}/messages"
    assert client.get(path, headers={"X-Conversation-Key": lost}).status_code == 403
    assert client.get(path, headers={"X-Conversation-Key": key}).status_code == 200


def test_a_refused_first_message_starts_no_conversation(client) -> None:
    assert client.post("/api/v1/chat", json={"sender": "chua-bat-dau", "text": " "}).status_code == 422
    with session_scope() as db:
        assert db.scalar(select(Conversation).where(Conversation.user_id == "chua-bat-dau")) is None


def test_a_rate_limited_first_message_still_gives_the_key(client, monkeypatch) -> None:
    async def refuse(*_: object) -> Verdict:
        return Verdict(False, 7)

    monkeypatch.setattr(client.app.state.limits, "citizen_message", refuse)
    refused = client.post("/api/v1/chat", json={"sender": "qua-nhanh", "text": "xin chào"})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "7"
    assert refused.json()["conversation_key"]


def test_the_key_is_never_logged(client, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        key = client.post("/api/v1/chat", json={"sender": "khong-ghi-log", "text": "xin chào"}).json()[
            "conversation_key"]
        client.get("/api/v1/chat/khong-ghi-log/messages", headers={"X-Conversation-Key": key})
    assert caplog.records and all(key not in JsonFormatter().format(r) for r in caplog.records)
