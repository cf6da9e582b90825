"""The printable checklist of a procedure ("Phiếu hướng dẫn"): what a citizen, or the relative or officer who prints
it for them, takes to the desk — the papers to bring (with boxes to tick), the fee in force on the print date, where
and when to go, the online option, the record's deep official link (for the QR code), the print date and the source.
Pure: the page (`api/routes/checklist.py`) adds the office's address and hours and draws the QR code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from knowledge_base.answers import day, fee_lines, no_fee_text
from knowledge_base.records import Document, OnlineLevel, Procedure
from knowledge_base.sources import deep_link, describe_source, is_record_source

MAX_EXEMPTIONS = 3  # fee exemptions shown under the fees (the rest: on the record's page)


@dataclass(frozen=True)
class Paper:
    """One paper to bring, as the citizen reads it beside a box to tick."""

    name: str
    copies: str | None
    required: bool
    note: str | None

    @classmethod
    def of(cls, document: Document) -> Paper:
        name = document.name + (f" (mẫu {document.form})" if document.form and document.form not in document.name
                                else "")
        return cls(name, document.copies, document.required, document.note)


@dataclass(frozen=True)
class Checklist:
    procedure: Procedure
    printed_on: dt.date
    papers: list[Paper]
    fees: list[str]  # the fees in force on the print date (or being updated); empty: `no_fee`
    no_fee: str  # where to ask when the record gives no amount
    exemptions: list[str]
    online: str  # the online option in one sentence
    online_url: str | None
    record_link: str  # the record's own page: what the QR code holds
    source: str  # "Cổng Dịch vụ công quốc gia, thủ tục 1.001193 (kiểm tra ngày 15/09/2026)"

    @property
    def printed(self) -> str:
        return day(self.printed_on)


def record_link(procedure: Procedure) -> str:
    """The record's deep official link, never a portal's home or listing page: its source when that is the
    record's page, else the national record of its first national code."""
    if is_record_source(procedure.source_url):
        return procedure.source_url
    for code in procedure.national_codes:
        return deep_link(code)
    return procedure.source_url  # a guide whose source is not a record page (refused by strict validation)


def online_text(procedure: Procedure) -> str:
    if procedure.online.level == OnlineLevel.khong:
        return "Chưa nộp trực tuyến được: nộp trực tiếp hoặc qua bưu chính."
    return f"{procedure.online.level.label}."


def build(procedure: Procedure, printed_on: dt.date) -> Checklist:
    link = record_link(procedure)
    return Checklist(
        procedure=procedure, printed_on=printed_on, papers=[Paper.of(d) for d in procedure.documents],
        fees=fee_lines(procedure, printed_on), no_fee=no_fee_text(procedure),
        exemptions=procedure.fee_exemptions[:MAX_EXEMPTIONS], online=online_text(procedure),
        online_url=procedure.online.url if procedure.online.level != OnlineLevel.khong else None,
        record_link=link, source=f"{describe_source(link)} (kiểm tra ngày {day(procedure.checked_on)})")
