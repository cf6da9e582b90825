"""A stored message as every channel and page shows it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MessageView:
    id: int
    author: str  # citizen | bot | officer | system
    author_name: str | None  # the officer's name, on an officer's message
    text: str
    payload: str | None
    buttons: list[dict[str, Any]] = field(default_factory=list)
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    client_msg_id: str | None = None
