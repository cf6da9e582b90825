"""The bot's actions: each makes ONE call to the app (`POST /api/v1/bot/turn`), which decides what to say and what
to remember (the answer policy lives once, in the app), and turns the result into messages and slot events.

When the app does not answer within the client's timeout (3 s), the citizen gets a short apology with the
"Gặp cán bộ" button instead of waiting.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.app_client import AppClient, AppUnavailable
from knowledge_base.vocabulary import HANDOFF_BUTTON

log = logging.getLogger(__name__)

APP_DOWN = ("Xin lỗi, hệ thống tra cứu đang tạm gián đoạn. Bạn vui lòng thử lại sau ít phút, "
            "hoặc bấm \"Gặp cán bộ\" để được hỗ trợ.")
SLOTS = ("procedure_id", "aspect", "pending_choices")


def turn_request(action: str, tracker: Tracker) -> dict[str, Any]:
    """What the app needs to decide the turn: the NLU's reading of the message and the conversation's slots."""
    message = tracker.latest_message or {}
    entities = [{"entity": str(e.get("entity")), "value": e.get("value")}
                for e in message.get("entities") or [] if e.get("entity")]
    return {
        "sender": tracker.sender_id,
        "action": action,
        "intent": (message.get("intent") or {}).get("name") or "",
        "text": (message.get("text") or "")[:4000],
        "entities": entities[:20],
        "slots": {name: tracker.get_slot(name) for name in SLOTS},
    }


class AppTurnAction(Action):
    """An action whose whole turn is decided by the app."""

    action_name = ""

    def __init__(self, client: AppClient | None = None) -> None:
        self.client = client or AppClient()

    def name(self) -> str:
        return self.action_name

    def fallback(self, dispatcher: CollectingDispatcher) -> None:
        dispatcher.utter_message(text=APP_DOWN, buttons=[HANDOFF_BUTTON])

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        try:
            body = await self.client.post("/api/v1/bot/turn", turn_request(self.action_name, tracker))
        except AppUnavailable as error:
            log.warning("app unavailable: %s", error)
            self.fallback(dispatcher)
            return []
        for message in body.get("messages") or []:
            dispatcher.utter_message(text=message.get("text") or "", buttons=message.get("buttons") or [])
        return [SlotSet(name, value) for name, value in (body.get("slots") or {}).items() if name in SLOTS]


class ActionAnswer(AppTurnAction):
    action_name = "action_answer"


class ActionHandoff(AppTurnAction):
    action_name = "action_handoff"


class ActionComplaint(AppTurnAction):
    action_name = "action_complaint"


class ActionRate(AppTurnAction):
    action_name = "action_rate"


class ActionGreet(AppTurnAction):
    action_name = "action_greet"

    def fallback(self, dispatcher: CollectingDispatcher) -> None:
        dispatcher.utter_message(response="utter_greet")
