"""Answers name the source and date read of the facts they state, say exactly what is unconfirmed in the sentence
concerned (no blanket caveat), and never quote a fee past its end with no successor published."""

from __future__ import annotations

import datetime as dt

from knowledge_base.answers import UNCHECKED, answer, says_unconfirmed
from tests.knowledge_base.test_rules import URL, record, seen, temporary

TODAY = dt.date(2026, 12, 7)
AFTER_CUT = dt.date(2027, 1, 2)


def text(aspect: str | None, on: dt.date = TODAY, **changes: object) -> str:
    return answer(record(**changes), aspect, on).text


def test_a_verified_fact_names_its_source_and_the_date_read() -> None:
    said = text("time")
    assert "Thời gian giải quyết: 01 ngày làm việc" in said
    assert said.endswith(f"Nguồn: Cổng Dịch vụ công quốc gia, thủ tục 1.115978 (đọc ngày 15/09/2026): {URL}")
    assert not says_unconfirmed(said) and "kiểm tra lại" not in said


def test_every_aspect_and_the_overview_of_a_verified_record_read_as_verified() -> None:
    for aspect in (None, "documents", "fee", "time", "agency", "online", "steps", "legal", "forms"):
        said = text(aspect)
        assert not says_unconfirmed(said), said
        assert "Nguồn: " in said


def test_an_unconfirmed_fact_says_what_exactly_in_its_own_sentence() -> None:
    provenance = {"agency": seen(agency="Phòng CSGT"), "documents": seen(count=1)}
    said = text("time", provenance=provenance, unconfirmed={"processing_time": "thời hạn khi nộp trực tiếp"})
    assert said.splitlines()[1] == ("Thời gian giải quyết (chưa xác nhận được thời hạn khi nộp trực tiếp): "
                                    "01 ngày làm việc")
    assert says_unconfirmed(said)
    assert not says_unconfirmed(text("documents", provenance=provenance))  # the other aspects are not touched


def test_a_fact_without_provenance_says_it_was_not_checked_and_the_record_source_is_named() -> None:
    said = text("agency", provenance={}, source_url="https://dichvucong.gov.vn", checked_on=dt.date(2026, 11, 23))
    assert f"Cơ quan giải quyết ({UNCHECKED}): Phòng Cảnh sát giao thông." in said
    assert said.endswith("Nguồn: Cổng Dịch vụ công quốc gia (kiểm tra ngày 23/11/2026): https://dichvucong.gov.vn")


def test_a_fee_row_without_provenance_is_marked_in_its_line_only() -> None:
    fees = [{"name": "Lệ phí trực tiếp", "amount": 10000, "channel": "paper", "provenance": seen(amount=10000)},
            {"name": "Lệ phí trực tuyến", "amount": 5000, "channel": "online"}]
    lines = text("fee", fees=fees).splitlines()
    assert lines[1] == "• Lệ phí trực tiếp: 10.000 đồng"
    assert lines[2] == f"• Lệ phí trực tuyến: 5.000 đồng ({UNCHECKED})"


def test_a_temporary_fee_announces_its_successor() -> None:
    successor = {"name": "Lệ phí", "amount": 115000, "channel": "online", "valid_from": dt.date(2027, 1, 1),
                 "provenance": seen(amount=115000)}
    before = text("fee", fees=[temporary(57500), successor])
    assert "57.500 đồng. Mức này áp dụng đến hết ngày 31/12/2026; từ 01/01/2027 là 115.000 đồng" in before
    after = text("fee", AFTER_CUT, fees=[temporary(57500), successor])
    assert "115.000 đồng" in after and "57.500" not in after


def test_a_fee_past_its_end_with_no_successor_is_never_quoted() -> None:
    fees = [temporary(57500, successor="pending")]
    assert "mức từ 01/01/2027 chưa được công bố" in text("fee", fees=fees)
    on_the_last_day = text("fee", dt.date(2026, 12, 31), fees=fees)
    assert "57.500 đồng" in on_the_last_day
    for aspect in ("fee", None):
        said = text(aspect, AFTER_CUT, fees=fees)
        assert "57.500" not in said, said
        assert "đang được cập nhật" in said and URL in said


def test_the_overview_marks_only_what_is_unconfirmed() -> None:
    said = text(None, unconfirmed={"agency": "nơi nộp ở cấp xã"})
    assert "• Nơi nộp (chưa xác nhận được nơi nộp ở cấp xã): Phòng CSGT" in said
    assert "• Thời gian: 01 ngày làm việc\n" in said and "• Lệ phí: 115.000 đồng\n" in said
