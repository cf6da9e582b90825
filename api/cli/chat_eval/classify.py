"""What one `POST /api/v1/chat` response did, judged from the response alone.

- "answered X": the reply buttons' payloads name exactly one procedure id (`/ask_<aspect>{"procedure_id": "X"}`);
- "clarify": they name several ids, or a button is `/choose_option`;
- "none": anything else (no answer, small talk, a handoff…).

An out-of-scope question is handled honestly when the class is "none" and the text says there is no (detailed)
guide here, names the body that handles it (one of the example's `handler_keywords`, when given) and links an
official page (an address on gov.vn, chinhphu.vn or vbpl.vn, with or without `https://`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from api.cli.chat_eval.examples import ChatExample
from knowledge_base.text import fold, normalize

Kind = Literal["answered", "clarify", "none"]
IN_SCOPE_OUTCOMES = ("right", "clarify_right", "clarify_other", "wrong", "none")
OUT_OF_SCOPE_OUTCOMES = ("oos_honest", "oos_vague", "oos_clarify", "oos_answered")  # vague: "none", not honest

_PAYLOAD = re.compile(r"^/(?P<intent>[\w.-]+)(?P<entities>\{.*\})?$", re.S)
# on folded text: "chưa có hướng dẫn (chi tiết)", "không có thông tin", "chưa tìm thấy thông tin phù hợp"…
_NO_GUIDE = re.compile(r"\b(chua|khong) (co|tim thay|ho tro) (ban |thong tin )?(huong dan|thong tin)\b")
_HOST = re.compile(r"(?<![\w.-])(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})\b", re.I)  # with or without scheme
OFFICIAL_SITES = ("chinhphu.vn", "vbpl.vn")  # and their subdomains, besides any *.gov.vn site


@dataclass(frozen=True)
class Reading:
    kind: Kind
    procedure_ids: tuple[str, ...]  # in button order, each once
    text: str  # the replies' texts, one per line
    error: str | None = None  # the request failed (counted as "none")


def _folded(text: str) -> str:
    return fold(normalize(text))


def _payload_parts(payload: str) -> tuple[str, str | None]:
    """(intent, procedure id or None) of a Rasa button payload."""
    match = _PAYLOAD.match(payload.strip())
    if not match:
        return "", None
    entities: Any = {}
    if match["entities"]:
        try:
            entities = json.loads(match["entities"])
        except ValueError:
            entities = {}
    procedure_id = entities.get("procedure_id") if isinstance(entities, dict) else None
    return match["intent"], procedure_id if isinstance(procedure_id, str) and procedure_id else None


def read_response(body: dict[str, Any]) -> Reading:
    replies = body.get("replies") or []
    ids: dict[str, None] = {}
    choose = False
    for reply in replies:
        for button in reply.get("buttons") or []:
            intent, procedure_id = _payload_parts(str(button.get("payload") or ""))
            choose = choose or intent == "choose_option"
            if procedure_id:
                ids.setdefault(procedure_id)
    kind: Kind = "clarify" if choose or len(ids) > 1 else "answered" if ids else "none"
    return Reading(kind, tuple(ids), "\n".join(str(r.get("text") or "") for r in replies))


def failed_request(error: str) -> Reading:
    return Reading("none", (), "", error)


def says_no_guide(text: str) -> bool:
    return bool(_NO_GUIDE.search(_folded(text)))


def names_handler(text: str, keywords: Sequence[str]) -> bool:
    folded = f" {_folded(text)} "
    return not keywords or any(f" {_folded(word)} " in folded for word in keywords)


def links_official_page(text: str) -> bool:
    hosts = [host.lower() for host in _HOST.findall(text)]
    return any(host.endswith(".gov.vn") or any(host == site or host.endswith("." + site) for site in OFFICIAL_SITES)
               for host in hosts)


def honest_out_of_scope(reading: Reading, keywords: Sequence[str]) -> bool:
    return (reading.kind == "none" and says_no_guide(reading.text) and names_handler(reading.text, keywords)
            and links_official_page(reading.text))


def judge(example: ChatExample, reading: Reading) -> str:
    """The outcome: one of IN_SCOPE_OUTCOMES or OUT_OF_SCOPE_OUTCOMES."""
    if example.expected is None:
        if reading.kind != "none":
            return "oos_answered" if reading.kind == "answered" else "oos_clarify"
        return "oos_honest" if honest_out_of_scope(reading, example.handler_keywords) else "oos_vague"
    if reading.kind == "answered":
        return "right" if reading.procedure_ids == (example.expected,) else "wrong"
    if reading.kind == "clarify":
        return "clarify_right" if example.expected in reading.procedure_ids else "clarify_other"
    return "none"
