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
