"""Questions about the office's own facts, told apart from complaints and procedure questions."""

from __future__ import annotations

import pytest

from api.domain.office_questions import office_topics


@pytest.mark.parametrize(("text", "topics"), [
    ("Giờ làm việc của ủy ban ra sao?", ["hours"]),
    ("bộ phận một cửa làm việc giờ nào", ["hours"]),
    ("ubnd phuong thu 7 co lam viec ko", ["hours"]),
    ("Địa chỉ ủy ban xã ở đâu ạ", ["address"]),
    ("so dien thoai bo phan mot cua", ["phone"]),
    ("muốn đặt lịch hẹn trước thì làm sao", ["booking"]),
    ("một cửa mấy giờ mở cửa, số điện thoại là gì", ["hours", "phone"]),
])
def test_office_questions(text: str, topics: list[str]) -> None:
    assert office_topics(text) == topics


@pytest.mark.parametrize("text", [
    "phản ánh cán bộ một cửa làm việc giờ nào cũng vắng mặt",  # a complaint stays a complaint
    "góp ý về cách làm việc của bộ phận một cửa",
    "Tôi gọi số điện thoại ở bộ phận một cửa không ai nghe",
    "làm căn cước mất bao lâu",  # a procedure's processing time
    "đăng ký khai sinh nộp ở ủy ban xã ở đâu",  # a procedure's agency
    "thay đổi số điện thoại trên VNeID",
    "tôi làm việc ở Hà Nội, muốn đăng ký tạm trú",
])
def test_not_office_questions(text: str) -> None:
    assert office_topics(text) == []
