"""The answer audit: unconfirmed answers counted, expired amounts caught, orphan fee rows listed."""

from __future__ import annotations

import datetime as dt

from knowledge_base.audit import audit_day, expired_amounts, orphan_fees
from knowledge_base.vocabulary import ASPECTS
from tests.knowledge_base.test_rules import record, temporary

AFTER_CUT = dt.date(2027, 1, 2)


def test_a_verified_record_passes_every_aspect_and_the_overview() -> None:
    result = audit_day([record()], AFTER_CUT)
    assert result.answers == len(ASPECTS) + 1 and result.unconfirmed == [] and result.passes


def test_unconfirmed_answers_are_counted_against_the_bar() -> None:
    result = audit_day([record(unconfirmed={"processing_time": "thời hạn khi nộp trực tiếp"})], AFTER_CUT)
    assert result.unconfirmed == ["doi-bang/overview", "doi-bang/time"]
    assert result.unconfirmed_share == 2 / 9 and not result.passes


def test_an_expired_amount_in_an_answer_is_caught_but_not_a_longer_number() -> None:
    fees = [temporary(5000), {"name": "Lệ phí", "amount": 15000, "channel": "online",
                              "valid_from": dt.date(2027, 1, 1)}]
    procedure = record(fees=fees)
    assert expired_amounts(procedure, AFTER_CUT) == [5000]
    assert audit_day([procedure], AFTER_CUT).expired == []  # "15.000 đồng" is not "5.000 đồng"
    sneaky = record(fees=fees, notes=[], processing_time="01 ngày; trước đây phí là 5.000 đồng")
    assert audit_day([sneaky], AFTER_CUT).expired == ["doi-bang/overview: 5.000 đồng", "doi-bang/time: 5.000 đồng"]


def test_orphan_fees_end_by_the_cutoff_with_no_successor_nor_pending() -> None:
    assert orphan_fees([record(fees=[temporary(57500)])]) == ["doi-bang/fees.0: Lệ phí (đến 2026-12-31)"]
    assert orphan_fees([record(fees=[temporary(57500, successor="pending")])]) == []
