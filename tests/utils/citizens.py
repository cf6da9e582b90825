"""A citizen on the REST channel in tests: the keys their conversations' first replies gave, sent back as
X-Conversation-Key (as api/runtime/chat_client.py does for tools)."""

from __future__ import annotations

from typing import Any

KEYS: dict[str, str] = {}


def remember(user_id: str, body: Any) -> None:
    if isinstance(body, dict) and isinstance(body.get("conversation_key"), str):
        KEYS[user_id] = body["conversation_key"]


def key_header(user_id: str) -> dict[str, str]:
    return {"X-Conversation-Key": KEYS[user_id]} if user_id in KEYS else {}


def post_chat(client: Any, user_id: str, **fields: Any) -> Any:
    """POST /api/v1/chat as the conversation's owner (the response, whatever its status)."""
    response = client.post("/api/v1/chat", json={"sender": user_id, **fields}, headers=key_header(user_id))
    if response.headers.get("content-type", "").startswith("application/json"):
        remember(user_id, response.json())
    return response


def get_messages(client: Any, user_id: str, **params: Any) -> Any:
    """GET /api/v1/chat/{user_id}/messages as the conversation's owner."""
    return client.get(f"/api/v1/chat/{user_id}/messages", params=params, headers=key_header(user_id))
