"""The words the app, the action server and Rasa's domain (`domain.yml`) share: the aspects of a procedure a citizen
asks about, the button that asks for a person, the rating buttons, and how a button's payload names an intent and a
procedure. Defined once here (standard library only: importable from every runtime); a test checks them against
`domain.yml`.
"""

from __future__ import annotations

import json

# The parts of a procedure a citizen asks about, in the order answers offer them; intent `ask_<aspect>` each.
ASPECTS = ("documents", "fee", "time", "agency", "online", "steps", "legal", "forms")
ASPECT_LABELS = {
    "documents": "Giấy tờ cần có",
    "fee": "Lệ phí",
    "time": "Thời gian giải quyết",
    "agency": "Nơi nộp hồ sơ",
    "online": "Nộp trực tuyến",
    "steps": "Các bước thực hiện",
    "legal": "Căn cứ pháp lý",
    "forms": "Biểu mẫu",
}
ASPECT_INTENTS = {f"ask_{aspect}": aspect for aspect in ASPECTS}

REQUEST_HUMAN = "/request_human"  # the intent of asking for a person, as a button's payload
HANDOFF_BUTTON = {"title": "Gặp cán bộ", "payload": REQUEST_HUMAN}
RATE_INTENT, RATING_ENTITY = "rate", "rating"


def intent_payload(intent: str, procedure_id: str) -> str:
    """A Rasa button payload: the intent with the procedure id as an entity (`/ask_fee{"procedure_id": "x"}`)."""
    return f"/{intent}" + json.dumps({"procedure_id": procedure_id})


def rating_payload(stars: int) -> str:
    return f"/{RATE_INTENT}" + json.dumps({RATING_ENTITY: str(stars)})


RATING_BUTTONS = [{"title": f"{n} sao", "payload": rating_payload(n)} for n in range(5, 0, -1)]
