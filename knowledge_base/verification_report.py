"""The verification report (docs/verification.md): per procedure, each fact, our value, the figures as read beside
it, its source (link) and date read, and its status; then the legal register. What an auditor from the province
asks for. Pure functions; the CLI is `scripts/kb_verification_report.py`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge_base.legal_register import LegalRegister, cited_numbers
from knowledge_base.records import FACT_GROUPS, AsRead, Fee, Procedure, Provenance
from knowledge_base.sources import deep_link, describe_source

GROUP_NAMES = {"agency": "Cơ quan thực hiện", "processing_time": "Thời hạn giải quyết",
               "documents": "Thành phần hồ sơ", "legal_basis": "Căn cứ pháp lý"}
VERIFIED, UNCHECKED = "đã xác minh", "chưa có nguồn"


@dataclass(frozen=True)
class FactRow:
    fact: str
    ours: str
    as_read: str
    source: str  # markdown link or ""
    read_on: str
    status: str

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


def _day(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _figures(read: AsRead) -> str:
    parts = []
    if read.amount is not None:
        parts.append(_vnd(read.amount))
    if read.days is not None:
        parts.append(f"{read.days} ngày làm việc")
    if read.hours is not None:
        parts.append(f"{read.hours} giờ")
    if read.count is not None:
        parts.append(f"{read.count} giấy tờ")
    if read.agency:
        parts.append(read.agency)
    parts += read.numbers or []
    if read.forms:
        parts.append("mẫu " + ", ".join(read.forms))
    return "; ".join(parts)


def _link(provenance: Provenance | None) -> str:
    if provenance is None:
        return ""
    at = f" — {provenance.at}" if provenance.at else ""
    return f"[{describe_source(provenance.source)}]({deep_link(provenance.source)}){at}"


def _status(provenance: Provenance | None, note: str | None) -> str:
    if note:
        return f"chưa xác nhận: {note}"
    return VERIFIED if provenance is not None else UNCHECKED


def _row(fact: str, ours: str, provenance: Provenance | None, note: str | None) -> FactRow:
    return FactRow(fact, ours, _figures(provenance.as_read) if provenance else "", _link(provenance),
                   _day(provenance.read_on) if provenance else "", _status(provenance, note))


def _ours(procedure: Procedure, group: str) -> str:
    p = procedure
    if group == "agency":
        return p.agency
    if group == "processing_time":
        return f"{p.processing_days} ngày làm việc" if p.processing_days is not None else p.processing_time
    if group == "documents":
        required = sum(1 for d in p.documents if d.required)
        return f"{len(p.documents)} giấy tờ ({required} bắt buộc)"
    return "; ".join(n for b in p.legal_basis for n in cited_numbers(b.number)) or "; ".join(
        b.title for b in p.legal_basis)


def _fee_ours(fee: Fee) -> str:
    channel = {"online": ", trực tuyến", "paper": ", trực tiếp"}.get(fee.channel.value, "")
    period = ""
    if fee.valid_from or fee.valid_until:
        period = f", {_day(fee.valid_from) or '…'}–{_day(fee.valid_until) or '…'}"
    basis = f", {fee.legal_basis}" if fee.legal_basis else ""
    pending = ", mức sau: chưa công bố" if fee.successor == "pending" else ""
    return f"{_vnd(fee.amount)}{channel}{period}{basis}{pending}"


def fact_rows(procedure: Procedure) -> list[FactRow]:
    rows = [_row(GROUP_NAMES[g], _ours(procedure, g), getattr(procedure.provenance, g),
                 getattr(procedure.unconfirmed, g)) for g in FACT_GROUPS]
    rows += [_row(f"Lệ phí: {fee.name}", _fee_ours(fee), fee.provenance, fee.unconfirmed) for fee in procedure.fees]
    rows += [FactRow(name, "", "", "", "", f"chưa xác nhận: {note}")
             for key, name in (("online", "Nộp trực tuyến"), ("steps", "Các bước"), ("forms", "Biểu mẫu"))
             if (note := getattr(procedure.unconfirmed, key))]
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def render_report(procedures: list[Procedure], register: LegalRegister, on: dt.date) -> str:
    all_rows = {p.id: fact_rows(p) for p in procedures}
    total = sum(len(rows) for rows in all_rows.values())
    verified = sum(r.verified for rows in all_rows.values() for r in rows)
    unchecked = sum(r.status == UNCHECKED for rows in all_rows.values() for r in rows)
    lines = [
        "# Báo cáo xác minh cơ sở tri thức",
        "",
        f"Tạo bởi `scripts/kb_verification_report.py` ngày {_day(on)} từ `knowledge_base/procedures/*.yml` và "
        "`knowledge_base/data/legal_register.yml`; không sửa tay. Mỗi dòng: thông tin, giá trị chúng tôi ghi, số "
        "liệu như trang chính thức ghi, nguồn (trang của thủ tục, vị trí trong trang), ngày đọc, trạng thái.",
        "",
        f"Tổng cộng {len(procedures)} thủ tục, {total} thông tin: {verified} đã xác minh, {unchecked} chưa có nguồn, "
        f"{total - verified - unchecked} chưa xác nhận (ghi rõ điều chưa xác nhận).",
    ]
    for procedure in procedures:
        codes = ", ".join(procedure.national_codes) or f"không có ({procedure.no_code_reason or 'chưa ghi lý do'})"
        lines += ["", f"## {procedure.title} (`{procedure.id}`)", "",
                  f"Mã thủ tục quốc gia: {codes}. Trang của thủ tục: <{procedure.source_url}>. "
                  f"Kiểm tra ngày {_day(procedure.checked_on)}.", ""]
        lines += _table(["Thông tin", "Chúng tôi ghi", "Trang chính thức ghi", "Nguồn", "Ngày đọc", "Trạng thái"],
                        ([r.fact, r.ours, r.as_read, r.source, r.read_on, r.status] for r in all_rows[procedure.id]))
    lines += ["", "## Sổ văn bản pháp luật", ""]
    lines += _table(["Số hiệu", "Tên", "Hiệu lực từ", "Thay thế bởi", "Từ ngày", "Nguồn", "Ngày đọc", "Ghi chú"],
                    ([d.number, d.title, _day(d.effective_from), d.replaced_by or "", _day(d.replaced_on),
                      f"<{d.source}>" if d.source else "", _day(d.read_on), d.note or ""] for d in register))
    return "\n".join(lines) + "\n"
