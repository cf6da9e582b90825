"""Turn outcomes as data: what each bot turn decided (procedure, aspect, decision, top score, channel), for analytics.

The turn function (`bot_turns.take_turn`, reached by the action server's one call per turn) records its outcome as
*pending* for the conversation; when Rasa's replies come back, the gateway stores them and attaches the pending
outcome to the first reply and to the citizen message it answers (`attach`). Turns decided in the gateway itself
record their outcome there: a handoff without Rasa, the busy notice, Rasa unavailable, or a reply Rasa gave by
itself (no app action: small talk or a question outside public services — "out_of_scope"). No text is stored here.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db.base import rows_changed
from api.db.models import Message, TurnOutcome
from api.services.conversations import find, split_sender

DECISIONS = ("answer", "clarify", "none", "out_of_scope", "handoff", "busy", "unavailable", "complaint", "rating",
             "greet")


def record_pending(db: Session, sender: str, decision: str, procedure_id: str | None = None,
                   aspect: str | None = None, score: float | None = None) -> TurnOutcome:
    """The turn function's outcome, before the gateway has stored the replies (see `attach`)."""
    channel, user_id = split_sender(sender)
    conversation = find(db, channel, user_id)
    row = TurnOutcome(conversation_id=conversation.id if conversation else None, channel=channel, decision=decision,
                      procedure_id=procedure_id, aspect=aspect, score=score)
    db.add(row)
    return row


def record(db: Session, conversation_id: int, channel: str, decision: str, *, citizen_message_id: int | None,
           message_id: int | None = None, procedure_id: str | None = None) -> TurnOutcome:
    """An outcome decided by the gateway (handoff without Rasa, busy, unavailable, out_of_scope)."""
    row = TurnOutcome(conversation_id=conversation_id, channel=channel, decision=decision,
                      citizen_message_id=citizen_message_id, message_id=message_id, procedure_id=procedure_id)
    db.add(row)
    return row


def attach(db: Session, conversation_id: int, citizen_message_id: int, reply_id: int) -> int:
    """Attach the conversation's pending outcomes recorded since the citizen message arrived to the stored reply;
    how many were attached (0: the app decided nothing in this turn)."""
    since = select(Message.created_at).where(Message.id == citizen_message_id).scalar_subquery()
    return rows_changed(db, update(TurnOutcome).where(
        TurnOutcome.conversation_id == conversation_id, TurnOutcome.message_id.is_(None),
        TurnOutcome.citizen_message_id.is_(None), TurnOutcome.created_at >= since)
        .values(message_id=reply_id, citizen_message_id=citizen_message_id)
        .execution_options(synchronize_session=False))
