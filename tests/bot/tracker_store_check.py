"""Run inside .venv-rasa: plays conversations through two tracker stores on one SQLite file each — Rasa's own
SQLTrackerStore and ours with `remember_sessions` — and prints, as JSON, what each returned and stored. Used by
test_tracker_store.py, because pytest lives in the other venv."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import TunedSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]


def turn(tracker: DialogueStateTracker, text: str, at: float, procedure: str | None = None) -> None:
    tracker.update(UserUttered(text, {"name": "hoi_thu_tuc", "confidence": 0.9}, timestamp=at))
    if procedure:
        tracker.update(SlotSet("procedure_id", procedure, timestamp=at + 0.1))
    tracker.update(BotUttered(f"trả lời: {text}", timestamp=at + 0.2))
    tracker.update(ActionExecuted("action_listen", timestamp=at + 0.3))


def new_session(tracker: DialogueStateTracker, at: float) -> None:
    tracker.update(ActionExecuted("action_session_start", timestamp=at))
    tracker.update(SessionStarted(timestamp=at + 0.01))
    tracker.update(ActionExecuted("action_listen", timestamp=at + 0.02))


def state(tracker: DialogueStateTracker | None) -> Any:
    if tracker is None:
        return None
    return {"events": [e.as_dict() for e in tracker.events], "slot": tracker.get_slot("procedure_id")}


async def play(store: SQLTrackerStore) -> list[Any]:
    """Two conversations, turns interleaved, a new session in the first, a read after every save."""
    seen = [state(await store.retrieve("a")), state(await store.retrieve("b"))]
    clock = 1000.0
    for step in range(6):
        for sender in ("a", "b"):
            tracker = await store.retrieve(sender) or DialogueStateTracker(sender, store.domain.slots)
            if not tracker.events or (sender == "a" and step == 3):
                new_session(tracker, clock)
                clock += 1
            turn(tracker, f"{sender} hỏi lần {step}", clock, f"p{step}" if step % 2 else None)
            clock += 1
            await store.save(tracker)
            seen.append(state(await store.retrieve(sender)))
    return seen


def stored_rows(path: Path) -> list[Any]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events "
                          "ORDER BY id").fetchall()


RESPONSES: list[Any] = [
    {"events": [{"event": "slot", "name": "procedure_id", "value": "khai-sinh"}], "responses": [{"text": "Dạ"}]},
    {"events": [], "responses": []},
    {},
    {"events": "không phải danh sách"},
    {"events": [{"name": "thiếu event"}]},
    {"responses": [{"text": "ok"}], "events": [{"event": 3}]},
]


def checked(response: Any) -> str:
    """What Rasa's check of an action server response gives now (ours, installed with the tracker store), beside
    what jsonschema.validate with Rasa's schema gives."""
    try:
        RemoteAction("action_x", None)._validate_action_result(response)  # type: ignore[arg-type]
        ours = "ok"
    except jsonschema.ValidationError as error:
        ours = error.message
    try:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
        reference = "ok"
    except jsonschema.ValidationError as error:
        reference = error.message
    return json.dumps([ours, reference], ensure_ascii=False)


async def main(folder: Path) -> None:
    domain = Domain.load(ROOT / "domain.yml")
    plain = SQLTrackerStore(domain, dialect="sqlite", db=str(folder / "plain.db"))
    remembering = TunedSQLTrackerStore(domain, dialect="sqlite", db=str(folder / "ours.db"), remember_sessions=True)
    result = {"plain": await play(plain), "ours": await play(remembering),
              "remembered": len(remembering.recent or [])}
    result["plain_rows"] = stored_rows(folder / "plain.db")
    result["ours_rows"] = stored_rows(folder / "ours.db")
    # a store that remembered nothing (a restarted Rasa) reads the same conversations back from the file
    restarted = TunedSQLTrackerStore(domain, dialect="sqlite", db=str(folder / "ours.db"), remember_sessions=True)
    result["after_restart"] = [state(await restarted.retrieve(sender)) for sender in ("a", "b")]
    result["plain_last"] = [state(await plain.retrieve(sender)) for sender in ("a", "b")]
    result["responses"] = [json.loads(checked(response)) for response in RESPONSES]
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
