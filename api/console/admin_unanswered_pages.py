"""What citizens asked that the bot could not answer (masked when recorded), newest first, for admins to act on:
write an FAQ from a question (the FAQ form opens prefilled; saving it marks the question handled) or dismiss it.

The same question asked several times is one row ("hỏi 3 lần"); acting on it acts on every open copy.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.console.admin_access import ADMIN_ONLY
from api.console.admin_kb_views import working
from api.console.web import ConsoleAdmin, render
from api.db.models import ProcedureRow, StaffUser, UnansweredQuestion
from api.deps import SessionDep
from api.services import unanswered

router = APIRouter(prefix="/admin/unanswered", dependencies=ADMIN_ONLY)

CHANNELS = {"widget": "Trang web", "web": "Trang web", "telegram": "Telegram", "api": "API"}
VIEWS = {"open": "Chưa xử lý", "faq": "Đã tạo câu hỏi thường gặp", "dismissed": "Đã bỏ qua", "all": "Tất cả"}
PAGE = 100
Q = UnansweredQuestion


def _context(db: Session) -> dict[str, object]:
    titles = {r.id: working(r).get("title", r.id) for r in db.scalars(select(ProcedureRow))}
    names = dict(db.execute(select(StaffUser.id, StaffUser.full_name)).tuples().all())
    return {"titles": titles, "names": names, "counts": unanswered.counts(db), "views": VIEWS, "channels": CHANNELS}


@router.get("")
def unanswered_page(request: Request, db: SessionDep, _: ConsoleAdmin,
                    view: Annotated[str, Query(pattern="^(open|faq|dismissed|all)$")] = "open",
                    before: int | None = None) -> Response:
    if view == "open":
        items = unanswered.open_groups(db)
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


@router.post("/{question_id}/dismiss")
def dismiss(request: Request, question_id: int, db: SessionDep, admin: ConsoleAdmin) -> Response:
    row = unanswered.get(db, question_id)
    rows = unanswered.mark(db, admin, row, "dismissed")
    return _row_response(request, db, row, len(rows), "Đã bỏ qua.")


@router.post("/{question_id}/reopen")
def reopen(request: Request, question_id: int, db: SessionDep, admin: ConsoleAdmin) -> Response:
    row = unanswered.get(db, question_id)
    unanswered.mark(db, admin, row, None)
    return _row_response(request, db, row, 1, "Đã đưa lại vào danh sách chưa xử lý.")
