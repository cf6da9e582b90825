"""action_answer: find the procedure the citizen means, keep it as context, answer the aspect asked.

- A button payload names the procedure (entity procedure_id): answer it.
- After a clarification, words choose among the offered candidates ("cái thứ hai", "cấp đổi").
- A follow-up about an aspect ("thế mất bao lâu?") keeps the current procedure; a new procedure
  found with confidence replaces it.
- Close candidates: ask which one (buttons). Nothing fits: say so, offer an officer, record the question.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.app_client import AppClient, AppUnavailable

log = logging.getLogger(__name__)

ASPECT_INTENTS = {f"ask_{a}": a for a in ("documents", "fee", "time", "agency", "online", "steps", "legal", "forms")}
APP_DOWN = ("Xin lỗi, hệ thống tra cứu đang tạm gián đoạn. Bạn vui lòng thử lại sau ít phút, "
            "hoặc bấm \"Gặp cán bộ\" để được hỗ trợ.")
HANDOFF_BUTTON = {"title": "Gặp cán bộ", "payload": "/request_human"}
_ORDINALS = [
    (re.compile(r"\b(cuoi|sau cung)\b"), -1),
    (re.compile(r"\b(thu nhat|dau tien|cai dau|so 1|thu 1|mot)\b|^\s*1\s*$"), 0),
    (re.compile(r"\b(thu hai|so 2|thu 2|hai)\b|^\s*2\s*$"), 1),
    (re.compile(r"\b(thu ba|so 3|thu 3|ba)\b|^\s*3\s*$"), 2),
]


def fold(text: str) -> str:
    from knowledge_base.text import fold as fold_text
    from knowledge_base.text import normalize

    return fold_text(normalize(text))


def faq_hit(hit: dict[str, Any]) -> str | None:
    """The FAQ id when search's best passage for this hit is an FAQ question ("faq:<id>")."""
    source = str(hit.get("source") or "")
    return source.removeprefix("faq:") if source.startswith("faq:") else None


def ordinal_choice(text: str, count: int) -> int | None:
    folded = fold(text)
    for pattern, index in _ORDINALS:
        if pattern.search(folded):
            return index if index < count else None
    return None


class ActionAnswer(Action):
    def __init__(self, client: AppClient | None = None) -> None:
        self.client = client or AppClient()

    def name(self) -> str:
        return "action_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name") or ""
        text = message.get("text") or ""
        aspect = ASPECT_INTENTS.get(intent)
        current = tracker.get_slot("procedure_id")
        pending = tracker.get_slot("pending_choices") or []
        button_choice = next(tracker.get_latest_entity_values("procedure_id"), None)
        mentioned = next(tracker.get_latest_entity_values("procedure"), None)
        try:
            if button_choice:
                if aspect is None and intent == "choose_option":
                    aspect = tracker.get_slot("aspect")
                return await self._answer(dispatcher, button_choice, aspect)
            if pending and (chosen := await self._choice_by_words(text, pending)):
                return await self._answer(dispatcher, chosen, aspect or tracker.get_slot("aspect"))
            found = await self.client.get("/api/v1/bot/search", q=text, k=5)
            aspect = aspect or found.get("aspect")
            results = found.get("results") or []
            decision = found.get("decision")
            top = [r["procedure_id"] for r in results]
            follow_up = bool(current and aspect and not mentioned)
            if follow_up and (decision != "answer" or top[0] == current):
                faq = faq_hit(results[0]) if decision == "answer" else None
                return await self._answer(dispatcher, current, aspect, faq, text)
            if decision == "answer":
                return await self._answer(dispatcher, top[0], aspect, faq_hit(results[0]), text)
            if decision == "clarify" and mentioned:  # the NLU's mention alone may settle it
                by_name = await self.client.get("/api/v1/bot/search", q=mentioned, k=3)
                if by_name.get("decision") == "answer" and by_name["results"][0]["procedure_id"] in top[:3]:
                    return await self._answer(dispatcher, by_name["results"][0]["procedure_id"], aspect)
            if decision == "clarify":
                return await self._clarify(dispatcher, top[:3], aspect)
            return await self._nothing(dispatcher, tracker, text, results)
        except AppUnavailable as error:
            log.warning("app unavailable: %s", error)
            dispatcher.utter_message(text=APP_DOWN, buttons=[HANDOFF_BUTTON])
            return []

    async def _choice_by_words(self, text: str, pending: list[str]) -> str | None:
        index = ordinal_choice(text, len(pending))
        if index is not None:
            return pending[index]
        found = await self.client.get("/api/v1/bot/search", q=text, k=10)
        return next((r["procedure_id"] for r in found.get("results") or [] if r["procedure_id"] in pending), None)

    async def _answer(self, dispatcher: CollectingDispatcher, procedure_id: str, aspect: str | None,
                      faq: str | None = None, question: str = "") -> list[dict[str, Any]]:
        params = {"aspect": aspect} if aspect else {}
        if faq:  # the app answers with the FAQ's own text if the question has (nearly) its wording
            params |= {"faq": faq, "q": question}
        body = await self.client.get(f"/api/v1/bot/procedures/{procedure_id}/answer", **params)
        dispatcher.utter_message(text=body["message"]["text"], buttons=body["message"]["buttons"])
        return [SlotSet("procedure_id", procedure_id), SlotSet("aspect", aspect), SlotSet("pending_choices", None)]

    async def _clarify(self, dispatcher: CollectingDispatcher, candidates: list[str],
                       aspect: str | None) -> list[dict[str, Any]]:
        body = await self.client.post("/api/v1/bot/clarify", {"procedure_ids": candidates})
        dispatcher.utter_message(text=body["text"], buttons=body["buttons"])
        return [SlotSet("pending_choices", candidates), SlotSet("aspect", aspect)]

    async def _nothing(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str,
                       results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        best = results[0] if results else {}
        body = await self.client.post("/api/v1/bot/unanswered", {
            "sender": tracker.sender_id, "text": text or "(trống)",
            "best_candidate": best.get("procedure_id"), "score": best.get("score"),
        })
        dispatcher.utter_message(text=body["message"]["text"], buttons=body["message"]["buttons"])
        return [SlotSet("pending_choices", None)]
