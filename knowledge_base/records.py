"""Procedure and FAQ records: the schema of the knowledge base.

One YAML file under ``knowledge_base/procedures/`` holds one procedure with its FAQs.
Field names are English; values (titles, documents, answers) are Vietnamese.
Validation is strict (unknown fields are errors) so that a typo never silently drops a fact.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

NonEmpty = Annotated[str, Field(min_length=1)]


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


class Channel(str, Enum):
    any = "any"
    online = "online"
    paper = "paper"


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
    legal_basis: str | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Fee:
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValueError("valid_from is after valid_until")
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


class Online(Strict):
    level: OnlineLevel
    url: str | None = None
    note: str | None = None

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
    national_code: str | None = None  # mã thủ tục on the national catalogue, e.g. "1.001193"
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
    source_url: NonEmpty
    checked_on: dt.date
    unverified: list[NonEmpty] = Field(default_factory=list)  # facts we could not confirm
    faqs: list[Faq] = Field(default_factory=list)

    _slug = field_validator("id")(check_slug)

    @field_validator("source_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

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

    def fees_in_force(self, on: dt.date) -> list[Fee]:
        return [fee for fee in self.fees if fee.in_force(on)]

    def fee_changes_after(self, on: dt.date) -> list[Fee]:
        """Fees that start later than ``on``: what the answer should announce."""
        return [fee for fee in self.fees if fee.valid_from and fee.valid_from > on]
