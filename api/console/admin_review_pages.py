"""Facts to review (/console/admin/review): fees whose validity ends within N days or ended with no successor,
and facts citing a replaced legal document, each linking to its record's editor."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.console.admin_access import ADMIN_ONLY
from api.console.web import ConsoleAdmin, render
from api.deps import SessionDep
from api.services import kb_store

router = APIRouter(prefix="/admin/review", dependencies=ADMIN_ONLY)


@router.get("", name="admin_review")
def review_page(request: Request, db: SessionDep, _: ConsoleAdmin, days: int = Query(30, ge=0, le=366),
                on: dt.date | None = None) -> Response:
    day = on or request.app.state.settings.today()
    return render(request, "admin/kb_review.html", {"items": kb_store.review(db, day, days), "on": day,
                                                     "days": days})
