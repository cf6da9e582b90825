"""The action server's side of a turn, for tests: POST /api/v1/bot/turn as actions/bot_turn.py sends it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from api.db.base import session_scope
from api.db.models import Conversation, Handoff
from api.services import handoffs


def bot_headers(client: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.app.state.settings.bot_api_token}"}


def bot_turn(client: Any, sender: str, action: str, text: str = "", intent: str = "",
             slots: dict[str, Any] | None = None, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    response = client.post("/api/v1/bot/turn", headers=bot_headers(client), json={
        "sender": sender, "action": action, "intent": intent, "text": text, "entities": entities or [],
        "slots": slots or {}})
    assert response.status_code == 200, response.text
    return response.json()


def latest_handoff(channel: str, user_id: str) -> dict[str, Any]:
    """The conversation's latest handoff: id, status, queue position."""
    with session_scope() as db:
        handoff = db.scalar(select(Handoff).join(Conversation, Conversation.id == Handoff.conversation_id)
                            .where(Conversation.channel == channel, Conversation.user_id == user_id)
                            .order_by(Handoff.id.desc()).limit(1))
        assert handoff is not None
        return {"handoff_id": handoff.id, "status": handoff.status.value,
                "queue_position": handoffs.queue_position(db, handoff)}


def open_handoff_via_bot(client: Any, sender: str, *, note: str = "", procedure_id: str | None = None,
                         complaint: bool = False) -> dict[str, Any]:
    """The bot hands the conversation over (action_handoff) or records a complaint (action_complaint)."""
    if complaint:
        turn = bot_turn(client, sender, "action_complaint", text=note, intent="complaint")
    else:
        turn = bot_turn(client, sender, "action_handoff", text="gặp cán bộ", intent="request_human",
                        slots={"procedure_id": procedure_id} if procedure_id else None)
    channel, _, user_id = sender.partition(":")
    return {**latest_handoff(channel, user_id), "text": turn["messages"][0]["text"]}
