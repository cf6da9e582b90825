"""The review list: fees ending within N days (or ended with no successor) and facts citing a replaced document."""

from __future__ import annotations

import datetime as dt

from knowledge_base.legal_register import LegalDocument, LegalRegister
from knowledge_base.review import review_items
from tests.knowledge_base.test_rules import REGISTER, record, seen, temporary

SUCCESSOR = {"name": "Lệ phí", "amount": 115000, "channel": "online", "valid_from": dt.date(2027, 1, 1),
             "provenance": seen(amount=115000)}


def fields(on: dt.date, days: int = 30, register: LegalRegister = REGISTER, **changes: object) -> list[str]:
    return [f"{i.field}: {i.what}" for i in review_items([record(**changes)], register, on, days)]


def test_a_fee_ending_within_the_window_is_listed_with_what_follows() -> None:
    assert fields(dt.date(2026, 11, 30), fees=[temporary(57500), SUCCESSOR]) == []  # 31 days ahead
    [item] = fields(dt.date(2026, 12, 7), fees=[temporary(57500), SUCCESSOR])
    assert item.startswith("fees.0: Hết áp dụng ngày 31/12/2026") and "mức kế tiếp 115.000 đồng đã ghi" in item
    [missing] = fields(dt.date(2026, 12, 7), fees=[temporary(57500)])
    assert "chưa ghi mức kế tiếp" in missing


def test_after_the_end_only_a_pending_fee_stays_on_the_list() -> None:
    assert fields(dt.date(2027, 1, 2), fees=[temporary(57500), SUCCESSOR]) == []
    [pending] = fields(dt.date(2027, 1, 2), fees=[temporary(57500, successor="pending")])
    assert pending.startswith("fees.0: Đã hết áp dụng từ sau ngày 31/12/2026")


def test_a_cited_document_replaced_or_about_to_be_is_listed() -> None:
    register = LegalRegister([*REGISTER, LegalDocument(number="12/2025/TT-BCA", title="Thông tư sát hạch",
                                                       replaced_by="108/2026/TT-BCA",
                                                       replaced_on=dt.date(2026, 7, 1))])
    legal = [{"title": "Thông tư sát hạch", "number": "12/2025/TT-BCA"}]
    [item] = fields(dt.date(2026, 6, 15), register=register, legal_basis=legal)
    assert item == ("legal_basis.0: Sẽ được thay thế bởi 108/2026/TT-BCA từ ngày 01/07/2026: văn bản 12/2025/TT-BCA "
                    "vẫn đang được dẫn.")
    assert fields(dt.date(2026, 12, 7), register=register, legal_basis=legal)[0].startswith(
        "legal_basis.0: Đã được thay thế")
    assert fields(dt.date(2026, 5, 1), register=register, legal_basis=legal) == []
