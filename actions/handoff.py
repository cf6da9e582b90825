"""Actions that involve a person: handoff to an officer, complaints (tickets), satisfaction rating."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import APP_DOWN, fold
from actions.app_client import AppClient, AppUnavailable

log = logging.getLogger(__name__)

_RATING_WORDS = [  # negative phrases first: "không hài lòng" contains "hài lòng"
    (re.compile(r"\b(rat te|qua te|rat khong hai long|kem qua)\b"), 1),
    (re.compile(r"\b(khong hai long|khong tot|chua tot|te|kem)\b"), 2),
    (re.compile(r"\b(rat hai long|tuyet voi|qua tot|xuat sac)\b"), 5),
    (re.compile(r"\b(binh thuong|tam duoc|tam on)\b"), 3),
    (re.compile(r"\b(hai long|tot|on)\b"), 4),
]


def rating_from(text: str, entity: str | None) -> int | None:
    for candidate in (entity or "", text):
        if match := re.search(r"\b([1-5])\b", candidate):
            return int(match.group(1))
    folded = fold(text)
    return next((value for pattern, value in _RATING_WORDS if pattern.search(folded)), None)


class ActionHandoff(Action):
    def __init__(self, client: AppClient | None = None) -> None:
        self.client = client or AppClient()

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            body = await self.client.post("/api/v1/bot/handoff", {
                "sender": tracker.sender_id, "reason": "citizen_request",
                "retrieved": [{"procedure_id": pid} for pid in retrieved_context(tracker)],
            })
        except AppUnavailable as error:
            log.warning("handoff failed: %s", error)
            dispatcher.utter_message(text=APP_DOWN)
            return []
        dispatcher.utter_message(text=handoff_text(body))
        return []


def retrieved_context(tracker: Tracker) -> list[str]:
    """What the bot was talking about, so the officer sees it in the queue."""
    current = tracker.get_slot("procedure_id")
    pending = tracker.get_slot("pending_choices") or []
    return [pid for pid in [current, *pending] if pid][:3]


def handoff_text(body: dict[str, Any]) -> str:
    if not body.get("office_open", True):
        return ("Hiện đã ngoài giờ làm việc của bộ phận một cửa. Tôi đã ghi nhận yêu cầu của bạn; cán bộ sẽ trả lời "
                f"ngay tại đây từ {body.get('next_opening') or 'giờ làm việc tiếp theo'}. "
                "Bạn có thể nhắn trước nội dung cần hỏi.")
    position = body.get("queue_position") or 1
    return ("Tôi đã chuyển cuộc trò chuyện tới cán bộ bộ phận một cửa. "
            f"Bạn đang ở vị trí thứ {position} trong hàng chờ; cán bộ sẽ trả lời bạn ngay tại đây, "
            f"dự kiến trong {body.get('estimated_wait') or 'vài phút'}.")


class ActionComplaint(Action):
    def __init__(self, client: AppClient | None = None) -> None:
        self.client = client or AppClient()

    def name(self) -> str:
        return "action_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        try:
            body = await self.client.post("/api/v1/bot/handoff",
                                          {"sender": tracker.sender_id, "reason": "complaint", "note": text[:4000]})
        except AppUnavailable as error:
            log.warning("complaint not recorded: %s", error)
            dispatcher.utter_message(text=APP_DOWN)
            return []
        dispatcher.utter_message(text=(
            f"Cảm ơn bạn đã phản ánh. Ý kiến của bạn đã được ghi nhận (mã số {body['handoff_id']}) và chuyển tới "
            "cán bộ phụ trách; bạn sẽ nhận được phản hồi qua kênh này. Bạn có thể nhắn thêm chi tiết "
            "(thời gian, địa điểm, thủ tục liên quan) để cán bộ xử lý nhanh hơn."
        ))
        return []


class ActionRate(Action):
    def __init__(self, client: AppClient | None = None) -> None:
        self.client = client or AppClient()

    def name(self) -> str:
        return "action_rate"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        rating = rating_from(text, next(tracker.get_latest_entity_values("rating"), None))
        if rating is None:
            dispatcher.utter_message(text="Bạn chấm giúp tôi từ 1 đến 5 sao nhé (5 là rất hài lòng).",
                                     buttons=[{"title": f"{n} sao", "payload": f'/rate{{"rating": "{n}"}}'}
                                              for n in range(5, 0, -1)])
            return []
        try:
            await self.client.post("/api/v1/bot/rating", {"sender": tracker.sender_id, "rating": rating})
        except AppUnavailable as error:
            log.warning("rating not recorded: %s", error)
        dispatcher.utter_message(
            text=f"Cảm ơn bạn đã đánh giá {rating}/5! Ý kiến của bạn giúp chúng tôi phục vụ tốt hơn.")
        return []
