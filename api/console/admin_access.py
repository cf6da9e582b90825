"""Admin pages' guard: a router dependency that refuses non-admins before any admin route runs.

It does what `ConsoleAdmin` does, but first detaches the logged-in staff session from the database session: the
403 page is rendered after the request's transaction was rolled back, which would otherwise expire the session's
user and make the page fail (a 500 instead of the 403 page). Routes still declare `ConsoleAdmin`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.console.web import ConsoleForbidden, console_session
from api.db.models import Role, StaffSession
from api.deps import SessionDep


def admin_only(found: Annotated[StaffSession, Depends(console_session)], db: SessionDep) -> None:
    if found.user.role != Role.admin:
        db.expunge(found.user)
        db.expunge(found)
        raise ConsoleForbidden("Trang này chỉ dành cho quản trị viên.")


ADMIN_ONLY = [Depends(admin_only)]
