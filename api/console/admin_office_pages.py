"""The office's own facts (address, opening hours, phone, how to book a turn): an admin edits them here; the bot
answers from them on the next message (the rules are `api.services.office_info`'s)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api.console.admin_access import ADMIN_ONLY, as_int
from api.console.admin_kb_pages import FormData
from api.console.web import ConsoleAdmin, render
from api.core.errors import AppError
from api.deps import SessionDep
from api.domain.office_questions import TOPICS
from api.services import office_info

router = APIRouter(prefix="/admin/office", dependencies=ADMIN_ONLY)

HELP = {
    "address": "Số nhà, đường, xã/phường, tỉnh; ví dụ: Trụ sở UBND xã, số 1 đường Trần Phú.",
    "hours": "Để trống thì trợ lý đọc giờ theo lịch làm việc cấu hình (OFFICE_SCHEDULE).",
    "phone": "Số điện thoại người dân gọi để hỏi, ví dụ 0215 3825 111.",
    "booking": "Người dân đặt lịch hoặc lấy số thế nào: trên Cổng dịch vụ công, qua điện thoại, lấy số tại quầy…",
}


def office_page(request: Request, db: Session, *, status_code: int = 200, **extra: Any) -> Response:
    saved = office_info.current(db)
    values = {topic: saved.get(topic) for topic in TOPICS}
    context = {"values": values, "version": saved.version, "labels": office_info.LABELS, "limits": office_info.LIMITS,
               "help": HELP, "topics": TOPICS, "schedule_hours": request.app.state.settings.office_hours,
               "error": None, **extra}
    return render(request, "admin/office.html", context, status_code=status_code)


@router.get("")
def show(request: Request, db: SessionDep, _: ConsoleAdmin, msg: str = "") -> Response:
    return office_page(request, db, notice="Đã lưu; trợ lý trả lời theo thông tin mới từ tin nhắn tiếp theo."
                       if msg == "saved" else None)


@router.post("")
def save(request: Request, db: SessionDep, admin: ConsoleAdmin, form: FormData) -> Response:
    values = {topic: form.get(topic, "") for topic in TOPICS}
    try:
        office_info.save(db, admin, values, as_int(form.get("version")))
    except AppError as error:
        db.rollback()
        return office_page(request, db, status_code=error.status, error=error.message,
                           **({"values": values} if error.status == 422 else {}))
    db.commit()
    return RedirectResponse("/console/admin/office?msg=saved", status_code=303)
