"""Procedure and FAQ records: the schema of the knowledge base.

One YAML file under ``knowledge_base/procedures/`` holds one procedure with its FAQs.
Field names are English; values (titles, documents, answers) are Vietnamese.
Validation is strict (unknown fields are errors) so that a typo never silently drops a fact.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

NonEmpty = Annotated[str, Field(min_length=1)]
Figure = Annotated[str, Field(min_length=1, max_length=60)]  # a number or code as an official record gives it
Clause = Annotated[str, Field(min_length=1, max_length=200)]  # a short clause that fits inside a sentence
NATIONAL_CODE_RE = re.compile(r"^\d\.\d{6}$")  # mã thủ tục on the national catalogue, e.g. "1.115978"
# the only links a record may hold (shown to citizens and in the console): http(s), no spaces or control characters
_HTTP_URL_RE = re.compile(r"^https?://[^\s\x00-\x1f\x7f]+$")


def check_http_url(value: str) -> str:
    """A link in a record: http:// or https:// only (no javascript:, data:, file: …)."""
    if not _HTTP_URL_RE.match(value):
        raise ValueError("must be an http(s) URL (https://…)")
    return value


def check_optional_http_url(value: str | None) -> str | None:
    return None if value is None else check_http_url(value)
FACT_GROUPS = ("agency", "processing_time", "documents", "legal_basis")  # each needs provenance


def check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError("must be a slug: lower-case ascii words joined by '-'")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Level(str, Enum):
    """Which tier of government handles the procedure (after the 2025 two-level reform)."""

    trung_uong = "trung_uong"
    tinh = "tinh"
    xa = "xa"

    @property
    def label(self) -> str:
        return {"trung_uong": "Trung ương", "tinh": "Cấp tỉnh", "xa": "Cấp xã"}[self.value]


class OnlineLevel(str, Enum):
    toan_trinh = "toan_trinh"  # the whole procedure can be done online
    mot_phan = "mot_phan"  # submit online, but something is done in person
    khong = "khong"  # not available online

    @property
    def label(self) -> str:
        return {
            "toan_trinh": "Dịch vụ công trực tuyến toàn trình",
            "mot_phan": "Dịch vụ công trực tuyến một phần",
            "khong": "Chưa nộp trực tuyến được",
        }[self.value]


class Kind(str, Enum):
    procedure = "procedure"  # an administrative procedure with a national record
    guide = "guide"  # a how-to (e.g. logging in to the portal), not an administrative procedure


class Channel(str, Enum):
    any = "any"
    online = "online"
    paper = "paper"


class AsRead(Strict):
    """The figures of a fact as the official record gives them: numbers, codes, a name; never its sentences."""

    amount: int | None = Field(default=None, ge=0)  # VND
    days: int | None = Field(default=None, ge=0)  # working days
    hours: int | None = Field(default=None, ge=0)
    count: int | None = Field(default=None, ge=0)  # e.g. how many documents the checklist lists
    numbers: list[Figure] | None = None  # legal document numbers, e.g. "108/2026/TT-BCA"
    forms: list[Figure] | None = None  # form codes, e.g. "CT01"
    agency: Annotated[str, Field(min_length=1, max_length=160)] | None = None


class Provenance(Strict):
    """Where one fact was read: the record's own page (or national code), when, where in it, and its figures."""

    source: NonEmpty  # a deep URL of the record, or a bare national code such as "1.115978"
    read_on: dt.date
    at: Annotated[str, Field(min_length=1, max_length=120)]  # e.g. "Lệ phí — trực tuyến"
    as_read: AsRead = Field(default_factory=AsRead)

    @field_validator("source")
    @classmethod
    def _link_or_code(cls, value: str) -> str:
        return value if NATIONAL_CODE_RE.match(value) else check_http_url(value)


class FactProvenance(Strict):
    """Provenance per fact group of a procedure (fees carry theirs on each row)."""

    agency: Provenance | None = None
    processing_time: Provenance | None = None
    documents: Provenance | None = None
    legal_basis: Provenance | None = None


class Unconfirmed(Strict):
    """Per fact group, what exactly is not confirmed: a short Vietnamese clause the answer puts in that sentence."""

    agency: Clause | None = None
    processing_time: Clause | None = None
    documents: Clause | None = None
    legal_basis: Clause | None = None
    online: Clause | None = None
    steps: Clause | None = None
    forms: Clause | None = None


class Document(Strict):
    name: NonEmpty
    copies: str | None = None  # e.g. "01 bản chính", "01 bản sao có chứng thực"
    required: bool = True
    note: str | None = None
    form: str | None = None  # form code, see Procedure.forms


class Fee(Strict):
    """One fee amount, valid for a period and a channel.

    Temporary amounts (e.g. 50% cuts until 31/12/2026) are separate entries with their dates,
    so that the amount in force on any day can be computed.
    """

    name: NonEmpty
    amount: int = Field(ge=0)  # VND; 0 = free
    channel: Channel = Channel.any
    conditions: str | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    legal_basis: str | None = None  # the document number the amount comes from, e.g. "154/2025/TT-BTC"
    successor: Literal["pending"] | None = None  # on a row with valid_until: no next amount published yet
    provenance: Provenance | None = None
    unconfirmed: Clause | None = None  # what exactly about this row is not confirmed

    @model_validator(mode="after")
    def _dates_in_order(self) -> Fee:
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValueError("valid_from is after valid_until")
        if self.successor and not self.valid_until:
            raise ValueError("successor is only for a fee with valid_until")
        return self

    def in_force(self, on: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_until is None or on <= self.valid_until
        )


