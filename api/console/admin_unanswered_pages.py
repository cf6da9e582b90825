"""What citizens asked that the bot could not answer (masked when recorded), newest first, for admins to act on:
write an FAQ from a question (the FAQ form opens prefilled; saving it marks the question handled) or dismiss it.

The same question asked several times is one row ("hỏi 3 lần"); acting on it acts on every open copy.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.console.admin_access import ADMIN_ONLY
from api.console.admin_kb_views import working
from api.console.web import ConsoleAdmin, render
from api.core.errors import AppError
from api.db.models import ProcedureRow, StaffUser, UnansweredQuestion, utcnow
from api.deps import SessionDep
from api.services import staff
from knowledge_base.text import fold, normalize

router = APIRouter(prefix="/admin/unanswered", dependencies=ADMIN_ONLY)

CHANNELS = {"widget": "Trang web", "web": "Trang web", "telegram": "Telegram", "api": "API"}
VIEWS = {"open": "Chưa xử lý", "faq": "Đã tạo câu hỏi thường gặp", "dismissed": "Đã bỏ qua", "all": "Tất cả"}
OPEN_SCAN = 5000  # open questions grouped at most (newest first)
PAGE = 100
Q = UnansweredQuestion


def question_key(text: str) -> str:
    return fold(normalize(text))


def counts(db: Session) -> dict[str, int]:
    by_outcome = dict(db.execute(select(Q.outcome, func.count()).where(Q.resolved.is_(True)).group_by(Q.outcome))
                      .tuples().all())
    open_count = db.scalar(select(func.count()).select_from(Q).where(Q.resolved.is_(False))) or 0
    return {"open": open_count, "faq": by_outcome.get("faq", 0), "dismissed": by_outcome.get("dismissed", 0),
            "all": open_count + sum(by_outcome.values())}


def open_groups(db: Session) -> list[tuple[Q, int]]:
    """Open questions, newest first, one entry per distinct question with how many times it was asked."""
    groups: dict[str, list[Q]] = {}
    for row in db.scalars(select(Q).where(Q.resolved.is_(False)).order_by(Q.id.desc()).limit(OPEN_SCAN)):
        groups.setdefault(question_key(row.text), []).append(row)
    return [(rows[0], len(rows)) for rows in groups.values()]


def same_open_questions(db: Session, row: Q) -> list[Q]:
    key = question_key(row.text)
    found = [r for r in db.scalars(select(Q).where(Q.resolved.is_(False)).order_by(Q.id.desc()).limit(OPEN_SCAN))
             if question_key(r.text) == key]
    return found if row in found else [row, *found]


def mark(db: Session, admin: StaffUser, row: Q, outcome: str | None, faq_id: str | None = None) -> list[Q]:
    """Close (outcome "faq" / "dismissed") or reopen (None) a question and its open copies; audited."""
    rows = same_open_questions(db, row) if outcome else [row]
    for item in rows:
        item.resolved, item.outcome, item.faq_id = outcome is not None, outcome, faq_id
        item.handled_by, item.handled_at = (admin.id, utcnow()) if outcome else (None, None)
    action = {"faq": "unanswered.faq", "dismissed": "unanswered.dismiss", None: "unanswered.reopen"}[outcome]
    staff.record(db, admin.id, action, f"unanswered:{row.id}",
                 {"count": len(rows), **({"faq_id": faq_id} if faq_id else {})})
    return rows


def _context(db: Session) -> dict[str, object]:
    titles = {r.id: working(r).get("title", r.id) for r in db.scalars(select(ProcedureRow))}
    names = dict(db.execute(select(StaffUser.id, StaffUser.full_name)).tuples().all())
    return {"titles": titles, "names": names, "counts": counts(db), "views": VIEWS, "channels": CHANNELS}


@router.get("")
def unanswered_page(request: Request, db: SessionDep, _: ConsoleAdmin,
                    view: Annotated[str, Query(pattern="^(open|faq|dismissed|all)$")] = "open",
                    before: int | None = None) -> Response:
    if view == "open":
        items = open_groups(db)
        more = None
    else:
        query = select(Q).order_by(Q.id.desc()).limit(PAGE + 1)
        if view != "all":
            query = query.where(Q.outcome == view)
        if before:
            query = query.where(Q.id < before)
        rows = list(db.scalars(query))
        items = [(row, 1) for row in rows[:PAGE]]
        more = rows[PAGE - 1].id if len(rows) > PAGE else None
    return render(request, "admin/unanswered.html", {"items": items, "view": view, "more": more, **_context(db)})


def _row_response(request: Request, db: Session, row: Q, count: int, notice: str) -> Response:
    if not request.headers.get("hx-request"):
        return RedirectResponse("/console/admin/unanswered", status_code=303)
    page = parse_qs(urlsplit(request.headers.get("hx-current-url", "")).query)
    view = (page.get("view") or ["open"])[0]
    return render(request, "admin/_unanswered_row.html", {"row": row, "count": count, "notice": notice,
                                                          "oob_counts": True, "view": view, **_context(db)})


def _get(db: Session, question_id: int) -> Q:
    row = db.get(Q, question_id)
    if row is None:
        raise AppError(404, "not_found", f"Không có câu hỏi số {question_id}.")
    return row


@router.post("/{question_id}/dismiss")
def dismiss(request: Request, question_id: int, db: SessionDep, admin: ConsoleAdmin) -> Response:
    row = _get(db, question_id)
    rows = mark(db, admin, row, "dismissed")
    return _row_response(request, db, row, len(rows), "Đã bỏ qua.")


@router.post("/{question_id}/reopen")
def reopen(request: Request, question_id: int, db: SessionDep, admin: ConsoleAdmin) -> Response:
    row = _get(db, question_id)
    mark(db, admin, row, None)
    return _row_response(request, db, row, 1, "Đã đưa lại vào danh sách chưa xử lý.")


def mark_from_faq(db: Session, admin: StaffUser, question_id: str, faq_id: str) -> None:
    """Called when an FAQ made from a question is saved: the question (and its copies) is handled."""
    row = db.get(Q, int(question_id)) if question_id.isdigit() else None
    if row is not None and not row.resolved:
        mark(db, admin, row, "faq", faq_id)
