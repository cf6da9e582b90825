"""Pure parts of the bot's turn decided in the app: choosing by words, ratings in words, texts."""

from __future__ import annotations

from api.services.answering import ordinal_choice
from api.services.bot_turns import handoff_text, rating_from


def test_ordinals() -> None:
    assert ordinal_choice("cái đầu tiên", 3) == 0
    assert ordinal_choice("so 2", 3) == 1
    assert ordinal_choice("cái cuối", 3) == -1
    assert ordinal_choice("thứ ba", 2) is None
    assert ordinal_choice("mất thẻ", 3) is None


def test_rating_words() -> None:
    assert rating_from("rất hài lòng", None) == 5
    assert rating_from("binh thuong", None) == 3
    assert rating_from("tạm ổn", None) == 3
    assert rating_from("không hài lòng lắm", None) == 2
    assert rating_from("cho 4 sao", None) == 4
    assert rating_from("ừ", None) is None


def test_outside_office_hours_the_citizen_is_told_when_to_expect_an_answer() -> None:
    text = handoff_text(False, "7:30 sáng mai (thứ Ba, 06/01/2026)", 0, "vài phút")
    assert "ngoài giờ làm việc" in text and "7:30 sáng mai" in text
    assert "vị trí thứ 2" in handoff_text(True, None, 2, "vài phút")
