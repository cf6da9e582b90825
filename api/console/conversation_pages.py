"""One handed-off conversation (/console/conversations/{handoff_id}): transcript, what the bot found, the reply
box, quick replies, claim, transfer and resolve.

Changes go through api.services.handoffs (the same compare-and-set rules, errors and audit entries as the REST API).
htmx requests get partials back; a refusal is a plain-text Vietnamese message shown as a toast. After a change
the response fires `conversation-changed`, which refreshes the transcript (only messages after the last one
shown) and the status line, as the live event from another officer's change does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.console import quick_replies
from api.console.officer_pages import last_citizen_texts, pressed_titles, transcript_out
from api.console.web import ConsoleUser, render
from api.db.models import Handoff, HandoffStatus, ProcedureRow, Role, StaffUser
from api.deps import SessionDep, handoff_id_of
from api.schemas import HandoffItem
from api.services import conversations, handoffs, staff

router = APIRouter(prefix="/conversations")
CHANGED = {"HX-Trigger": json.dumps({"conversation-changed": ""})}


@dataclass
class Access:
    """What this staff member may do with the handoff now (the domain functions check again)."""

    mine: bool
    can_claim: bool
    can_reply: bool
    can_transfer: bool
    can_resolve: bool


def access(handoff: Handoff, me: StaffUser) -> Access:
    admin = me.role == Role.admin
    assigned = handoff.status == HandoffStatus.assigned
    mine = assigned and handoff.officer_id == me.id
    unclaimed = handoff.status in handoffs.UNCLAIMED
    return Access(mine=mine, can_claim=unclaimed, can_reply=mine,
                  can_transfer=mine or (admin and (assigned or unclaimed)), can_resolve=mine or (admin and assigned))


def candidates(db: Session, handoff: Handoff) -> list[dict[str, object]]:
    """What the bot had found (`retrieved`), with current titles from the knowledge base."""
    found = [c for c in handoff.retrieved or [] if c.get("procedure_id")]
    ids = {str(c["procedure_id"]) for c in found}
    titles = {row.id: (row.published or {}).get("title") for row in
              db.scalars(select(ProcedureRow).where(ProcedureRow.id.in_(ids)))} if ids else {}
    return [{"procedure_id": c["procedure_id"], "title": c.get("title") or titles.get(c["procedure_id"])
             or c["procedure_id"], "score": c.get("score"), "known": bool(titles.get(c["procedure_id"]))}
            for c in found]


def _load(db: Session, raw_id: str) -> tuple[Handoff, HandoffItem]:
    handoff = handoffs.get_handoff(db, handoff_id_of(raw_id))
    return handoff, handoffs.queue_items(db, [handoff])[0]


def _status_context(db: Session, handoff: Handoff, item: HandoffItem, me: StaffUser) -> dict[str, Any]:
    """The status line: the handoff, and the transfer and resolve controls when this staff member may use them."""
    rights = access(handoff, me)
    officers = staff.active_officers(db, exclude=handoff.officer_id) if rights.can_transfer else []
    return {"item": item, "access": rights, "officers": officers}


def _panel(request: Request, db: Session, handoff: Handoff, item: HandoffItem, me: StaffUser,
           changed: bool = False) -> Response:
    """The reply panel (the claim button, the reply box with quick replies, or why this officer cannot reply); after
    a change also the status line (out of band) and the `conversation-changed` event for the transcript."""
    context = _status_context(db, handoff, item, me)
    context["quick_replies"] = quick_replies.all_replies(db) if context["access"].can_reply else []
    if changed:
        return render(request, "officer/_changed.html", context, headers=CHANGED)
    return render(request, "officer/_actions.html", context)


@router.get("/{handoff_id}")
def conversation_page(handoff_id: str, request: Request, db: SessionDep, me: ConsoleUser) -> Response:
    handoff, item = _load(db, handoff_id)
    messages, has_older = transcript_out(db, handoff.conversation_id)
    status = _status_context(db, handoff, item, me)
    staff.record(db, me.id, "handoff.view", f"handoff:{handoff.id}")  # who read a citizen's conversation
    return render(request, "officer/conversation.html", {
        **status, "messages": messages, "has_older": has_older, "last_id": messages[-1].id if messages else 0,
        "pressed": pressed_titles(db, handoff.conversation_id, messages), "candidates": candidates(db, handoff),
        "waiting_ids": conversations.waiting_for_citizen(db, handoff.conversation_id, [m.id for m in messages]),
        "quick_replies": quick_replies.all_replies(db) if status["access"].can_reply else [],
        "last_text": last_citizen_texts(db, [handoff.conversation_id]).get(handoff.conversation_id),
    })


@router.get("/{handoff_id}/messages")
def new_messages(handoff_id: str, request: Request, db: SessionDep, me: ConsoleUser,
                 after: int = Query(0, ge=0, le=2**31 - 1)) -> Response:
    """Messages after `after` (appended by the page), and the new cursor (swapped out of band)."""
    handoff, _ = _load(db, handoff_id)
    messages, _ = transcript_out(db, handoff.conversation_id, after=after)
    last_id = messages[-1].id if messages else after
    return render(request, "officer/_new_messages.html", {
        "messages": messages, "last_id": last_id, "pressed": pressed_titles(db, handoff.conversation_id, messages),
        "waiting_ids": conversations.waiting_for_citizen(db, handoff.conversation_id, [m.id for m in messages])})


@router.get("/{handoff_id}/status")
def status_line(handoff_id: str, request: Request, db: SessionDep, me: ConsoleUser) -> Response:
    handoff, item = _load(db, handoff_id)
    return render(request, "officer/_status.html", _status_context(db, handoff, item, me))


@router.get("/{handoff_id}/actions")
def actions_panel(handoff_id: str, request: Request, db: SessionDep, me: ConsoleUser) -> Response:
    handoff, item = _load(db, handoff_id)
    return _panel(request, db, handoff, item, me)


@router.post("/{handoff_id}/claim")
def claim(handoff_id: str, request: Request, db: SessionDep, me: ConsoleUser, then: str = "panel") -> Response:
    """Take the conversation. From the queue (`then=open`) the browser goes to the conversation; on its page the
    actions panel is swapped for the reply box. Losing the race shows who has it."""
    handoff = handoffs.claim(db, handoff_id_of(handoff_id), me)
    page = f"/console/conversations/{handoff.id}"
    if not request.headers.get("hx-request"):
        return RedirectResponse(page, status_code=303)
    if then == "open":
        return Response(status_code=200, headers={"HX-Redirect": page})
    return _panel(request, db, handoff, handoffs.queue_items(db, [handoff])[0], me, changed=True)


@router.post("/{handoff_id}/reply")
def reply(handoff_id: str, request: Request, db: SessionDep, me: ConsoleUser,
          text: Annotated[str, Form(max_length=20000)] = "") -> Response:
    """Send the officer's answer; stored and committed before the response. The page's transcript fetches it."""
    message = handoffs.reply(db, handoff_id_of(handoff_id), me, text)
    if not request.headers.get("hx-request"):
        return RedirectResponse(f"/console/conversations/{handoff_id}#msg-{message.id}", status_code=303)
    return Response(status_code=200, headers=CHANGED)


@router.post("/{handoff_id}/transfer")
def transfer(handoff_id: str, request: Request, db: SessionDep, me: ConsoleUser,
             officer_id: Annotated[int, Form(ge=1, le=2**31 - 1)]) -> Response:
    handoff = handoffs.transfer(db, handoff_id_of(handoff_id), me, officer_id)
    if not request.headers.get("hx-request"):
        return RedirectResponse(f"/console/conversations/{handoff.id}", status_code=303)
    return _panel(request, db, handoff, handoffs.queue_items(db, [handoff])[0], me, changed=True)


@router.post("/{handoff_id}/resolve")
def resolve(handoff_id: str, request: Request, db: SessionDep, me: ConsoleUser) -> Response:
    """Done: the conversation goes back to the bot, which asks the citizen for a rating."""
    handoff = handoffs.resolve(db, handoff_id_of(handoff_id), me)
    if not request.headers.get("hx-request"):
        return RedirectResponse(f"/console/conversations/{handoff.id}", status_code=303)
    return _panel(request, db, handoff, handoffs.queue_items(db, [handoff])[0], me, changed=True)
