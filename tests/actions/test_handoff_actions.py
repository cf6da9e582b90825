"""Handoff, complaint and rating actions against the real app."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from actions.handoff import ActionComplaint, ActionHandoff, ActionRate, rating_from
from api.db.base import session_scope
from api.db.models import Conversation, ConversationMode, Handoff, HandoffStatus
from tests.actions.conftest import run, tracker


def conversation_of(user: str) -> Conversation:
    with session_scope() as db:
        return db.scalar(select(Conversation).where(Conversation.user_id == user))


def test_request_human_opens_a_handoff_and_pauses_the_bot(app_client) -> None:
    user = f"u-{uuid.uuid4().hex[:6]}"
    messages, _ = run(ActionHandoff(app_client), tracker("gặp cán bộ", "request_human", sender=f"widget:{user}"))
    assert "chuyển cuộc trò chuyện tới cán bộ" in messages[0]["text"]
    assert "vị trí thứ" in messages[0]["text"]
    conversation = conversation_of(user)
    assert conversation.channel == "widget" and conversation.mode == ConversationMode.waiting
    run(ActionHandoff(app_client), tracker("gặp cán bộ", "request_human", sender=f"widget:{user}"))
    with session_scope() as db:
        assert db.query(Handoff).filter(Handoff.conversation_id == conversation.id).count() == 1  # no duplicate


def test_complaint_becomes_a_ticket(app_client) -> None:
    user = f"u-{uuid.uuid4().hex[:6]}"
    messages, _ = run(ActionComplaint(app_client), tracker("tôi muốn phản ánh hồ sơ trễ hẹn 2 tuần", "complaint",
                                                           sender=f"api:{user}"))
    assert "đã được ghi nhận" in messages[0]["text"]
    with session_scope() as db:
        handoff = db.scalar(select(Handoff).join(Conversation).where(Conversation.user_id == user))
        assert handoff.status == HandoffStatus.ticket and "trễ hẹn" in handoff.note


def test_rating_is_recorded(app_client) -> None:
    user = f"u-{uuid.uuid4().hex[:6]}"
    run(ActionHandoff(app_client), tracker("gặp cán bộ", "request_human", sender=f"api:{user}"))
    messages, _ = run(ActionRate(app_client), tracker("5 sao", "rate", sender=f"api:{user}",
                                                      entities=[{"entity": "rating", "value": "5"}]))
    assert "5/5" in messages[0]["text"]
    with session_scope() as db:
        assert db.scalar(select(Handoff.rating).join(Conversation).where(Conversation.user_id == user)) == 5


def test_rating_words() -> None:
    assert rating_from("rất hài lòng", None) == 5
    assert rating_from("binh thuong", None) == 3
    assert rating_from("tạm ổn", None) == 3
    assert rating_from("không hài lòng lắm", None) == 2
    assert rating_from("cho 4 sao", None) == 4
    assert rating_from("ừ", None) is None


def test_outside_office_hours_the_citizen_is_told_when_to_expect_an_answer() -> None:
    from actions.handoff import handoff_text

    text = handoff_text({"office_open": False, "next_opening": "7:30 sáng mai (thứ Ba, 06/01/2026)"})
    assert "ngoài giờ làm việc" in text and "7:30 sáng mai" in text
    assert "vị trí thứ 2" in handoff_text({"office_open": True, "queue_position": 2, "estimated_wait": "vài phút"})
