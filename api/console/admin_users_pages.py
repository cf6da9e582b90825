"""Staff accounts: create, change role, deactivate/reactivate, reset password (the rules are `api.services.staff`'s,
shared with the REST API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.console.admin_access import ADMIN_ONLY
from api.console.admin_kb_pages import FormData
from api.console.web import ConsoleAdmin, render
from api.core import security
from api.core.errors import AppError
from api.db.models import Role, StaffUser
from api.deps import SessionDep
from api.services import staff

router = APIRouter(prefix="/admin/users", dependencies=ADMIN_ONLY)

ROLE_LABELS = {Role.admin.value: "Quản trị viên", Role.officer.value: "Cán bộ một cửa"}
NOTICES = {
    "created": "Đã tạo tài khoản. Hãy báo mật khẩu ban đầu cho người dùng qua kênh an toàn.",
    "role": "Đã đổi vai trò.",
    "deactivated": "Đã khoá tài khoản; người này bị đăng xuất ngay.",
    "reactivated": "Đã mở khoá tài khoản.",
    "password": "Đã đặt lại mật khẩu; người này bị đăng xuất khỏi mọi phiên và đăng nhập lại bằng mật khẩu mới.",
}


def users_page(request: Request, db: Session, *, status_code: int = 200, **extra: Any) -> Response:
    users = list(db.scalars(select(StaffUser).order_by(StaffUser.is_active.desc(), StaffUser.role,
                                                       StaffUser.username)))
    context = {"users": users, "roles": ROLE_LABELS, "new": {"role": "officer"}, "new_errors": {},
               "row_errors": {}, "min_password": security.MIN_PASSWORD_LENGTH, **extra}
    return render(request, "admin/users.html", context, status_code=status_code)


def _done(notice: str, user_id: int) -> Response:
    return RedirectResponse(f"/console/admin/users?msg={notice}&user={user_id}#u-{user_id}", status_code=303)


@router.get("")
def list_users(request: Request, db: SessionDep, _: ConsoleAdmin, msg: str = "", user: int | None = None) -> Response:
    return users_page(request, db, notice=NOTICES.get(msg), highlight=user)


@router.post("")
def create_user(request: Request, db: SessionDep, admin: ConsoleAdmin, form: FormData) -> Response:
    new = {key: form.get(key, "").strip() for key in ("username", "full_name", "role")}
    role = new["role"] if new["role"] in ROLE_LABELS else ""
    if not role:
        return users_page(request, db, new=new, new_errors={"role": "Hãy chọn vai trò."}, status_code=422)
    try:
        user = staff.create_user(db, username=new["username"], full_name=new["full_name"], role=Role(role),
                                 password=form.get("password", ""), actor_id=admin.id)
    except AppError as error:
        key = {"weak_password": "password", "invalid_username": "username", "username_taken": "username"}
        return users_page(request, db, new=new, new_errors={key.get(error.code, "form"): error.message},
                          status_code=error.status)
    db.commit()
    return _done("created", user.id)


@router.post("/{user_id}/{action}")
def change(request: Request, user_id: int, action: str, db: SessionDep, admin: ConsoleAdmin,
           form: FormData) -> Response:
    user = staff.get_user(db, user_id)
    try:
        if action == "role":
            if form.get("role") not in ROLE_LABELS:
                raise AppError(422, "invalid_role", "Hãy chọn vai trò.")
            staff.change_role(db, admin, user, Role(form["role"]))
            notice = "role"
        elif action in ("deactivate", "reactivate"):
            staff.set_active(db, admin, user, action == "reactivate")
            notice = action + "d"
        elif action == "password":
            found = request.state.staff_session
            staff.reset_password(db, admin, user, form.get("password", ""), keep_session=found.id)
            notice = "password"
        else:
            raise AppError(404, "not_found", "Không có thao tác này.")
    except AppError as error:
        db.rollback()
        return users_page(request, db, row_errors={user_id: error.message}, highlight=user_id,
                          status_code=error.status)
    db.commit()
    return _done(notice, user_id)
