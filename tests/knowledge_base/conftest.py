"""Fixtures for the retrieval tests: a tiny inline knowledge base and a model-free embedder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge_base.embedders import HashEmbedder
from knowledge_base.records import Procedure
from knowledge_base.search import SearchConfig

# Calibrated for HashEmbedder (character trigrams): its cosines spread far wider than a real model's.
HASH_CONFIG = SearchConfig(dense_floor=0.0, dense_ceiling=1.0, none_below=0.35, lexical_rescue=6.0)


def procedure(pid: str, title: str, aliases: list[str], **extra: Any) -> Procedure:
    data: dict[str, Any] = {
        "id": pid,
        "title": title,
        "aliases": aliases,
        "field": "Thử nghiệm",
        "level": "xa",
        "agency": "Ủy ban nhân dân cấp xã",
        "where_to_submit": "Bộ phận một cửa của UBND cấp xã",
        "documents": [{"name": f"Tờ khai {title.lower()}", "copies": "01 bản chính"}],
        "steps": ["Nộp hồ sơ", "Nhận kết quả"],
        "processing_time": "Trong ngày làm việc",
        "fees": [{"name": "Lệ phí", "amount": 0}],
        "legal_basis": [{"title": "Luật Hộ tịch", "number": "60/2014/QH13"}],
        "online": {"level": "toan_trinh", "url": "https://dichvucong.gov.vn"},
        "source_url": "https://dichvucong.gov.vn",
        "checked_on": dt.date(2026, 11, 23),
    }
    data.update(extra)
    return Procedure.model_validate(data)


def faq(fid: str, question: str, *paraphrases: str) -> dict[str, Any]:
    return {"id": fid, "question": question, "answer": "Trả lời ngắn.", "paraphrases": list(paraphrases)}


@pytest.fixture
def make_procedure() -> Callable[..., Procedure]:
    return procedure


@pytest.fixture
def procedures() -> list[Procedure]:
    return [
        procedure(
            "dang-ky-khai-sinh",
            "Đăng ký khai sinh",
            ["làm giấy khai sinh", "khai sinh cho con"],
            faqs=[faq("dang-ky-khai-sinh-phi", "Đăng ký khai sinh có mất phí không?", "khai sinh bao nhieu tien")],
        ),
        procedure(
            "dang-ky-ket-hon",
            "Đăng ký kết hôn",
            ["làm giấy đăng ký kết hôn", "cưới nhau làm giấy tờ gì"],
            faqs=[faq("dang-ky-ket-hon-o-dau", "Đăng ký kết hôn ở đâu?")],
        ),
        procedure(
            "cap-the-can-cuoc",
            "Cấp thẻ căn cước",
            ["làm CCCD", "làm căn cước cho con"],
            level="xa",
            agency="Công an cấp xã",
            processing_time="07 ngày làm việc",
        ),
        procedure(
            "cap-giay-chung-nhan-qsdd-lan-dau",
            "Cấp giấy chứng nhận quyền sử dụng đất lần đầu",
            ["làm sổ đỏ lần đầu"],
            level="tinh",
        ),
    ]


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder(64)


class CountingEmbedder:
    """Wraps an embedder and records the texts it was asked to embed."""

    def __init__(self, inner: HashEmbedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.passages: list[str] = []
        self.queries: list[str] = []

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.passages.extend(texts)
        return self.inner.embed_passages(texts)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.queries.extend(texts)
        return self.inner.embed_queries(texts)


@pytest.fixture
def counting_embedder(embedder: HashEmbedder) -> CountingEmbedder:
    return CountingEmbedder(embedder)


@pytest.fixture
def index_root(tmp_path: Path) -> Path:
    return tmp_path / "index"
