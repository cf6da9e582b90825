"""Cut procedures into small searchable chunks, each knowing its procedure, aspect and a short 'matched' text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from knowledge_base.aspects import detect_aspect
from knowledge_base.records import Fee, Procedure

MATCHED_MAX = 180  # characters of the 'matched' snippet shown with a result


@dataclass(frozen=True)
class Chunk:
    procedure_id: str
    title: str  # the procedure's title
    aspect: str  # overview | documents | fee | time | agency | eligibility | steps | online | legal | forms | ...
    source: str  # where it comes from: "title", "alias", "section", "note", "faq:<id>"
    text: str  # what is indexed
    matched: str  # short text shown to explain the hit

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _short(text: str, limit: int = MATCHED_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _money(amount: int) -> str:
    return "miễn phí" if amount == 0 else f"{amount:,}".replace(",", ".") + " đồng"


def _fee_line(fee: Fee) -> str:
    parts = [f"{fee.name}: {_money(fee.amount)}"]
    if fee.channel.value != "any":
        parts.append("nộp trực tuyến" if fee.channel.value == "online" else "nộp giấy")
    if fee.conditions:
        parts.append(fee.conditions)
    return ", ".join(parts)


def _sections(p: Procedure) -> Iterable[tuple[str, str]]:
    """(aspect, body) of each section of a procedure."""
    docs = [d.name + (f" ({d.note})" if d.note else "") for d in p.documents]
    yield "documents", "Giấy tờ cần nộp: " + "; ".join(docs)
    fees = [_fee_line(fee) for fee in p.fees] or ["Không thu lệ phí"]
    yield "fee", "Lệ phí: " + "; ".join(fees + list(p.fee_exemptions))
    yield "time", f"Thời gian giải quyết: {p.processing_time}"
    yield "agency", f"Cơ quan thực hiện: {p.agency} ({p.level.label}). Nơi nộp: {p.where_to_submit}"
    if p.who_can_apply:
        yield "eligibility", f"Ai được làm: {p.who_can_apply}"
    yield "steps", "Các bước: " + " ".join(f"{i}. {step}" for i, step in enumerate(p.steps, 1))
    online = f"Nộp trực tuyến: {p.online.level.label}." + (f" {p.online.note}" if p.online.note else "")
    yield "online", online
    yield "legal", "Căn cứ pháp lý: " + "; ".join(f"{b.title} {b.number or ''}".strip() for b in p.legal_basis)
    if p.forms:
        yield "forms", "Biểu mẫu: " + "; ".join(f"{f.code} {f.name}" for f in p.forms)
    if p.result:
        yield "result", f"Kết quả nhận được: {p.result}"


def procedure_chunks(p: Procedure) -> list[Chunk]:
    def chunk(aspect: str, source: str, text: str, matched: str | None = None) -> Chunk:
        return Chunk(p.id, p.title, aspect, source, text, _short(matched or text))

    out = [chunk("overview", "title", f"{p.title}. Lĩnh vực {p.field}", p.title)]
    out += [chunk("overview", "alias", alias) for alias in dict.fromkeys(p.aliases)]
    out += [chunk(aspect, "section", f"{p.title}. {body}", body) for aspect, body in _sections(p)]
    out += [chunk("notes", "note", f"{p.title}. Lưu ý: {note}", note) for note in p.notes]
    for faq in p.faqs:
        aspect = detect_aspect(faq.question) or "faq"
        for question in dict.fromkeys([faq.question, *faq.paraphrases]):
            out.append(chunk(aspect, f"faq:{faq.id}", question, faq.question))
    return out


def build_chunks(procedures: Iterable[Procedure]) -> list[Chunk]:
    return [chunk for procedure in procedures for chunk in procedure_chunks(procedure)]
