"""The rules a procedure's facts must meet beyond the schema: provenance figures equal ours, sources are the
record's own page, no fact in force cites a replaced document, and (strict) every fact is traced or marked
unconfirmed, every cited number is registered, every expiring fee has a successor.

One function, `check_procedure`, serves `kb validate`, the admin editor and the admin API. Messages are plain
Vietnamese for the admin; `field` is the dotted path of the field ("fees.2.provenance.as_read.amount").
The strict part is a switch while verifiers fill the data (`kb validate --strict-provenance`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from knowledge_base.legal_register import LegalRegister, cited_numbers
from knowledge_base.records import FACT_GROUPS, Fee, Kind, Procedure, Provenance
from knowledge_base.sources import source_problem

GROUP_LABELS = {"agency": "cơ quan thực hiện", "processing_time": "thời gian giải quyết",
                "documents": "thành phần hồ sơ", "legal_basis": "căn cứ pháp lý"}


@dataclass(frozen=True)
class Problem:
    field: str  # dotted path: "fees.2.provenance.as_read.amount"
    message: str  # plain Vietnamese

    def describe(self, source: str, record: str) -> str:
        return f"{source}: record {record!r}, field {self.field}: {self.message}"


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _source_problems(provenance: Provenance, where: str) -> list[Problem]:
    problem = source_problem(provenance.source)
    return [Problem(f"{where}.source", f"Nguồn “{provenance.source}” {problem}.")] if problem else []


def _fee_problems(procedure: Procedure, index: int, fee: Fee, on: dt.date, register: LegalRegister,
                  strict: bool) -> list[Problem]:
    where = f"fees.{index}"
    found: list[Problem] = []
    if fee.provenance is not None:
        found += _source_problems(fee.provenance, f"{where}.provenance")
        read = fee.provenance.as_read.amount
        if read is not None and read != fee.amount:
            found.append(Problem(f"{where}.provenance.as_read.amount",
                                 f"Số tiền đọc được trên trang chính thức ({_vnd(read)}) khác số tiền đang ghi "
                                 f"({_vnd(fee.amount)}): sửa số tiền hoặc kiểm tra lại nguồn."))
        elif read is None and strict:
            found.append(Problem(f"{where}.provenance.as_read.amount",
                                 "Ghi số tiền như trang chính thức ghi (as_read: {amount: …})."))
    elif strict and not fee.unconfirmed:
        found.append(Problem(f"{where}.provenance",
                             "Mức phí chưa có nguồn (provenance) và không ghi điều gì chưa xác nhận (unconfirmed)."))
    numbers = cited_numbers(fee.legal_basis)
    if fee.in_force(on):
        for number in numbers:
            document = register.get(number)
            if document is not None and document.replaced(on):
                assert document.replaced_on is not None
                found.append(Problem(f"{where}.legal_basis",
                                     f"Văn bản {number} đã được thay thế{_by(document.replaced_by)} từ ngày "
                                     f"{_day(document.replaced_on)}, nhưng mức phí này vẫn đang áp dụng ngày "
                                     f"{_day(on)}: ghi mức theo văn bản mới hoặc ngày hết áp dụng."))
    if strict:
        if fee.legal_basis and not numbers:
            found.append(Problem(f"{where}.legal_basis", "Ghi số hiệu văn bản, ví dụ 154/2025/TT-BTC."))
        found += [Problem(f"{where}.legal_basis", _unregistered(n)) for n in numbers if n not in register]
        if fee.valid_until and fee.successor is None and not _has_successor(procedure, fee):
            after = fee.valid_until + dt.timedelta(days=1)
            found.append(Problem(f"{where}.successor",
                                 f"Mức phí hết áp dụng ngày {_day(fee.valid_until)}: thêm mức kế tiếp (cùng tên, cùng "
                                 f"hình thức nộp, áp dụng từ {_day(after)}, có nguồn) hoặc ghi successor: pending nếu "
                                 "chưa có mức mới được công bố."))
    return found


def _by(number: str | None) -> str:
    return f" bởi {number}" if number else ""


def _unregistered(number: str) -> str:
    return (f"Văn bản {number} chưa có trong sổ văn bản pháp luật (knowledge_base/data/legal_register.yml): "
            "thêm văn bản đó vào sổ, kèm nguồn.")


def _has_successor(procedure: Procedure, fee: Fee) -> bool:
    assert fee.valid_until is not None
    after = fee.valid_until + dt.timedelta(days=1)
    return any(other.name == fee.name and other.channel == fee.channel and other.valid_from == after
               for other in procedure.fees)


def _group_problems(procedure: Procedure, strict: bool) -> list[Problem]:
    found: list[Problem] = []
    for group in FACT_GROUPS:
        provenance: Provenance | None = getattr(procedure.provenance, group)
        if provenance is None:
            if strict and not getattr(procedure.unconfirmed, group):
                found.append(Problem(f"provenance.{group}",
                                     f"Phần {GROUP_LABELS[group]} chưa có nguồn (provenance) và không ghi điều gì "
                                     "chưa xác nhận (unconfirmed)."))
            continue
        found += _source_problems(provenance, f"provenance.{group}")
    time = procedure.provenance.processing_time
    if time is not None:
        days = time.as_read.days
        if days is not None and days != procedure.processing_days:
            ours = "chưa ghi" if procedure.processing_days is None else f"{procedure.processing_days} ngày"
            found.append(Problem("provenance.processing_time.as_read.days",
                                 f"Số ngày đọc được trên trang chính thức ({days} ngày làm việc) khác số ngày đang ghi "
                                 f"(processing_days: {ours}): sửa thời gian giải quyết hoặc kiểm tra lại nguồn."))
        elif strict and days is None and time.as_read.hours is None and procedure.processing_days is not None:
            found.append(Problem("provenance.processing_time.as_read.days",
                                 "Ghi số ngày như trang chính thức ghi (as_read: {days: …})."))
    return found


def _legal_problems(procedure: Procedure, on: dt.date, register: LegalRegister, strict: bool) -> list[Problem]:
    found: list[Problem] = []
    for index, basis in enumerate(procedure.legal_basis):
        where = f"legal_basis.{index}.number"
        numbers = cited_numbers(basis.number)
        for number in numbers:
            document = register.get(number)
            if document is not None and document.replaced(on):
                assert document.replaced_on is not None
                found.append(Problem(where, f"Văn bản {number} đã được thay thế{_by(document.replaced_by)} từ ngày "
                                            f"{_day(document.replaced_on)}: ghi văn bản đang có hiệu lực (có thể nhắc "
                                            "văn bản cũ trong ghi chú của văn bản mới)."))
            elif strict and document is None:
                found.append(Problem(where, _unregistered(number)))
        if strict and not numbers:
            found.append(Problem(where, "Ghi số hiệu văn bản (ví dụ 26/2023/QH15) để đối chiếu với sổ văn bản."))
    return found


def _record_problems(procedure: Procedure, strict: bool) -> list[Problem]:
    found: list[Problem] = []
    read_dates = [p.read_on for g in FACT_GROUPS if (p := getattr(procedure.provenance, g)) is not None]
    read_dates += [f.provenance.read_on for f in procedure.fees if f.provenance is not None]
    if read_dates and max(read_dates) > procedure.checked_on:
        latest = _day(max(read_dates))
        found.append(Problem("checked_on", f"Ngày kiểm tra ({_day(procedure.checked_on)}) sớm hơn ngày đọc nguồn mới "
                                           f"nhất ({latest}): ghi ngày kiểm tra là ngày đọc mới nhất."))
    if not strict:
        return found
    if not procedure.national_codes and procedure.kind != Kind.guide:
        found.append(Problem("national_codes", "Thủ tục phải có ít nhất một mã thủ tục quốc gia (ví dụ 1.115978); "
                                               "chỉ bản ghi loại hướng dẫn mới được để trống."))
    if not procedure.national_codes and procedure.kind == Kind.guide and not procedure.no_code_reason:
        found.append(Problem("no_code_reason", "Hướng dẫn không có mã thủ tục quốc gia: ghi lý do."))
    problem = source_problem(procedure.source_url)
    if problem:
        found.append(Problem("source_url", f"Nguồn “{procedure.source_url}” {problem}."))
    return found


def check_procedure(procedure: Procedure, *, on: dt.date, register: LegalRegister,
                    strict: bool = False) -> list[Problem]:
    """Every problem of one procedure on the day `on` (an empty list: the record may be saved)."""
    found = _record_problems(procedure, strict) + _group_problems(procedure, strict)
    for index, fee in enumerate(procedure.fees):
        found += _fee_problems(procedure, index, fee, on, register, strict)
    return found + _legal_problems(procedure, on, register, strict)


def check_register(register: LegalRegister, *, strict: bool = False) -> list[Problem]:
    """Problems of the legal register itself (field: "<number>.<field>")."""
    found: list[Problem] = []
    for document in register:
        if document.source and (problem := source_problem(document.source)):
            found.append(Problem(f"{document.number}.source", f"Nguồn “{document.source}” {problem}."))
        if not strict:
            continue
        for name in ("source", "read_on"):  # effective_from stays empty when no source read gives it
            if getattr(document, name) is None:
                found.append(Problem(f"{document.number}.{name}", "Chưa ghi (cần cho việc truy nguồn)."))
        if (document.replaced_by is None) != (document.replaced_on is None):
            found.append(Problem(f"{document.number}.replaced_on",
                                 "Ghi cả văn bản thay thế (replaced_by) và ngày thay thế (replaced_on), hoặc để trống "
                                 "cả hai."))
        if document.replaced_by and document.replaced_by not in register:
            found.append(Problem(f"{document.number}.replaced_by", _unregistered(document.replaced_by)))
    return found