class LegalBasis(Strict):
    title: NonEmpty  # e.g. "Luật Căn cước"
    number: str | None = None  # e.g. "26/2023/QH15"
    note: str | None = None


class Form(Strict):
    code: NonEmpty  # e.g. "CC01", "TK1-TS"
    name: NonEmpty
    url: str | None = None

    _url = field_validator("url")(check_optional_http_url)


class Online(Strict):
    level: OnlineLevel
    url: str | None = None
    note: str | None = None

    _url = field_validator("url")(check_optional_http_url)

    @model_validator(mode="after")
    def _url_when_online(self) -> Online:
        if self.level != OnlineLevel.khong and not self.url:
            raise ValueError("an online procedure needs its url")
        return self


class Faq(Strict):
    id: NonEmpty
    question: NonEmpty
    answer: NonEmpty
    paraphrases: list[NonEmpty] = Field(default_factory=list)
    procedure_id: str | None = None  # set from the enclosing procedure when nested

    _slug = field_validator("id")(check_slug)


class Procedure(Strict):
    id: NonEmpty
    kind: Kind = Kind.procedure
    national_codes: list[NonEmpty] = Field(default_factory=list)  # [] only for a guide (rule checked in rules.py)
    no_code_reason: Clause | None = None  # a guide without national code: why
    title: NonEmpty
    aliases: list[NonEmpty] = Field(min_length=1)
    field: NonEmpty  # lĩnh vực
    level: Level
    locality: str = "national"  # "national" or a province name
    agency: NonEmpty  # cơ quan thực hiện
    where_to_submit: NonEmpty
    who_can_apply: str | None = None  # đối tượng thực hiện
    documents: list[Document] = Field(min_length=1)
    steps: list[NonEmpty] = Field(min_length=1)
    processing_time: NonEmpty
    processing_days: int | None = Field(default=None, ge=0)  # working days, when one number fits
    fees: list[Fee] = Field(default_factory=list)
    fee_exemptions: list[NonEmpty] = Field(default_factory=list)
    result: str | None = None  # what the citizen receives
    legal_basis: list[LegalBasis] = Field(min_length=1)
    forms: list[Form] = Field(default_factory=list)
    online: Online
    notes: list[NonEmpty] = Field(default_factory=list)
    source_url: NonEmpty  # the record's own page (deep link), not a portal's home or listing page
    checked_on: dt.date  # the latest read_on of its facts
    provenance: FactProvenance = Field(default_factory=FactProvenance)
    unconfirmed: Unconfirmed = Field(default_factory=Unconfirmed)
    faqs: list[Faq] = Field(default_factory=list)

    _slug = field_validator("id")(check_slug)

    _source_url = field_validator("source_url")(check_http_url)

    @field_validator("national_codes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not NATIONAL_CODE_RE.match(code):
                raise ValueError(f"{code!r} is not a national record code like 1.115978")
        if len(set(value)) != len(value):
            raise ValueError("a national code is listed twice")
        return value

    @model_validator(mode="after")
    def _reason_only_without_codes(self) -> Procedure:
        if self.no_code_reason and (self.national_codes or self.kind != Kind.guide):
            raise ValueError("no_code_reason is only for a guide without national codes")
        return self

    @model_validator(mode="after")
    def _link_faqs(self) -> Procedure:
        seen: set[str] = set()
        for faq in self.faqs:
            if faq.id in seen:
                raise ValueError(f"duplicate FAQ id {faq.id!r}")
            seen.add(faq.id)
            if faq.procedure_id is None:
                faq.procedure_id = self.id
        return self

    def open_facts(self) -> list[tuple[str, str | None]]:
        """Facts not verified, as (field, what is unconfirmed or None when the fact has no provenance yet)."""
        found: list[tuple[str, str | None]] = []
        for group in FACT_GROUPS:
            note = getattr(self.unconfirmed, group)
            if note or getattr(self.provenance, group) is None:
                found.append((group, note))
        found.extend((f"fees.{i}", fee.unconfirmed) for i, fee in enumerate(self.fees)
                     if fee.unconfirmed or fee.provenance is None)
        found.extend((group, note) for group in ("online", "steps", "forms")
                     if (note := getattr(self.unconfirmed, group)))
        return found

    def fees_in_force(self, on: dt.date) -> list[Fee]:
        return [fee for fee in self.fees if fee.in_force(on)]

    def fees_being_updated(self, on: dt.date) -> list[Fee]:
        """Fees past their end with no published successor (`successor: pending`) and nothing of the same name and
        channel in force: the answer says the amount is being updated, never the expired amount."""
        in_force = {(fee.name, fee.channel) for fee in self.fees_in_force(on)}
        found: dict[tuple[str, Channel], Fee] = {}
        for fee in self.fees:
            ended = fee.valid_until is not None and fee.valid_until < on
            if fee.successor == "pending" and ended and (fee.name, fee.channel) not in in_force:
                found.setdefault((fee.name, fee.channel), fee)
        return list(found.values())

    def fee_changes_after(self, on: dt.date) -> list[Fee]:
        """Fees that start later than ``on``: what the answer should announce."""
        return [fee for fee in self.fees if fee.valid_from and fee.valid_from > on]
