"""A Vietnamese round trip through the real processes: app → Rasa → action server → app → citizen."""

from __future__ import annotations

import httpx
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_greeting_goes_through_rasa_and_the_action_server(stack) -> None:
    body = stack.chat("integration-1", "xin chào")
    assert body["mode"] == "bot"
    text = body["replies"][0]["text"]
    # This sentence is written by action_greet from the app's /api/v1/assistant facts, so the reply
    # proves the whole path: gateway → Rasa NLU/dialogue → action server → app → back.
    assert text.startswith("Xin chào! Tôi là Trợ lý ảo thủ tục hành chính.")
    assert "lệ phí" in text


def test_greeting_typed_without_diacritics(stack) -> None:
    text = stack.chat("integration-2", "chao ban")["replies"][0]["text"]
    assert text.startswith("Xin chào!")


def test_thanks_and_goodbye(stack) -> None:
    assert "Không có gì" in stack.chat("integration-3", "cảm ơn bạn nhiều")["replies"][0]["text"]
    assert stack.chat("integration-3", "tạm biệt")["replies"][0]["text"]


def test_readiness_reports_all_processes(stack) -> None:
    body = httpx.get(f"{stack.app_url}/readyz", timeout=10, headers=stack.bot_headers()).json()
    assert body["ready"] is True
    ok = {name for name, check in body["checks"].items() if check["ok"]}
    # the test stack also runs the Telegram and Zalo channels against their local fake servers
    assert ok == {"database", "rasa", "action_server", "search_index", "telegram", "zalo"}
