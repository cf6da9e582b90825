"""What every admin page shares: the admin-only guard, and errors shown as a page (not the API's JSON).

`admin_only` is a router dependency that refuses non-admins before any admin route runs. It does what
`ConsoleAdmin` does, but first detaches the logged-in staff session from the database session: the 403 page is
rendered after the request's transaction was rolled back, which would otherwise expire the session's user and
make the page fail (a 500 instead of the 403 page). Routes still declare `ConsoleAdmin`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends
from fastapi.responses import Response

from api.console.web import ConsoleForbidden, console_session, render
from api.core.errors import AppError
from api.db.models import Role, StaffSession
from api.deps import SessionDep


def admin_only(found: Annotated[StaffSession, Depends(console_session)], db: SessionDep) -> None:
    if found.user.role != Role.admin:
        db.expunge(found.user)
        db.expunge(found)
        raise ConsoleForbidden("Trang này chỉ dành cho quản trị viên.")


ADMIN_ONLY = [Depends(admin_only)]


def html_errors(route: Callable[..., Response]) -> Callable[..., Response]:
    """A domain error (unknown record, refused change) as the console's error page, after a rollback; htmx
    requests get the plain message, which console.js shows as a toast."""

    @functools.wraps(route)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return route(*args, **kwargs)
        except AppError as error:
            kwargs["db"].rollback()
            request = kwargs["request"]
            if request.headers.get("hx-request"):
                return Response(error.message, status_code=error.status, media_type="text/plain; charset=utf-8")
            return render(request, "error.html", {"message": error.message}, status_code=error.status)

    return wrapper


def as_int(value: str | None) -> int:
    """A number from a form field; 0 (never a valid version) when it is missing or not a number."""
    return int(value) if value and value.isdigit() else 0
