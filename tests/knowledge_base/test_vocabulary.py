"""The vocabulary the app and the action server share with Rasa is the one domain.yml declares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from knowledge_base import vocabulary

ROOT = Path(__file__).resolve().parents[2]


def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def intent_of(payload: str) -> tuple[str, dict[str, Any]]:
    name, _, entities = payload.removeprefix("/").partition("{")
    return name, json.loads("{" + entities) if entities else {}


def test_every_aspect_has_its_intent_and_no_other_ask_intent_exists() -> None:
    asks = {i for i in domain()["intents"] if i.startswith("ask_") and i != "ask_procedure"}
    assert asks == set(vocabulary.ASPECT_INTENTS)
    assert set(vocabulary.ASPECT_LABELS) == set(vocabulary.ASPECTS)


def test_buttons_name_intents_and_entities_of_the_domain() -> None:
    spec = domain()
    intents, entities = set(spec["intents"]), set(spec["entities"])
    assert intent_of(vocabulary.REQUEST_HUMAN) == ("request_human", {}) and "request_human" in intents
    for button in vocabulary.RATING_BUTTONS:
        name, found = intent_of(button["payload"])
        assert name == vocabulary.RATE_INTENT in intents and set(found) == {vocabulary.RATING_ENTITY} <= entities
    name, found = intent_of(vocabulary.intent_payload("ask_fee", "dang-ky-khai-sinh"))
    assert name in intents and set(found) == {"procedure_id"} <= entities


def test_the_domains_officer_buttons_are_the_handoff_button() -> None:
    buttons = [b for variants in domain()["responses"].values() for v in variants for b in v.get("buttons", [])]
    officer = [b for b in buttons if b["payload"] == vocabulary.REQUEST_HUMAN or b["title"] == "Gặp cán bộ"]
    assert officer and all(b == vocabulary.HANDOFF_BUTTON for b in officer)
