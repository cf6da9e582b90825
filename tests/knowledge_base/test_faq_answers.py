"""An FAQ's own answer is used only when the citizen asked (nearly) its question or a paraphrase."""

from __future__ import annotations

from knowledge_base import answers
from knowledge_base.loader import load_dir
from knowledge_base.records import Procedure


def _passport() -> Procedure:
    return next(p for p in load_dir() if p.id == "cap-ho-chieu-pho-thong")


def test_same_wording_with_or_without_diacritics_uses_the_faq() -> None:
    procedure = _passport()
    for question in ("Làm hộ chiếu năm 2026 hết bao nhiêu tiền?", "lam ho chieu bao nhieu tien"):
        message = answers.faq_answer(procedure, "cap-ho-chieu-pho-thong-le-phi", question, "fee")
        assert message is not None and "100.000 đồng" in message.text, question


def test_other_wording_or_unknown_faq_falls_back() -> None:
    procedure = _passport()
    assert answers.faq_answer(procedure, "cap-ho-chieu-pho-thong-le-phi", "làm hộ chiếu ở đâu", "agency") is None
    assert answers.faq_answer(procedure, "khong-co", "Làm hộ chiếu năm 2026 hết bao nhiêu tiền?") is None
    assert answers.wording_overlap("mất thẻ bhyt làm lại ở đâu", "thẻ BHYT bị sai năm sinh thì sửa ở đâu") < 0.5


def test_a_special_case_is_answered_from_the_part_that_matched_and_names_it() -> None:
    procedure = next(p for p in load_dir() if p.notes and p.faqs)
    note, faq = procedure.notes[0], procedure.faqs[0]
    from_note = answers.special_case(procedure, "note", note[:40] + "…")
    assert from_note is not None and "phần Lưu ý" in from_note and note.strip() in from_note
    from_faq = answers.special_case(procedure, f"faq:{faq.id}", faq.question)
    assert from_faq is not None and "phần Hỏi đáp" in from_faq and faq.answer.strip() in from_faq
    assert answers.special_case(procedure, "section", "x") is None
    assert answers.special_case(procedure, "faq:khong-co", "x") is None

    plain = answers.answer(procedure, None)
    shown = answers.with_special_case(plain, from_note, procedure.title)
    assert shown.text.startswith(f"{procedure.title}\n{from_note}\n\n") and shown.buttons == plain.buttons
    assert shown.text.count(procedure.title) == plain.text.count(procedure.title)
    assert answers.with_special_case(plain, None, procedure.title) == plain
