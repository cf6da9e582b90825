from __future__ import annotations

import json
import logging

import pytest

from api.core.logging import JsonFormatter
from api.core.privacy import mask_pii


@pytest.mark.parametrize(
    ("text", "hidden", "kept"),
    [
        ("số điện thoại của tôi là 0912345678", "0912345678", "*******678"),
        ("gọi +84 912 345 678 nhé", "912 345 678", "678"),
        ("CCCD 001203004567 bị mất", "001203004567", "*********567"),
        ("cmnd cũ 123456789", "123456789", "******789"),
        ("email nguyenvana@gmail.com", "nguyenvana@gmail.com", "***@***"),
    ],
)
def test_personal_numbers_are_masked(text: str, hidden: str, kept: str) -> None:
    masked = mask_pii(text)
    assert hidden not in masked
    assert kept in masked


def test_ordinary_numbers_stay() -> None:
    assert mask_pii("lệ phí 50000 đồng, 15 ngày, năm 2026") == "lệ phí 50000 đồng, 15 ngày, năm 2026"


def test_log_records_are_masked() -> None:
    record = logging.makeLogRecord({"msg": "citizen %s wrote", "args": ("0987654321",), "text": "CCCD 001203004567"})
    entry = json.loads(JsonFormatter().format(record))
    assert "0987654321" not in entry["msg"] and "001203004567" not in entry["text"]
