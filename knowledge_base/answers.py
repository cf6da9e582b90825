"""Citizen-facing answers composed from a procedure record: short, in Vietnamese, the fee in force on the day
asked, and under each answer the source and date read of the facts it states (the record's deep link). A fact not
confirmed says what exactly in its own sentence; a fee past its end with no successor published is never quoted.
Pure functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from knowledge_base.records import FACT_GROUPS, Channel, Fee, OnlineLevel, Procedure, Provenance
from knowledge_base.sources import deep_link, describe_source
from knowledge_base.text import analyze
from knowledge_base.vocabulary import ASPECT_LABELS, ASPECTS, HANDOFF_BUTTON, intent_payload

MAX_ITEMS = 8
MAX_SOURCES = 2  # source lines under an answer
UNCONFIRMED = "chưa xác nhận được"  # + what exactly, from the record's `unconfirmed`
UNCHECKED = "chưa đối chiếu với trang chính thức"  # a fact without provenance yet

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


def _with(text: str, caveat: str) -> str:
    """`text` with a caveat inside its (one) sentence: 'Chưa nộp trực tuyến được (chưa …).'"""
    if not caveat:
        return text
    text = text.rstrip()
    return text.rstrip(".") + caveat + ("." if text.endswith(".") else "")


def _caveat(note: str | None, traced: bool) -> str:
    """What is not confirmed about a fact, said in its own sentence ('' when the fact is verified)."""
    if note:
        return f" ({UNCONFIRMED} {note})"
    return "" if traced else f" ({UNCHECKED})"


def _group_caveat(procedure: Procedure, group: str) -> str:
    traced = group not in FACT_GROUPS or getattr(procedure.provenance, group) is not None
    return _caveat(getattr(procedure.unconfirmed, group), traced)


def _fee_caveat(fee: Fee) -> str:
    return _caveat(fee.unconfirmed, fee.provenance is not None)


def _channel(fee: Fee) -> str:
    """' (nộp trực tuyến)' unless the fee's name already says how it is submitted."""
    if "trực tuyến" in fee.name.lower() or "trực tiếp" in fee.name.lower():
        return ""
    return {Channel.online: " (nộp trực tuyến)", Channel.paper: " (nộp trực tiếp)"}.get(fee.channel, "")


def _fee_line(fee: Fee, procedure: Procedure) -> str:
    line = f"{fee.name}{_channel(fee)}: {money(fee.amount)}{_fee_caveat(fee)}"
    if fee.conditions:
        line += f" – {fee.conditions.rstrip('.')}"
    if fee.valid_until:
        after = fee.valid_until + dt.timedelta(days=1)
        later = next((f for f in procedure.fees
                      if f.name == fee.name and f.channel == fee.channel and f.valid_from == after), None)
        line += f". Mức này áp dụng đến hết ngày {day(fee.valid_until)}"
        if later:
            line += f"; từ {day(after)} là {money(later.amount)}{_fee_caveat(later)}"
        elif fee.successor == "pending":
            line += f"; mức từ {day(after)} chưa được công bố"
    return line


def _updating_line(fee: Fee, procedure: Procedure) -> str:
    """A fee past its end with no successor published: never the old amount, the official page instead."""
    return (f"{fee.name}{_channel(fee)}: mức thu đang được cập nhật theo quy định mới; bạn xem mức hiện hành tại "
            f"{_updating_link(fee, procedure)}")


def fee_lines(p: Procedure, today: dt.date) -> list[str]:
    """One line per fee in force on `today` (with its end and next amount), then the fees being updated."""
    return [_fee_line(f, p) for f in p.fees_in_force(today)] + [_updating_line(f, p)
                                                                 for f in p.fees_being_updated(today)]


def no_fee_text(p: Procedure) -> str:
    """Where to ask when the record gives no amount."""
    return f"Mức thu cụ thể: bạn hỏi bộ phận một cửa nơi nộp hồ sơ hoặc xem {p.source_url}"


def _fee_section(p: Procedure, today: dt.date) -> str:
    lines = fee_lines(p, today)
    if not lines:  # no amount recorded: what the record says about the fee, then where to ask
        notes = f"\n{_bullets(p.fee_exemptions[:4])}" if p.fee_exemptions else ""
        return f"Lệ phí {p.title.lower()}:{notes}\n{no_fee_text(p)}"
    text = f"Lệ phí {p.title.lower()} (áp dụng ngày {day(today)}):\n" + _bullets(lines)
    if p.fee_exemptions:
        text += "\nĐược miễn, giảm:\n" + _bullets(p.fee_exemptions[:4])
    return text


