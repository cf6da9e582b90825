"""The audit log: what staff did (logins, accounts, handoffs, knowledge base), newest first, filtered by actor
and action."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from api.console.admin_access import ADMIN_ONLY
from api.console.web import ConsoleAdmin, render
from api.db.models import AuditEvent, StaffUser
from api.deps import SessionDep

router = APIRouter(prefix="/admin/audit", dependencies=ADMIN_ONLY)

PAGE = 100
ACTION_LABELS = {
    "staff.login": "Đăng nhập", "staff.logout": "Đăng xuất", "staff.create": "Tạo tài khoản",
    "staff.deactivate": "Khoá tài khoản", "staff.reactivate": "Mở khoá tài khoản", "staff.role": "Đổi vai trò",
    "staff.password_reset": "Đặt lại mật khẩu",
    "handoff.claim": "Nhận cuộc trò chuyện", "handoff.reply": "Trả lời người dân",
    "handoff.transfer": "Chuyển cuộc trò chuyện", "handoff.resolve": "Kết thúc hỗ trợ",
    "handoff.view": "Xem cuộc trò chuyện",
    "kb.create": "Tạo bản nháp", "kb.publish": "Xuất bản", "kb.rollback": "Khôi phục phiên bản cũ",
    "kb.archive": "Lưu trữ", "kb.restore": "Dùng lại",
    "unanswered.faq": "Tạo câu hỏi thường gặp từ câu chưa trả lời", "unanswered.dismiss": "Bỏ qua câu chưa trả lời",
    "unanswered.reopen": "Đưa lại câu chưa trả lời", "unanswered.resolve": "Đánh dấu đã xử lý câu chưa trả lời",
}
DETAIL_LABELS = {"username": "tên đăng nhập", "role": "vai trò", "from": "từ", "to": "thành", "version": "phiên bản",
                 "count": "số lần hỏi", "faq_id": "câu hỏi", "officer_id": "cán bộ"}

ROLE_NAMES = {"admin": "quản trị viên", "officer": "cán bộ một cửa"}


def describe_target(target: str | None, users: dict[int, StaffUser]) -> tuple[str, str | None]:
    """(text, link) of an audit target such as 'staff_user:3' or 'procedure:dang-ky-khai-sinh'."""
    if not target:
        return "", None
    kind, _, key = target.partition(":")
    if kind == "staff_user" and key.isdigit() and int(key) in users:
        return f"Tài khoản {users[int(key)].username}", f"/console/admin/users#u-{key}"
    if kind == "procedure":
        return f"Thủ tục {key}", f"/console/admin/procedures/{key}"
    if kind == "faq":
        return f"Câu hỏi {key}", f"/console/admin/faqs/{key}"
    if kind == "unanswered":
        return f"Câu chưa trả lời số {key}", "/console/admin/unanswered?view=all"
    if kind == "handoff":
        return f"Cuộc hỗ trợ số {key}", None
    return target, None


def describe_detail(detail: dict[str, Any] | None) -> str:
    if not detail:
        return ""
    return "; ".join(f"{DETAIL_LABELS.get(k, k)}: {ROLE_NAMES.get(v, v) if k in ('role', 'from', 'to') else v}"
                     for k, v in detail.items())


@router.get("")
def audit_page(request: Request, db: SessionDep, _: ConsoleAdmin, actor: str = "", action: str = "",
               before: int | None = None) -> Response:
    actor_id = int(actor) if actor.isdigit() else None  # "" = everyone (the form's first option)
    users = {u.id: u for u in db.scalars(select(StaffUser).order_by(StaffUser.username))}
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE + 1)
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if before:
        query = query.where(AuditEvent.id < before)
    events = list(db.scalars(query))
    more = events[PAGE - 1].id if len(events) > PAGE else None
    known = sorted(set(db.scalars(select(AuditEvent.action).distinct())) | set(ACTION_LABELS))
    rows = [{"event": e, "actor": users.get(e.actor_id) if e.actor_id else None,
             "label": ACTION_LABELS.get(e.action, e.action), "target": describe_target(e.target, users),
             "detail": describe_detail(e.detail)} for e in events[:PAGE]]
    return render(request, "admin/audit.html", {
        "rows": rows, "users": list(users.values()), "actions": [(a, ACTION_LABELS.get(a, a)) for a in known],
        "actor": actor_id, "action": action, "more": more})
