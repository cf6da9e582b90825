"""The printable checklist's content, for every seed procedure: every paper, the fees in force on the print date
(not those that ended or start later), the record's own page for the QR code."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge_base import checklist
from knowledge_base.answers import money
from knowledge_base.loader import load_dir
from knowledge_base.records import Procedure
from knowledge_base.sources import is_record_source

PROCEDURES = load_dir()
DAYS = [dt.date(2026, 12, 7), dt.date(2027, 1, 2)]


def test_there_are_forty_procedures() -> None:
    assert len(PROCEDURES) == 40


@pytest.mark.parametrize("on", DAYS, ids=str)
@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p.id)
def test_checklist_holds_every_paper_and_the_fees_in_force(procedure: Procedure, on: dt.date) -> None:
    sheet = checklist.build(procedure, on)
    assert [paper.name.split(" (mẫu ")[0] for paper in sheet.papers] == [
        d.name.split(" (mẫu ")[0] for d in procedure.documents]
    text = "\n".join(sheet.fees)
    for fee in procedure.fees_in_force(on):
        assert money(fee.amount) in text
    assert len(sheet.fees) == len(procedure.fees_in_force(on)) + len(procedure.fees_being_updated(on))
    assert sheet.printed == on.strftime("%d/%m/%Y")
    assert is_record_source(sheet.record_link), sheet.record_link
    assert sheet.record_link in sheet.source or sheet.source.startswith("Cổng")


def test_a_fee_that_ended_is_not_on_the_sheet_and_its_successor_is() -> None:
    procedure = next(p for p in PROCEDURES if p.id == "cap-ho-chieu-pho-thong")
    base = procedure.model_dump()
    base["fees"] = [
        {"name": "Lệ phí thử", "amount": 100000, "channel": "online", "valid_until": dt.date(2026, 12, 31),
         "successor": "pending"},
        {"name": "Lệ phí thử", "amount": 250000, "channel": "online", "valid_from": dt.date(2027, 1, 1)},
    ]
    edited = Procedure.model_validate(base)
    assert "100.000 đồng" in "\n".join(checklist.build(edited, dt.date(2026, 12, 31)).fees)
    later = "\n".join(checklist.build(edited, dt.date(2027, 1, 1)).fees)
    assert "250.000 đồng" in later and "100.000" not in later


def test_the_qr_link_is_never_a_home_page() -> None:
    procedure = next(p for p in PROCEDURES if p.national_codes)
    home = Procedure.model_validate({**procedure.model_dump(), "source_url": "https://dichvucong.gov.vn/"})
    assert checklist.record_link(home) == f"https://dichvucong.gov.vn/dich-vu-cong-truc-tuyen/{procedure.national_codes[0]}"
