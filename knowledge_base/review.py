"""What an admin must review soon: fees whose validity ends within N days (or ended with no successor published),
and facts citing a legal document that was, or will within N days be, replaced. Pure functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge_base.legal_register import LegalRegister, cited_numbers
from knowledge_base.records import Fee, Procedure

DAYS = 30


@dataclass(frozen=True)
class ReviewItem:
    procedure_id: str
    title: str
    field: str  # dotted path: "fees.2", "legal_basis.0"
    due: dt.date  # the day the fee ends or the document is replaced
    what: str  # plain Vietnamese: what happens and what is missing
    overdue: bool  # the day has passed


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _successor(procedure: Procedure, fee: Fee) -> Fee | None:
    assert fee.valid_until is not None
    after = fee.valid_until + dt.timedelta(days=1)
    return next((f for f in procedure.fees if f.name == fee.name and f.channel == fee.channel
                 and f.valid_from == after), None)


def _fee_items(procedure: Procedure, on: dt.date, until: dt.date) -> list[ReviewItem]:
    items = []
    for index, fee in enumerate(procedure.fees):
        if fee.valid_until is None or fee.valid_until > until:
            continue
        successor = _successor(procedure, fee)
        ended = fee.valid_until < on
        if ended and (successor is not None or fee.successor != "pending"):
            continue  # history: the next row (or nothing) is in force
        if successor is not None:
            follows = f"mức kế tiếp {_vnd(successor.amount)} đã ghi"
        elif fee.successor == "pending":
            follows = "chưa có mức kế tiếp được công bố (successor: pending)"
        else:
            follows = "chưa ghi mức kế tiếp hay “successor: pending”"
        verb = "Đã hết áp dụng từ sau ngày" if ended else "Hết áp dụng ngày"
        items.append(ReviewItem(procedure.id, procedure.title, f"fees.{index}", fee.valid_until,
                                f"{verb} {_day(fee.valid_until)}: {fee.name} ({_vnd(fee.amount)}); {follows}.",
                                ended))
    return items


def _replaced_items(procedure: Procedure, register: LegalRegister, on: dt.date, until: dt.date) -> list[ReviewItem]:
    cited = [(f"legal_basis.{i}", b.number) for i, b in enumerate(procedure.legal_basis)]
    cited += [(f"fees.{i}", f.legal_basis) for i, f in enumerate(procedure.fees) if f.in_force(on)]
    items = []
    for field, text in cited:
        for number in cited_numbers(text):
            document = register.get(number)
            if document is None or document.replaced_on is None or document.replaced_on > until:
                continue
            by = f" bởi {document.replaced_by}" if document.replaced_by else ""
            verb = "Đã được thay thế" if document.replaced(on) else "Sẽ được thay thế"
            items.append(ReviewItem(procedure.id, procedure.title, field, document.replaced_on,
                                    f"{verb}{by} từ ngày {_day(document.replaced_on)}: văn bản {number} vẫn đang "
                                    "được dẫn.", document.replaced(on)))
    return items


def review_items(procedures: Iterable[Procedure], register: LegalRegister, on: dt.date,
                 days: int = DAYS) -> list[ReviewItem]:
    """Everything due within `days` of `on` (and what is already overdue), soonest first."""
    until = on + dt.timedelta(days=days)
    items = []
    for procedure in procedures:
        items += _fee_items(procedure, on, until) + _replaced_items(procedure, register, on, until)
    return sorted(items, key=lambda item: (item.due, item.procedure_id, item.field))
