"""The officers' queue (/console/queue), its count for the nav badge, and my conversations (/console/mine).

The lists refresh themselves when the queue changes (the `queue-changed` live event) and every 30 s, so the
waited-for times stay current.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.console.officer_pages import last_citizen_texts
from api.console.web import ConsoleUser, render
from api.db.models import Handoff
from api.deps import SessionDep
from api.schemas import HandoffItem
from api.services import handoffs

router = APIRouter()


def _rows(db: Session, rows: list[Handoff]) -> dict[str, object]:
    listed: list[HandoffItem] = handoffs.queue_items(db, rows)
    return {"rows": listed, "last_texts": last_citizen_texts(db, [r.conversation_id for r in listed])}


@router.get("/queue")
def queue_page(request: Request, db: SessionDep, me: ConsoleUser) -> Response:
    return render(request, "officer/queue.html", _rows(db, handoffs.unclaimed(db)))


@router.get("/queue/list")
def queue_list(request: Request, db: SessionDep, me: ConsoleUser) -> Response:
    return render(request, "officer/_queue_rows.html", _rows(db, handoffs.unclaimed(db)))


@router.get("/queue/count")
def queue_count(db: SessionDep, me: ConsoleUser) -> Response:
    """The number of unclaimed conversations for the nav badge; empty when none (the badge hides)."""
    count = db.scalar(select(func.count()).select_from(Handoff).where(Handoff.status.in_(handoffs.UNCLAIMED))) or 0
    return PlainTextResponse(str(count) if count else "")


@router.get("/mine")
def mine_page(request: Request, db: SessionDep, me: ConsoleUser) -> Response:
    return render(request, "officer/mine.html", _rows(db, handoffs.assigned_to(db, me.id)))


@router.get("/mine/list")
def mine_list(request: Request, db: SessionDep, me: ConsoleUser) -> Response:
    return render(request, "officer/_mine_rows.html", _rows(db, handoffs.assigned_to(db, me.id)))
