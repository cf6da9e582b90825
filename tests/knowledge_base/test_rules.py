"""The rules beyond the schema: figures as read equal ours, sources are record pages, replaced documents, and
(strict) every fact traced, every number registered, every expiring fee followed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from knowledge_base.legal_register import LegalDocument, LegalRegister, cited_numbers
from knowledge_base.records import Procedure
from knowledge_base.rules import check_procedure, check_register

URL = "https://dichvucong.gov.vn/dich-vu-cong-truc-tuyen/1.115978"
TODAY = dt.date(2026, 12, 7)
AFTER_CUT = dt.date(2027, 1, 2)


def seen(**as_read: Any) -> dict[str, Any]:
    return {"source": URL, "read_on": dt.date(2026, 9, 15), "at": "Lệ phí", "as_read": as_read}


def record(**changes: Any) -> Procedure:
    """A small procedure whose every fact is traced (strict-valid on TODAY with REGISTER)."""
    data: dict[str, Any] = {
        "id": "doi-bang", "national_codes": ["1.115978"], "title": "Đổi giấy phép lái xe", "aliases": ["đổi bằng"],
        "field": "Giấy phép lái xe", "level": "tinh", "agency": "Phòng Cảnh sát giao thông",
        "where_to_submit": "Phòng CSGT", "documents": [{"name": "Đơn đề nghị"}], "steps": ["Nộp hồ sơ"],
        "processing_time": "01 ngày làm việc", "processing_days": 1,
        "fees": [{"name": "Lệ phí", "amount": 115000, "legal_basis": "154/2025/TT-BTC",
                  "provenance": seen(amount=115000)}],
        "legal_basis": [{"title": "Luật Trật tự, an toàn giao thông đường bộ", "number": "36/2024/QH15"}],
        "online": {"level": "toan_trinh", "url": URL}, "source_url": URL, "checked_on": dt.date(2026, 9, 15),
        "provenance": {"agency": seen(agency="Phòng Cảnh sát giao thông"), "processing_time": seen(days=1),
                       "documents": seen(count=1), "legal_basis": seen(numbers=["36/2024/QH15"])},
    }
    data.update(changes)
    return Procedure.model_validate(data)


REGISTER = LegalRegister([
    LegalDocument(number="36/2024/QH15", title="Luật Trật tự, an toàn giao thông đường bộ",
                  effective_from=dt.date(2025, 1, 1), source=URL, read_on=dt.date(2026, 9, 15)),
    LegalDocument(number="154/2025/TT-BTC", title="Thông tư lệ phí giấy phép lái xe",
                  effective_from=dt.date(2026, 1, 1), source=URL, read_on=dt.date(2026, 9, 15)),
    LegalDocument(number="25/2021/TT-BTC", title="Thông tư phí xuất nhập cảnh", replaced_by="28/2026/TT-BTC",
                  replaced_on=dt.date(2026, 11, 1)),
])


def fields(procedure: Procedure, on: dt.date = TODAY, strict: bool = True) -> list[str]:
    return [p.field for p in check_procedure(procedure, on=on, register=REGISTER, strict=strict)]


def test_a_fully_traced_record_passes_today_and_after_the_cut() -> None:
    assert fields(record()) == []
    assert fields(record(), on=AFTER_CUT) == []


def test_a_fee_whose_amount_differs_from_the_amount_read_is_refused_even_without_strict() -> None:
    fee = {"name": "Lệ phí", "amount": 135000, "legal_basis": "154/2025/TT-BTC", "provenance": seen(amount=115000)}
    [problem] = check_procedure(record(fees=[fee]), on=TODAY, register=REGISTER)
    assert problem.field == "fees.0.provenance.as_read.amount"
    assert "115.000 đồng" in problem.message and "135.000 đồng" in problem.message


def test_a_time_whose_days_differ_from_the_days_read_is_refused() -> None:
    assert fields(record(processing_days=5), strict=False) == ["provenance.processing_time.as_read.days"]
    assert fields(record(processing_days=None), strict=False) == ["provenance.processing_time.as_read.days"]


def test_a_provenance_source_must_be_the_record_page() -> None:
    home = {**seen(days=1), "source": "https://dichvucong.gov.vn"}
    assert fields(record(provenance={"processing_time": home}), strict=False) == ["provenance.processing_time.source"]


def test_checked_on_is_the_latest_read_date() -> None:
    assert fields(record(checked_on=dt.date(2026, 9, 1)), strict=False) == ["checked_on"]


def test_strict_wants_every_fact_traced_or_marked_unconfirmed() -> None:
    bare = record(provenance={}, fees=[{"name": "Lệ phí", "amount": 115000, "legal_basis": "154/2025/TT-BTC"}])
    assert fields(bare, strict=False) == []
    assert sorted(fields(bare)) == ["fees.0.provenance", "provenance.agency", "provenance.documents",
                                    "provenance.legal_basis", "provenance.processing_time"]
    marked = record(provenance={"agency": seen(agency="Phòng CSGT"), "documents": seen(count=1),
                                "legal_basis": seen(numbers=["36/2024/QH15"])},
                    unconfirmed={"processing_time": "thời hạn khi nộp trực tiếp"})
    assert fields(marked) == []


def test_strict_wants_codes_except_for_a_guide_with_its_reason_and_a_deep_source_url() -> None:
    assert fields(record(national_codes=[])) == ["national_codes"]
    assert fields(record(kind="guide", national_codes=[])) == ["no_code_reason"]
    assert fields(record(kind="guide", national_codes=[], no_code_reason="Hướng dẫn chung, không phải thủ tục")) == []
    assert fields(record(source_url="https://thutuc.dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh.html")) == [
        "source_url"]


def test_a_guide_reason_on_a_procedure_is_refused_by_the_schema() -> None:
    with pytest.raises(ValueError, match="no_code_reason"):
        record(no_code_reason="không rõ")


def test_strict_wants_every_cited_number_in_the_register() -> None:
    legal = [{"title": "Luật Căn cước", "number": "26/2023/QH15"}, {"title": "Hiến pháp"}]
    assert fields(record(legal_basis=legal)) == ["legal_basis.0.number", "legal_basis.1.number"]
    assert fields(record(legal_basis=legal), strict=False) == []
    fee = {"name": "Lệ phí", "amount": 115000, "legal_basis": "Điều 38 Luật Căn cước",
           "provenance": seen(amount=115000)}
    assert fields(record(fees=[fee])) == ["fees.0.legal_basis"]


def test_a_fact_in_force_citing_a_replaced_document_is_refused_from_the_day_it_was_replaced() -> None:
    legal = [{"title": "Thông tư phí xuất nhập cảnh", "number": "25/2021/TT-BTC"}]
    assert fields(record(legal_basis=legal), on=dt.date(2026, 10, 31), strict=False) == []
    assert fields(record(legal_basis=legal), on=dt.date(2026, 11, 1), strict=False) == ["legal_basis.0.number"]
    old_fee = {"name": "Lệ phí", "amount": 200000, "legal_basis": "Thông tư 25/2021/TT-BTC"}
    assert fields(record(fees=[old_fee]), strict=False) == ["fees.0.legal_basis"]
    ended = {**old_fee, "valid_until": dt.date(2026, 10, 31), "successor": "pending"}
    assert fields(record(fees=[ended]), strict=False) == []  # not in force any more: history, not a fact of today


def temporary(amount: int, **extra: Any) -> dict[str, Any]:
    return {"name": "Lệ phí", "amount": amount, "channel": "online", "legal_basis": "154/2025/TT-BTC",
            "valid_until": dt.date(2026, 12, 31), "provenance": seen(amount=amount), **extra}


def test_strict_wants_a_successor_or_pending_for_a_fee_that_ends() -> None:
    assert fields(record(fees=[temporary(57500)])) == ["fees.0.successor"]
    assert fields(record(fees=[temporary(57500, successor="pending")])) == []
    successor = {"name": "Lệ phí", "amount": 115000, "channel": "online", "legal_basis": "154/2025/TT-BTC",
                 "valid_from": dt.date(2027, 1, 1), "provenance": seen(amount=115000)}
    assert fields(record(fees=[temporary(57500), successor])) == []
    wrong_day = {**successor, "valid_from": dt.date(2027, 2, 1)}
    assert fields(record(fees=[temporary(57500), wrong_day])) == ["fees.0.successor"]


def test_successor_pending_needs_an_end_date() -> None:
    with pytest.raises(ValueError, match="successor"):
        record(fees=[{"name": "Lệ phí", "amount": 0, "successor": "pending"}])


def test_as_read_takes_figures_only() -> None:
    with pytest.raises(ValueError, match="sentence"):
        record(provenance={"agency": {**seen(), "as_read": {"sentence": "Phòng Cảnh sát giao thông tiếp nhận"}}})


def test_the_register_itself_is_checked_when_strict() -> None:
    assert [p.field for p in check_register(REGISTER)] == []
    assert sorted(p.field for p in check_register(REGISTER, strict=True)) == [
        "25/2021/TT-BTC.read_on", "25/2021/TT-BTC.replaced_by", "25/2021/TT-BTC.source"]


def test_cited_numbers_are_found_in_citations() -> None:
    assert cited_numbers("Thông tư 64/2025/TT-BTC (giảm 50% mức tại Điều 4 Thông tư 73/2024/TT-BTC)") == [
        "64/2025/TT-BTC", "73/2024/TT-BTC"]
    assert cited_numbers("Quyết định 595/QĐ-BHXH") == ["595/QĐ-BHXH"]
    assert cited_numbers("Nghị quyết 66.7/2025/NQ-CP") == ["66.7/2025/NQ-CP"]
    assert cited_numbers("áp dụng đến 31/12/2026") == []
