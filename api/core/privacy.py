"""Masking of personal data (phone, ID and passport numbers, e-mail addresses) before text reaches logs or analytics.
The rules are pure and shared with the action server: knowledge_base/privacy.py."""

from __future__ import annotations

import re

from knowledge_base.privacy import mask_pii

__all__ = ["drop_query_strings", "mask_identifier", "mask_pii", "scrub_log_text"]

# A query string in a logged URL or request line ("WebSocket /api/v1/widget/ws?key=…&after=0", uvicorn's line per
# socket): dropped whole, since it may carry a credential (the widget's conversation key).
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']+")


def drop_query_strings(text: str) -> str:
    return _QUERY.sub(r"\1?…", text)


def scrub_log_text(text: str) -> str:
    """What a log line may hold of `text`: personal data masked, query strings dropped."""
    return drop_query_strings(mask_pii(text))


def mask_identifier(value: str, keep: int = 3) -> str:
    """A user id shown to staff: all but the last `keep` characters hidden ("*******123")."""
    value = value.strip()
    if len(value) <= keep:
        return "*" * max(len(value), 3)
    return "*" * (len(value) - keep) + value[-keep:]
