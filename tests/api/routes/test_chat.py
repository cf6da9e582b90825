"""The chat contract: validation errors are clear 4xx JSON; a message is stored even when Rasa is down."""

from __future__ import annotations

from sqlalchemy import select

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
