from __future__ import annotations

import inspect
import json
import logging

import pytest

from api.core.logging import JsonFormatter, MaskingFormatter
from api.core.privacy import mask_pii, scrub_log_text


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


def test_uvicorn_socket_lines_lose_their_query_string() -> None:
    """uvicorn logs every WebSocket with its path and query ('%s - "WebSocket %s" [accepted]'): the widget's key must
    not reach the log, whichever formatter is in use."""
    from uvicorn.protocols.websockets import websockets_sansio_impl

    line = '%s - "WebSocket %s" [accepted]'
    assert line in inspect.getsource(websockets_sansio_impl)
    key = "Zk3vQ8mT1sLr9wXy2aBc4dEf"
    record = logging.makeLogRecord({"name": "uvicorn.error", "msg": line,
                                    "args": ("10.0.0.7:5123", f"/api/v1/widget/ws?key={key}&after=12")})
    for formatter in (JsonFormatter(), MaskingFormatter("%(message)s")):
        formatted = formatter.format(record)
        assert key not in formatted and "/api/v1/widget/ws?…" in formatted


def test_question_marks_in_text_stay() -> None:
    assert scrub_log_text("lệ phí bao nhiêu? hỏi /thu-tuc") == "lệ phí bao nhiêu? hỏi /thu-tuc"
