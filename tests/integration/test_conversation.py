"""Conversations through POST /api/v1/chat with the real Rasa server, action server and app."""

from __future__ import annotations

import uuid

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def test_question_then_follow_up_without_repeating_the_procedure(stack) -> None:
    who = sender()
    first = stack.chat(who, "làm hộ chiếu cần giấy tờ gì")["replies"][0]
    assert "hộ chiếu" in first["text"].lower() and "Nguồn:" in first["text"]
    follow = stack.chat(who, "thế mất bao lâu?")["replies"][0]
    assert "Thời gian giải quyết" in follow["text"]
    assert "hộ chiếu" in follow["text"].lower()


def test_question_without_diacritics(stack) -> None:
    folded = stack.chat(sender(), "le phi lam ho chieu bao nhieu")["replies"][0]
    typed = stack.chat(sender(), "lệ phí làm hộ chiếu bao nhiêu")["replies"][0]
    assert folded["text"] == typed["text"]  # the passport fees FAQ's answer (or the fee aspect's), either way
    assert "hộ chiếu" in folded["text"] and "lệ phí" in folded["text"].lower() and "đồng" in folded["text"]


def test_button_payload_answers_the_aspect(stack) -> None:
    reply = stack.chat(sender(), payload='/ask_time{"procedure_id": "dang-ky-ket-hon"}')["replies"][0]
    assert reply["text"].startswith("Đăng ký kết hôn")
    assert "Thời gian giải quyết" in reply["text"]


def test_out_of_scope_is_honest(stack) -> None:
    reply = stack.chat(sender(), "dự báo thời tiết Hà Nội ngày mai thế nào")["replies"][0]
    assert "chỉ hướng dẫn về thủ tục" in reply["text"] or "chưa tìm thấy" in reply["text"]


def test_asking_for_a_person_hands_off(stack) -> None:
    who = sender()
    body = stack.chat(who, "cho tôi gặp cán bộ")
    assert body["mode"] == "waiting"
    assert "chuyển cuộc trò chuyện tới cán bộ" in body["replies"][0]["text"]
    after = stack.chat(who, "alo có ai không")
    assert after["mode"] == "waiting"
    assert "đã được chuyển tới cán bộ" in after["replies"][0]["text"]
