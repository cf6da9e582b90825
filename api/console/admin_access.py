"""What every admin page shares: the admin-only guard on each admin router, and form number parsing.
(Domain errors become the console's error page in api/console/__init__.py, for every console page.)"""

from __future__ import annotations

from fastapi import Depends

from api.console.web import require_admin

ADMIN_ONLY = [Depends(require_admin)]  # every admin route, even one that forgets ConsoleAdmin


def as_int(value: str | None) -> int:
    """A number from a form field; 0 (never a valid version) when it is missing or not a number."""
    return int(value) if value and value.isdigit() else 0
