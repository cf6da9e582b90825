"""The officers' API: the queue of conversations waiting for a person, transcripts, claim, reply, transfer, resolve.

Every route needs an officer or admin login (bearer token, or the console's cookie with its CSRF header);
every change is written to the audit log.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import CurrentStaff, SessionDep, handoff_id_of
from api.schemas import HandoffDetail, HandoffItem, MessageOut, ReplyIn, TransferIn, message_out
from api.services import conversations, handoffs, staff

router = APIRouter(prefix="/api/v1/handoffs", tags=["handoffs (officers)"])

@router.get("/queue", response_model=list[HandoffItem],
            summary="Open handoffs nobody has claimed: waiting ones first (longest wait first), then tickets")
def queue(db: SessionDep, _: CurrentStaff, limit: int = Query(200, ge=1, le=1000)) -> list[HandoffItem]:
    return handoffs.queue_items(db, handoffs.unclaimed(db, limit))


@router.get("/mine", response_model=list[HandoffItem], summary="Handoffs I am handling")
def mine(db: SessionDep, me: CurrentStaff) -> list[HandoffItem]:
    return handoffs.queue_items(db, handoffs.assigned_to(db, me.id))


@router.get("/{handoff_id}", response_model=HandoffDetail, summary="A handoff with its full transcript, oldest first")
def detail(handoff_id: str, db: SessionDep, me: CurrentStaff,
           limit: int = Query(1000, ge=1, le=5000)) -> HandoffDetail:
    handoff = handoffs.get_handoff(db, handoff_id_of(handoff_id))
    [item] = handoffs.queue_items(db, [handoff])
    messages, has_older = handoffs.transcript(db, handoff.conversation_id, limit)
    conversation = handoffs.summaries(db, [handoff.conversation_id])[handoff.conversation_id].conversation
    staff.record(db, me.id, "handoff.view", f"handoff:{handoff.id}")  # who read a citizen's conversation
    return HandoffDetail(**item.model_dump(), conversation_mode=conversation.mode.value, rating=handoff.rating,
                         messages=[message_out(m) for m in conversations.views(db, messages)],
                         has_older=has_older)


@router.post("/{handoff_id}/claim", response_model=HandoffItem,
             summary="Take the conversation (of two officers claiming at once, one wins; the other gets 409)")
def claim(handoff_id: str, db: SessionDep, me: CurrentStaff) -> HandoffItem:
    handoff = handoffs.claim(db, handoff_id_of(handoff_id), me)
    return handoffs.queue_items(db, [handoff])[0]


@router.post("/{handoff_id}/reply", response_model=MessageOut, status_code=201,
             summary="Answer the citizen (only the officer handling it); stored before the response")
def reply(handoff_id: str, body: ReplyIn, db: SessionDep, me: CurrentStaff) -> MessageOut:
    message = handoffs.reply(db, handoff_id_of(handoff_id), me, body.text)
    return message_out(conversations.view(message, me.full_name))


@router.post("/{handoff_id}/transfer", response_model=HandoffItem, summary="Give the conversation to another officer")
def transfer(handoff_id: str, body: TransferIn, db: SessionDep, me: CurrentStaff) -> HandoffItem:
    handoff = handoffs.transfer(db, handoff_id_of(handoff_id), me, body.officer_id)
    return handoffs.queue_items(db, [handoff])[0]


@router.post("/{handoff_id}/resolve", response_model=HandoffItem,
             summary="Done: back to the bot, and the citizen is asked for a 1–5 rating")
def resolve(handoff_id: str, db: SessionDep, me: CurrentStaff) -> HandoffItem:
    handoff = handoffs.resolve(db, handoff_id_of(handoff_id), me)
    return handoffs.queue_items(db, [handoff])[0]
