"""The register of legal documents the knowledge base cites: number, title, when it took effect, what replaced it
and when, and where that was read. Committed with the knowledge base (`knowledge_base/data/legal_register.yml`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError, model_validator

from knowledge_base.loader import KnowledgeBaseError, describe_validation_error, read_yaml
from knowledge_base.records import NonEmpty, Strict

REGISTER_FILE = Path(__file__).parent / "data" / "legal_register.yml"
# a Vietnamese legal document number: 26/2023/QH15, 69/2024/NĐ-CP, 595/QĐ-BHXH (no year), 66.7/2025/NQ-CP
NUMBER_RE = re.compile(r"\b\d{1,5}(?:\.\d{1,3})?/(?:\d{4}/)?[A-Za-zĐđ][A-Za-zĐđ0-9-]*[A-Za-zĐđ0-9]")


class LegalDocument(Strict):
    number: NonEmpty
    title: NonEmpty
    effective_from: dt.date | None = None
    replaced_by: str | None = None  # the number of the document that replaced it
    replaced_on: dt.date | None = None  # the first day it no longer applies
    source: str | None = None  # the page the facts above were read from
    read_on: dt.date | None = None
    note: str | None = None  # what the source says beside the facts above, e.g. a date read only elsewhere

    @model_validator(mode="after")
    def _number_and_dates(self) -> LegalDocument:
        if cited_numbers(self.number) != [self.number]:
            raise ValueError(f"{self.number!r} is not a document number like 154/2025/TT-BTC")
        if self.effective_from and self.replaced_on and self.replaced_on < self.effective_from:
            raise ValueError("replaced_on is before effective_from")
        return self

    def replaced(self, on: dt.date) -> bool:
        return self.replaced_on is not None and self.replaced_on <= on


class LegalRegister:
    """The documents by number."""

    def __init__(self, documents: list[LegalDocument] | None = None) -> None:
        self.documents: dict[str, LegalDocument] = {}
        for document in documents or []:
            if document.number in self.documents:
                raise KnowledgeBaseError(f"legal register: {document.number} is listed twice")
            self.documents[document.number] = document

    def get(self, number: str) -> LegalDocument | None:
        return self.documents.get(number)

    def __contains__(self, number: str) -> bool:
        return number in self.documents

    def __iter__(self) -> Iterator[LegalDocument]:
        return iter(self.documents.values())

    def __len__(self) -> int:
        return len(self.documents)


def cited_numbers(text: str | None) -> list[str]:
    """The document numbers in a citation: 'Thông tư 64/2025/TT-BTC (giảm 50%…)' -> ['64/2025/TT-BTC']."""
    return NUMBER_RE.findall(text or "")


def parse_register(text: str, source: str) -> LegalRegister:
    data = read_yaml(text, source=source) or []
    if not isinstance(data, list):
        raise KnowledgeBaseError(f"{source}: expected a list of documents")
    documents = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise KnowledgeBaseError(f"{source}: item {index + 1} is not a mapping of fields")
        try:
            documents.append(LegalDocument.model_validate(item))
        except ValidationError as error:
            record = str(item.get("number") or index + 1)
            raise KnowledgeBaseError(describe_validation_error(error, source=source, record=record)) from None
    return LegalRegister(documents)


def load_register(path: Path = REGISTER_FILE) -> LegalRegister:
    return parse_register(path.read_text(encoding="utf-8"), str(path)) if path.exists() else LegalRegister()


@lru_cache(maxsize=1)
def default_register() -> LegalRegister:
    """The committed register, read once per process."""
    return load_register()
