"""Greeting built from the deployment's facts (assistant name, province, office hours)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.app_client import AppClient, AppUnavailable

log = logging.getLogger(__name__)


def greeting_text(info: dict[str, Any]) -> str:
    name = info.get("name") or "trợ lý ảo thủ tục hành chính"
    province = f" của {info['province']}" if info.get("province") else ""
    return (
        f"Xin chào! Tôi là {name}{province}. Tôi có thể hướng dẫn bạn làm thủ tục hành chính: "
        "cần giấy tờ gì, lệ phí bao nhiêu, mất bao lâu, nộp ở đâu và có nộp trực tuyến được không. "
        "Bạn cần hỏi về thủ tục nào ạ?"
    )


class ActionGreet(Action):
    def __init__(self, client: AppClient | None = None) -> None:
        self.client = client or AppClient()

    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            info = await self.client.get("/api/v1/assistant")
        except AppUnavailable as error:
            log.warning("greeting without app facts: %s", error)
            dispatcher.utter_message(response="utter_greet")
            return []
        dispatcher.utter_message(text=greeting_text(info))
        return []
