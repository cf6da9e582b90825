"""Masking of personal numbers, data-driven (tests/data/privacy_cases.yml): ≥ 100 numbers written the ways citizens
write them, each masked to its last three digits; ≥ 50 ordinary numbers (fees, dates, legal references, procedure
codes) that must stay exactly as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from knowledge_base.privacy import mask_pii

CASES = yaml.safe_load((Path(__file__).parents[1] / "data" / "privacy_cases.yml").read_text(encoding="utf-8"))


def test_the_data_set_is_large_enough() -> None:
    assert len(CASES["positives"]) >= 100 and len(CASES["negatives"]) >= 50


@pytest.mark.parametrize("case", CASES["positives"], ids=lambda c: c["text"])
def test_personal_numbers_are_masked_to_their_last_three_digits(case: dict[str, str]) -> None:
    number = case["number"]
    digits = re.sub(r"\D", "", number)
    masked = mask_pii(case["text"])
    tail = ("*" * (len(digits) - 3)) + digits[-3:]
    expected = number[0] + tail if number[0].isalpha() else tail
    assert expected in masked and number not in masked
    assert digits[:-3] not in re.sub(r"\D", "", masked)  # not even split across groups
    if case["text"].count(number) == 1 and sum(c.isdigit() for c in case["text"]) == len(digits):
        assert masked == case["text"].replace(number, expected)  # nothing else touched


@pytest.mark.parametrize("text", CASES["negatives"])
def test_ordinary_numbers_stay_intact(text: str) -> None:
    assert mask_pii(text) == text
