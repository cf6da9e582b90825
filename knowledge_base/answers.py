"""Citizen-facing answers composed from a procedure record: short, in Vietnamese, with the official
link, the source and the date checked, and the fee in force on the day asked. Pure functions."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from knowledge_base.records import Channel, Fee, OnlineLevel, Procedure
from knowledge_base.text import analyze

ASPECTS = ("documents", "fee", "time", "agency", "online", "steps", "legal", "forms")
ASPECT_LABELS = {
    "documents": "Giấy tờ cần có",
    "fee": "Lệ phí",
    "time": "Thời gian giải quyết",
    "agency": "Nơi nộp hồ sơ",
    "online": "Nộp trực tuyến",
    "steps": "Các bước thực hiện",
    "legal": "Căn cứ pháp lý",
    "forms": "Biểu mẫu",
}
MAX_ITEMS = 8
HANDOFF_BUTTON = {"title": "Gặp cán bộ", "payload": "/request_human"}

NONE_TEXT = (
    "Xin lỗi, tôi chưa tìm thấy thông tin phù hợp với câu hỏi của bạn. Bạn có thể hỏi lại, nói rõ việc cần làm "
    "(ví dụ: \"làm lại căn cước bị mất\"), hoặc gặp cán bộ bộ phận một cửa để được hỗ trợ."
)
CLARIFY_TEXT = "Bạn muốn hỏi về thủ tục nào dưới đây ạ?"


@dataclass
class Message:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"text": self.text, "buttons": self.buttons}


def money(amount: int) -> str:
    return "miễn phí" if amount == 0 else f"{amount:,}".replace(",", ".") + " đồng"


def day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _bullets(lines: list[str]) -> str:
    shown = [f"• {line}" for line in lines[:MAX_ITEMS]]
    if len(lines) > MAX_ITEMS:
        shown.append(f"• … và {len(lines) - MAX_ITEMS} mục khác (xem đầy đủ ở trang chính thức)")
    return "\n".join(shown)


def _fee_line(fee: Fee, procedure: Procedure, today: dt.date) -> str:
    channel = {Channel.online: " (nộp trực tuyến)", Channel.paper: " (nộp trực tiếp)"}.get(fee.channel, "")
    line = f"{fee.name}{channel}: {money(fee.amount)}"
    if fee.conditions:
        line += f" – {fee.conditions}"
    if fee.valid_until:
        later = [f for f in procedure.fee_changes_after(today)
                 if f.channel == fee.channel and f.valid_from and f.valid_from > fee.valid_until]
        line += f". Mức này áp dụng đến hết ngày {day(fee.valid_until)}"
        if later:
            line += f"; từ {day(later[0].valid_from)} là {money(later[0].amount)}"  # type: ignore[arg-type]
    return line


def _section(procedure: Procedure, aspect: str, today: dt.date) -> str:
    p = procedure
    if aspect == "documents":
        lines = []
        for d in p.documents:
            line = d.name + (f" ({d.copies})" if d.copies else "")
            if not d.required:
                line += " – nếu có" if not d.note else f" – {d.note}"
            elif d.note:
                line += f" – {d.note}"
            lines.append(line)
        return f"Hồ sơ {p.title.lower()} gồm:\n{_bullets(lines)}"
    if aspect == "fee":
        fees = p.fees_in_force(today)
        if not fees:
            text = (f"Lệ phí {p.title.lower()}: không có mức chung trên toàn quốc; "
                    "bạn hỏi bộ phận một cửa nơi nộp hồ sơ.")
        else:
            text = f"Lệ phí {p.title.lower()} (áp dụng ngày {day(today)}):\n" + _bullets(
                [_fee_line(f, p, today) for f in fees])
        if p.fee_exemptions:
            text += "\nĐược miễn, giảm:\n" + _bullets(p.fee_exemptions[:4])
        return text
    if aspect == "time":
        return f"Thời gian giải quyết: {p.processing_time}"
    if aspect == "agency":
        return f"Cơ quan giải quyết: {p.agency}.\nNơi nộp hồ sơ: {p.where_to_submit}"
    if aspect == "online":
        if p.online.level == OnlineLevel.khong:
            text = "Thủ tục này hiện chưa nộp trực tuyến được; bạn nộp trực tiếp hoặc qua bưu chính."
        else:
            text = f"{p.online.level.label}: {p.online.url}"
        return text + (f"\n{p.online.note}" if p.online.note else "")
    if aspect == "steps":
        return "Các bước thực hiện:\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(p.steps[:MAX_ITEMS], 1))
    if aspect == "legal":
        return "Căn cứ pháp lý:\n" + _bullets([f"{b.title} {b.number}".strip() if b.number else b.title
                                               for b in p.legal_basis])
    if aspect == "forms":
        if not p.forms:
            return "Thủ tục này không có biểu mẫu riêng được công bố; bạn xem mục giấy tờ cần có."
        return "Biểu mẫu:\n" + _bullets([f"{f.code}: {f.name}" + (f" ({f.url})" if f.url else "") for f in p.forms])
    raise ValueError(f"unknown aspect {aspect!r}")


def _overview(procedure: Procedure, today: dt.date) -> str:
    p = procedure
    fees = p.fees_in_force(today)
    if not fees:
        fee_text = "theo quy định của tỉnh (hỏi bộ phận một cửa)"
    elif len({f.amount for f in fees}) == 1:
        fee_text = money(fees[0].amount)
    else:
        fee_text = f"từ {money(min(f.amount for f in fees))} đến {money(max(f.amount for f in fees))}"
    online = (f"{p.online.level.label.lower()} tại {p.online.url}" if p.online.level != OnlineLevel.khong
              else "chưa nộp trực tuyến được")
    return (f"{p.title}\n• Nơi nộp: {p.where_to_submit}\n• Thời gian: {p.processing_time}\n• Lệ phí: {fee_text}\n"
            f"• Trực tuyến: {online}")


def _footer(procedure: Procedure, aspect: str | None) -> str:
    return f"\nNguồn: {procedure.source_url} (kiểm tra ngày {day(procedure.checked_on)})"


def intent_payload(intent: str, procedure_id: str) -> str:
    """A Rasa button payload: the intent with the procedure id as an entity."""
    return f"/{intent}" + json.dumps({"procedure_id": procedure_id})


def aspect_buttons(procedure: Procedure, current: str | None, limit: int = 4) -> list[dict[str, str]]:
    others = [a for a in ASPECTS if a != current and not (a == "forms" and not procedure.forms)][:limit]
    return [{"title": ASPECT_LABELS[a], "payload": intent_payload(f"ask_{a}", procedure.id)} for a in others]


def answer(procedure: Procedure, aspect: str | None, today: dt.date | None = None) -> Message:
    """The answer about one aspect of a procedure (or an overview), with buttons for the others."""
    today = today or dt.date.today()
    body = _section(procedure, aspect, today) if aspect else _overview(procedure, today)
    if aspect and aspect not in ("documents", "fee", "steps", "legal", "forms"):
        body = f"{procedure.title}\n{body}"
    return Message(text=body + _footer(procedure, aspect), buttons=aspect_buttons(procedure, aspect))


FAQ_WORDING_MIN = 0.8  # share of syllables in common with the FAQ's question or a paraphrase


def wording_overlap(question: str, other: str) -> float:
    """Jaccard overlap of the folded, synonym-expanded syllables of two questions (1.0: the same words)."""
    a, b = set(analyze(question).tokens), set(analyze(other).tokens)
    return len(a & b) / len(a | b) if a and b else 0.0


def faq_answer(procedure: Procedure, faq_id: str, question: str, aspect: str | None = None) -> Message | None:
    """The answer an admin wrote for an FAQ, when the citizen asked (nearly) that FAQ's question or one of its
    paraphrases; else None and the caller answers from the procedure's sections. Search often ranks an FAQ of
    the right procedure first for a different question ("mất thẻ BHYT" vs. the FAQ "thẻ BHYT sai năm sinh"), so
    the FAQ's own answer is used only on near-identical wording."""
    faq = next((f for f in procedure.faqs if f.id == faq_id), None)
    if faq is None or max(wording_overlap(question, q) for q in [faq.question, *faq.paraphrases]) < FAQ_WORDING_MIN:
        return None
    body = f"{procedure.title}\n{faq.answer.strip()}"
    return Message(text=body + _footer(procedure, aspect), buttons=aspect_buttons(procedure, None))


def clarify(candidates: list[tuple[str, str]]) -> Message:
    """candidates: (procedure id, title)."""
    buttons = [{"title": title, "payload": intent_payload("choose_option", pid)} for pid, title in candidates]
    return Message(text=CLARIFY_TEXT, buttons=[*buttons, HANDOFF_BUTTON])


def nothing_found() -> Message:
    return Message(text=NONE_TEXT, buttons=[HANDOFF_BUTTON])
