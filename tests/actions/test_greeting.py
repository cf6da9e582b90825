from __future__ import annotations

from actions.greeting import greeting_text


def test_greeting_names_the_province_when_configured() -> None:
    text = greeting_text({"name": "Trợ lý ảo Một cửa", "province": "tỉnh Điện Biên"})
    assert text.startswith("Xin chào! Tôi là Trợ lý ảo Một cửa của tỉnh Điện Biên.")


def test_greeting_without_province() -> None:
    assert "của" not in greeting_text({"name": "Trợ lý"}).split(".")[0]