def _documents_section(p: Procedure) -> str:
    lines = []
    for d in p.documents:
        line = d.name + (f" ({d.copies})" if d.copies else "")
        if not d.required:
            line += " – nếu có" if not d.note else f" – {d.note}"
        elif d.note:
            line += f" – {d.note}"
        lines.append(line)
    return f"Hồ sơ {p.title.lower()} gồm{_group_caveat(p, 'documents')}:\n{_bullets(lines)}"


def _section(procedure: Procedure, aspect: str, today: dt.date) -> str:
    p = procedure
    if aspect == "documents":
        return _documents_section(p)
    if aspect == "fee":
        return _fee_section(p, today)
    if aspect == "time":
        return f"Thời gian giải quyết{_group_caveat(p, 'processing_time')}: {p.processing_time}"
    if aspect == "agency":
        return (f"Cơ quan giải quyết{_group_caveat(p, 'agency')}: {p.agency.rstrip('.')}.\n"
                f"Nơi nộp hồ sơ: {p.where_to_submit}")
    if aspect == "online":
        caveat = _group_caveat(p, "online")
        if p.online.level == OnlineLevel.khong:
            text = _with("Thủ tục này hiện chưa nộp trực tuyến được; bạn nộp trực tiếp hoặc qua bưu chính.", caveat)
        else:
            text = f"{p.online.level.label}{caveat}: {p.online.url}"
        return text + (f"\n{p.online.note}" if p.online.note else "")
    if aspect == "steps":
        steps = "\n".join(f"{i}. {s}" for i, s in enumerate(p.steps[:MAX_ITEMS], 1))
        return f"Các bước thực hiện{_group_caveat(p, 'steps')}:\n{steps}"
    if aspect == "legal":
        return f"Căn cứ pháp lý{_group_caveat(p, 'legal_basis')}:\n" + _bullets(
            [f"{b.title} {b.number}".strip() if b.number else b.title for b in p.legal_basis])
    if aspect == "forms":
        if not p.forms:
            return "Thủ tục này không có biểu mẫu riêng được công bố; bạn xem mục giấy tờ cần có."
        return f"Biểu mẫu{_group_caveat(p, 'forms')}:\n" + _bullets(
            [f"{f.code}: {f.name}" + (f" ({f.url})" if f.url else "") for f in p.forms])
    raise ValueError(f"unknown aspect {aspect!r}")


def _overview_fee(p: Procedure, today: dt.date) -> str:
    fees, updating = p.fees_in_force(today), p.fees_being_updated(today)
    if not fees and updating:
        return f"đang được cập nhật theo quy định mới (xem {_updating_link(updating[0], p)})"
    if not fees:
        return "xem mục lệ phí (hỏi bộ phận một cửa nơi nộp hồ sơ)"
    amounts = sorted({f.amount for f in fees})
    text = money(amounts[0]) if len(amounts) == 1 else f"từ {money(amounts[0])} đến {money(amounts[-1])}"
    notes = [f.unconfirmed for f in fees if f.unconfirmed]
    text += _caveat(notes[0] if notes else None, all(f.provenance is not None for f in fees))
    return text + ("; một số mức đang được cập nhật" if updating else "")


def _updating_link(fee: Fee, procedure: Procedure) -> str:
    return deep_link(fee.provenance.source) if fee.provenance else procedure.source_url


def _overview(procedure: Procedure, today: dt.date) -> str:
    p = procedure
    online = (f"{p.online.level.label.lower()} tại {p.online.url}" if p.online.level != OnlineLevel.khong
              else "chưa nộp trực tuyến được")
    return (f"{p.title}\n• Nơi nộp{_group_caveat(p, 'agency')}: {p.where_to_submit}\n"
            f"• Thời gian{_group_caveat(p, 'processing_time')}: {p.processing_time}\n"
            f"• Lệ phí: {_overview_fee(p, today)}\n• Trực tuyến{_group_caveat(p, 'online')}: {online}")


def _stated_provenance(procedure: Procedure, aspect: str | None, today: dt.date) -> list[Provenance]:
    """Where the facts an answer states were read (the facts without provenance say so in their sentence)."""
    p = procedure
    fees = [f.provenance for f in p.fees_in_force(today) if f.provenance]
    groups = {"documents": ["documents"], "time": ["processing_time"], "agency": ["agency"],
              "legal": ["legal_basis"], "fee": [], None: ["agency", "processing_time"]}.get(aspect, [])
    found = [prov for g in groups if (prov := getattr(p.provenance, g)) is not None]
    return found + (fees if aspect in ("fee", None) else [])


