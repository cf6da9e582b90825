"""Actions tested against the real app, in process (ASGI transport), with real search and database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.app_client import AppClient


@pytest.fixture()
def app_client(client) -> Iterator[AppClient]:
    deadline = time.monotonic() + 900
    while not client.app.state.search.ready:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    token = client.app.state.settings.bot_api_token
    yield AppClient("http://app", token=token, transport=httpx.ASGITransport(app=client.app))


def tracker(text: str, intent: str, slots: dict[str, Any] | None = None, entities: list[dict] | None = None,
            sender: str = "test:citizen") -> Tracker:
    return Tracker.from_dict({
        "sender_id": sender,
        "slots": slots or {},
        "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.9},
                           "entities": entities or []},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    })


def run(action, track: Tracker) -> tuple[list[dict], list[dict]]:  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, track, {}))
    return dispatcher.messages, events


def slots(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
