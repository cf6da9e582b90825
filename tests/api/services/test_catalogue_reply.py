"""When nothing in the guides fits, the turn points to the body that handles the procedure: the reply is what
eval-chat counts as an honest out-of-scope answer, and no button names one of the guides."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from api.cli.chat_eval.classify import honest_out_of_scope, read_response
from api.db.models import UnansweredQuestion
from api.services.answering import Answerer
from knowledge_base.embedders import HashEmbedder
from knowledge_base.loader import load_dir
from knowledge_base.service import SearchService

GUIDE_IDS = {p.id for p in load_dir()}


@pytest.fixture(scope="module")
def search() -> SearchService:  # never searched here: `nothing` is the point where the search said "none"
    return SearchService(HashEmbedder(16), index_root=None, cache_path=None)


def reading(decision: Any) -> Any:
    return read_response({"replies": [decision.message.as_dict()]})


def payload_ids(decision: Any) -> set[str]:
    ids = set()
    for button in decision.message.buttons:
        _, _, entities = button["payload"].partition("{")
        if entities:
            ids.add(json.loads("{" + entities).get("procedure_id"))
    return ids


@pytest.mark.parametrize(("question", "keywords"), [
    ("thu tuc ly hon khi chong khong chiu ky don", ["tòa án"]),
    ("Tôi nghỉ việc hơn một năm rồi, muốn rút BHXH một lần thì nộp hồ sơ ở đâu?", ["bảo hiểm xã hội", "BHXH"]),
    ("Việt kiều xin giấy miễn thị thực 5 năm nộp ở đâu?", ["xuất nhập cảnh"]),
    ("Tôi ở Quảng Bình, mua lại tàu cá của người trong xóm, muốn đăng ký lại tàu cá đứng tên mình", ["thủy sản"]),
])
def test_an_out_of_scope_question_gets_an_honest_pointer(db: Any, search: SearchService, question: str,
                                                        keywords: list[str]) -> None:
    decision = Answerer(db, search, dt.date(2026, 12, 6), channel="web").nothing(question, None)
    assert decision.kind == "none" and decision.procedure_id is None
    assert honest_out_of_scope(reading(decision), keywords), decision.message.text
    assert not payload_ids(decision) & GUIDE_IDS and reading(decision).kind == "none"
    stored = db.scalars(select(UnansweredQuestion).order_by(UnansweredQuestion.id.desc())).first()
    assert stored is not None and stored.text  # still recorded for the admins


def test_without_a_catalogue_match_the_usual_reply_stays(db: Any, search: SearchService) -> None:
    decision = Answerer(db, search, dt.date(2026, 12, 6)).nothing("thời tiết hôm nay thế nào", None)
    assert decision.kind == "none"
    assert not honest_out_of_scope(reading(decision), [])
    assert decision.message.buttons == [{"title": "Gặp cán bộ", "payload": "/request_human"}]