def _footer(procedure: Procedure, aspect: str | None, today: dt.date) -> str:
    """'Nguồn: <where> (đọc ngày …): <deep link>' for the facts stated; else the record's source and check date."""
    latest: dict[str, dt.date] = {}
    for prov in _stated_provenance(procedure, aspect, today):
        link = deep_link(prov.source)
        latest[link] = max(prov.read_on, latest.get(link, prov.read_on))
    if not latest:
        return "\n" + _source_line(procedure.source_url, f"kiểm tra ngày {day(procedure.checked_on)}")
    shown = sorted(latest.items(), key=lambda item: item[1], reverse=True)[:MAX_SOURCES]
    return "".join("\n" + _source_line(link, f"đọc ngày {day(read_on)}") for link, read_on in shown)


def _source_line(link: str, when: str) -> str:
    name = describe_source(link)
    return f"Nguồn: {link} ({when})" if name in link else f"Nguồn: {name} ({when}): {link}"


def says_unconfirmed(text: str) -> bool:
    """Does an answer say that something in it is not confirmed?"""
    return UNCONFIRMED in text or UNCHECKED in text


def aspect_buttons(procedure: Procedure, current: str | None, limit: int = 4) -> list[dict[str, str]]:
    others = [a for a in ASPECTS if a != current and not (a == "forms" and not procedure.forms)][:limit]
    return [{"title": ASPECT_LABELS[a], "payload": intent_payload(f"ask_{a}", procedure.id)} for a in others]


def answer(procedure: Procedure, aspect: str | None, today: dt.date | None = None) -> Message:
    """The answer about one aspect of a procedure (or an overview), with buttons for the others."""
    today = today or dt.date.today()
    body = _section(procedure, aspect, today) if aspect else _overview(procedure, today)
    if aspect and aspect not in ("documents", "fee", "steps", "legal", "forms"):
        body = f"{procedure.title}\n{body}"
    return Message(text=body + _footer(procedure, aspect, today), buttons=aspect_buttons(procedure, aspect))


FAQ_WORDING_MIN = 0.8  # share of syllables in common with the FAQ's question or a paraphrase


def wording_overlap(question: str, other: str) -> float:
    """Jaccard overlap of the folded, synonym-expanded syllables of two questions (1.0: the same words)."""
    a, b = set(analyze(question).tokens), set(analyze(other).tokens)
    return len(a & b) / len(a | b) if a and b else 0.0


def faq_answer(procedure: Procedure, faq_id: str, question: str, aspect: str | None = None,
               today: dt.date | None = None) -> Message | None:
    """The answer an admin wrote for an FAQ, when the citizen asked (nearly) that FAQ's question or one of its
    paraphrases; else None and the caller answers from the procedure's sections. Search often ranks an FAQ of
    the right procedure first for a different question ("mất thẻ BHYT" vs. the FAQ "thẻ BHYT sai năm sinh"), so
    the FAQ's own answer is used only on near-identical wording."""
    faq = next((f for f in procedure.faqs if f.id == faq_id), None)
    if faq is None or max(wording_overlap(question, q) for q in [faq.question, *faq.paraphrases]) < FAQ_WORDING_MIN:
        return None
    body = f"{procedure.title}\n{faq.answer.strip()}"
    return Message(text=body + _footer(procedure, aspect, today or dt.date.today()),
                   buttons=aspect_buttons(procedure, None))


def special_case(procedure: Procedure, source: str, matched: str) -> str | None:
    """For a question about a special case or a condition: the part of the procedure that answers it, named — a note
    ("Lưu ý") or the closest question of its FAQ ("Hỏi đáp") — when search found its answer there; else None."""
    if source == "note":
        prefix = matched.rstrip("…").strip()
        note = next((n for n in procedure.notes if " ".join(n.split()).startswith(prefix)), None)
        return f"Về trường hợp bạn hỏi, phần Lưu ý của thủ tục ghi: {note.strip()}" if note else None
    if source.startswith("faq:"):
        faq = next((f for f in procedure.faqs if f.id == source.removeprefix("faq:")), None)
        if faq is not None:
            return (f"Về trường hợp bạn hỏi, phần Hỏi đáp của thủ tục có câu gần nhất “{faq.question.strip()}”: "
                    f"{faq.answer.strip()}")
    return None


def with_special_case(message: Message, part: str | None, title: str) -> Message:
    """The answer with the part that answers the special case first, under the procedure's title."""
    if not part:
        return message
    rest = message.text.removeprefix(title).lstrip("\n")
    return Message(text=f"{title}\n{part}\n\n{rest}", buttons=message.buttons)


def clarify(candidates: list[tuple[str, str]]) -> Message:
    """candidates: (procedure id, title)."""
    buttons = [{"title": title, "payload": intent_payload("choose_option", pid)} for pid, title in candidates]
    return Message(text=CLARIFY_TEXT, buttons=[*buttons, HANDOFF_BUTTON])


def nothing_found() -> Message:
    return Message(text=NONE_TEXT, buttons=[HANDOFF_BUTTON])
