"""Saved reply templates (/console/quick-replies): every staff member uses them and may add one; the author and
admins edit or delete it. Every change is in the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.console.web import ConsoleUser, render
from api.core.errors import AppError
from api.db.models import QuickReply, Role, StaffUser
from api.deps import SessionDep
from api.domain.limits import REPLY_MAX_CHARS
from api.services import handoffs, staff

router = APIRouter(prefix="/quick-replies")
TITLE_MAX = 120
PAGE = "/console/quick-replies"
_MAX_ID = 2**31 - 1


def all_replies(db: Session) -> list[QuickReply]:
    return list(db.scalars(select(QuickReply).order_by(QuickReply.title, QuickReply.id)))


def may_edit(reply: QuickReply, user: StaffUser) -> bool:
    return user.role == Role.admin or reply.created_by == user.id


def _checked(title: str, text: str) -> tuple[str, str]:
    title = " ".join(title.split())
    if not title:
        raise AppError(422, "empty_title", "Bạn vui lòng đặt tên cho câu trả lời mẫu.")
    if len(title) > TITLE_MAX:
        raise AppError(422, "title_too_long", f"Tên câu trả lời mẫu dài quá {TITLE_MAX} ký tự.")
    return title, handoffs.check_reply_text(text)  # the same limits as a reply: it is inserted into one


def _editable(db: Session, reply_id: int, user: StaffUser) -> QuickReply:
    reply = db.get(QuickReply, reply_id)
    if reply is None:
        raise AppError(404, "not_found", "Câu trả lời mẫu này không còn nữa (có thể đã bị xoá).")
    if not may_edit(reply, user):
        raise AppError(403, "forbidden", "Chỉ người tạo hoặc quản trị viên mới sửa, xoá được câu trả lời mẫu này.")
    return reply


def _page(request: Request, db: Session, me: StaffUser, status_code: int = 200, **extra: object) -> Response:
    replies = all_replies(db)
    authors = handoffs.staff_names(db, {r.created_by for r in replies})
    return render(request, "officer/quick_replies.html",
                  {"replies": replies, "authors": authors, "editable": {r.id for r in replies if may_edit(r, me)},
                   "title_max": TITLE_MAX, "text_max": REPLY_MAX_CHARS, **extra}, status_code=status_code)


@router.get("")
def quick_replies_page(request: Request, db: SessionDep, me: ConsoleUser,
                       edit: int | None = Query(None, ge=1, le=_MAX_ID)) -> Response:
    editing = db.get(QuickReply, edit) if edit else None
    return _page(request, db, me, editing=editing if editing and may_edit(editing, me) else None)


@router.post("")
def create(request: Request, db: SessionDep, me: ConsoleUser, title: Annotated[str, Form(max_length=1000)] = "",
           text: Annotated[str, Form(max_length=20000)] = "") -> Response:
    try:
        title, text = _checked(title, text)
    except AppError as error:
        db.rollback()
        return _page(request, db, me, status_code=error.status, error=error.message,
                     draft={"title": title, "text": text})
    reply = QuickReply(title=title, text=text, created_by=me.id)
    db.add(reply)
    db.flush()
    staff.record(db, me.id, "quick_reply.create", f"quick_reply:{reply.id}", {"title": title})
    return RedirectResponse(f"{PAGE}?saved=1", status_code=303)


@router.post("/{reply_id}")
def update(reply_id: Annotated[int, Path(ge=1, le=_MAX_ID)], request: Request, db: SessionDep, me: ConsoleUser,
           title: Annotated[str, Form(max_length=1000)] = "",
           text: Annotated[str, Form(max_length=20000)] = "") -> Response:
    try:
        reply = _editable(db, reply_id, me)
        title, text = _checked(title, text)
    except AppError as error:
        db.rollback()
        editing = db.get(QuickReply, reply_id)
        return _page(request, db, me, status_code=error.status, error=error.message,
                     editing=editing if editing and may_edit(editing, me) else None,
                     draft={"title": title, "text": text})
    reply.title, reply.text = title, text
    staff.record(db, me.id, "quick_reply.update", f"quick_reply:{reply.id}", {"title": title})
    return RedirectResponse(f"{PAGE}?saved=1", status_code=303)


@router.post("/{reply_id}/delete")
def delete(reply_id: Annotated[int, Path(ge=1, le=_MAX_ID)], request: Request, db: SessionDep,
           me: ConsoleUser) -> Response:
    reply = _editable(db, reply_id, me)
    staff.record(db, me.id, "quick_reply.delete", f"quick_reply:{reply.id}", {"title": reply.title})
    db.delete(reply)
    return RedirectResponse(f"{PAGE}?deleted=1", status_code=303)
