"""What every admin page shares: the admin-only guard on each admin router, and errors shown as a page (not
the API's JSON)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from fastapi import Depends
from fastapi.responses import Response

from api.console.web import render, require_admin
from api.core.errors import AppError

ADMIN_ONLY = [Depends(require_admin)]  # every admin route, even one that forgets ConsoleAdmin


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
