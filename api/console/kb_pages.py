"""Knowledge-base consult (/console/kb): search exactly as the bot does (the app's search service, same thresholds),
see its decision (answer / clarify / none) with scores and the reply the citizen would get, read a procedure's
formatted answer per aspect and the whole record.

The same search and answers feed the conversation page's "Chèn câu trả lời từ CSDL" (/console/kb/pick…).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.console import officer_pages  # noqa: F401  (template filters and labels)
from api.console.web import ConsoleUser, render
from api.core.config import get_settings
from api.core.errors import AppError
from api.deps import SessionDep
from api.services import kb_store
from api.services.answering import Answerer, Question
from knowledge_base import answers, vocabulary
from knowledge_base.records import Procedure
from knowledge_base.service import IndexNotReadyError

router = APIRouter(prefix="/kb")
ASPECT_CHOICES = [("", "Tổng quan"), *vocabulary.ASPECT_LABELS.items()]
DECISIONS = {
    "answer": "Trợ lý ảo trả lời ngay bằng thủ tục đứng đầu.",
    "clarify": "Trợ lý ảo hỏi lại người dân muốn hỏi thủ tục nào (các nút bấm bên dưới).",
    "none": "Trợ lý ảo báo chưa tìm thấy, mời gặp cán bộ và ghi câu hỏi vào danh sách chưa trả lời.",
}
QUERY_MAX = 2000
FACT_LABELS = {
    "agency": "Cơ quan thực hiện", "processing_time": "Thời gian giải quyết", "documents": "Thành phần hồ sơ",
    "legal_basis": "Căn cứ pháp lý", "fees": "Lệ phí", "online": "Nộp trực tuyến", "steps": "Các bước",
    "forms": "Biểu mẫu",
}


def clean_aspect(aspect: str | None) -> str | None:
    return aspect if aspect in vocabulary.ASPECTS else None


def _search(request: Request, db: Session, q: str) -> dict[str, Any]:
    """Search context for the templates, with the reply the bot gives to this question asked first in a
    conversation (the bot's own answer policy); a refusal (index still building) becomes `error`."""
    q = q.strip()[:QUERY_MAX]
    if not q:
        return {"q": q}
    try:
        found = request.app.state.search.search(q, 5)
    except IndexNotReadyError:
        return {"q": q, "error": "Hệ thống đang khởi động chỉ mục tra cứu, vui lòng thử lại sau giây lát."}
    answerer = Answerer(db, request.app.state.search, get_settings().today(), record_unanswered=False)
    reply = answerer.decide(Question(text=q), found).message
    return {"q": q, "found": found, "reply": reply, "explain": DECISIONS[found.decision]}


@router.get("")
def kb_page(request: Request, db: SessionDep, me: ConsoleUser, q: str = Query("", max_length=QUERY_MAX)) -> Response:
    context = _search(request, db, q)
    if not q.strip():
        by_field: dict[str, list[Procedure]] = {}
        for procedure in kb_store.published_procedures(db):
            by_field.setdefault(procedure.field, []).append(procedure)
        context["by_field"] = sorted(by_field.items())
    return render(request, "kb/search.html", context)


@router.get("/procedures/{procedure_id}")
def procedure_page(procedure_id: str, request: Request, db: SessionDep, me: ConsoleUser,
                   aspect: str | None = None) -> Response:
    procedure = kb_store.require_published(db, procedure_id)
    aspect = clean_aspect(aspect)
    today = get_settings().today()
    return render(request, "kb/procedure.html", {
        "p": procedure, "aspect": aspect or "", "aspects": ASPECT_CHOICES,
        "message": answers.answer(procedure, aspect, today), "today": today,
        "fees_now": procedure.fees_in_force(today), "money": answers.money, "fact_labels": FACT_LABELS,
    })


@router.get("/pick")
def pick_results(request: Request, db: SessionDep, me: ConsoleUser,
                 q: str = Query("", max_length=QUERY_MAX)) -> Response:
    """Results for the conversation page's "insert from the knowledge base" panel."""
    return render(request, "kb/_pick_results.html", {**_search(request, db, q), "aspects": ASPECT_CHOICES})


@router.get("/pick/answer")
def pick_answer(request: Request, db: SessionDep, me: ConsoleUser, procedure_id: str = Query(..., max_length=160),
                aspect: str | None = None) -> Response:
    """A procedure's citizen-facing answer, ready to insert into the reply box for editing."""
    try:
        procedure = kb_store.require_published(db, procedure_id)
    except AppError as error:
        return render(request, "kb/_pick_answer.html", {"error": error.message}, status_code=200)
    aspect = clean_aspect(aspect)
    return render(request, "kb/_pick_answer.html", {
        "p": procedure, "aspect": aspect, "label": vocabulary.ASPECT_LABELS.get(aspect or "", "Tổng quan"),
        "message": answers.answer(procedure, aspect, get_settings().today())})
