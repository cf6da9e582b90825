"""One bot turn, decided in the app: the action Rasa chose, the NLU's reading of the message and the conversation's
slots → the messages to say, the slots to set and the turn's outcome.

The action server makes exactly one call per turn (`POST /api/v1/bot/turn`) and turns the result into messages and
slot events; the gateway calls `handoff_turn` itself when a citizen asks for a person and Rasa cannot be reached.
No FastAPI here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from api.core.config import Settings
from api.db.models import utcnow
from api.domain.office_questions import office_topics
from api.services import checklist, handoffs, office_info, turn_outcomes
from api.services.answering import Answerer, Question, fold_text, mentioned_procedure, other_procedure
from api.services.conversations import split_sender
from knowledge_base import answers
from knowledge_base.focus import asks, sentences
from knowledge_base.search import SearchResponse
from knowledge_base.service import SearchService
from knowledge_base.vocabulary import RATING_BUTTONS

CHECKLIST_CHANNELS = ("web", "telegram")  # where a citizen can open a link to print
GREETING_WORDS = 6  # a greeting longer than this that asks something is a question
OFFICE_INTENT = "office_info"  # Rasa's intent for the office's own facts (answered by action_answer)
OFFICE_DEFAULT_TOPICS = ("hours", "address", "phone")
ACTIONS = ("action_answer", "action_handoff", "action_complaint", "action_rate", "action_greet")
# Words that make a message a complaint, or a request for a person, whatever else it asks.
_COMPLAINT_WORDS = re.compile(r"\b(phan anh|khieu nai|to cao|kien nghi|gop y|buc xuc|nhung nhieu|gay kho|lam kho"
                              r"|hach dich|doi tien|hoi lo|thai do|cau gat|tre hen|cham tre|hen di hen lai|qua han)\b")
_PERSON_WORDS = re.compile(r"\b(can bo|nguoi that|nhan vien|tu van vien|nguoi truc|gap|goi lai|noi chuyen"
                           r"|truc tiep|ho tro)\b")
_RATING_WORDS = [  # negative phrases first: "không hài lòng" contains "hài lòng"
    (re.compile(r"\b(rat te|qua te|rat khong hai long|kem qua)\b"), 1),
    (re.compile(r"\b(khong hai long|khong tot|chua tot|te|kem)\b"), 2),
    (re.compile(r"\b(rat hai long|tuyet voi|qua tot|xuat sac)\b"), 5),
    (re.compile(r"\b(binh thuong|tam duoc|tam on)\b"), 3),
    (re.compile(r"\b(hai long|tot|on)\b"), 4),
]


@dataclass
class Outcome:
    """What the turn did, as data (for analytics): answer | clarify | none | office | handoff | complaint | rating |
    greet."""

    decision: str
    procedure_id: str | None = None
    aspect: str | None = None
    score: float | None = None


@dataclass
class TurnResult:
    messages: list[answers.Message]
    slots: dict[str, Any] = field(default_factory=dict)  # slots to set; None clears one
    outcome: Outcome = field(default_factory=lambda: Outcome("none"))


def rating_from(text: str, entity: str | None) -> int | None:
    """1–5 from "5 sao", "rất hài lòng", "tam on"…; None when the message gives no rating."""
    for candidate in (entity or "", text):
        if match := re.search(r"\b([1-5])\b", candidate):
            return int(match.group(1))
    folded = fold_text(text)
    return next((value for pattern, value in _RATING_WORDS if pattern.search(folded)), None)


def greeting_text(settings: Settings) -> str:
    province = f" của {settings.province_name}" if settings.province_name else ""
    return (
        f"Xin chào! Tôi là {settings.assistant_name}{province}. Tôi có thể hướng dẫn bạn làm thủ tục hành chính: "
        "cần giấy tờ gì, lệ phí bao nhiêu, mất bao lâu, nộp ở đâu và có nộp trực tuyến được không. "
        "Bạn cần hỏi về thủ tục nào ạ?"
    )


def handoff_text(office_open: bool, next_opening: str | None, queue_position: int, estimated_wait: str) -> str:
    if not office_open:
        return ("Hiện đã ngoài giờ làm việc của bộ phận một cửa. Tôi đã ghi nhận yêu cầu của bạn; cán bộ sẽ trả lời "
                f"ngay tại đây từ {next_opening or 'giờ làm việc tiếp theo'}. "
                "Bạn có thể nhắn trước nội dung cần hỏi.")
    return ("Tôi đã chuyển cuộc trò chuyện tới cán bộ bộ phận một cửa. "
            f"Bạn đang ở vị trí thứ {queue_position or 1} trong hàng chờ; cán bộ sẽ trả lời bạn ngay tại đây, "
            f"dự kiến trong {estimated_wait or 'vài phút'}.")


def complaint_text(handoff_id: int) -> str:
    return (f"Cảm ơn bạn đã phản ánh. Ý kiến của bạn đã được ghi nhận (mã số {handoff_id}) và chuyển tới "
            "cán bộ phụ trách; bạn sẽ nhận được phản hồi qua kênh này. Bạn có thể nhắn thêm chi tiết "
            "(thời gian, địa điểm, thủ tục liên quan) để cán bộ xử lý nhanh hơn.")


def handoff_turn(db: Session, settings: Settings, sender: str, retrieved: list[str],
                 now: dt.datetime | None = None) -> TurnResult:
    """Open (or find) the conversation's handoff and tell the citizen where they stand."""
    office, now = settings.office(), now or utcnow()
    _, position = handoffs.open_handoff(
        db, sender, "citizen_request", retrieved=[{"procedure_id": pid} for pid in retrieved[:3]] or None,
        office=office, now=now)
    text = handoff_text(office.is_open(now), handoffs.next_opening_text(office, now), position,
                        handoffs.describe_wait(handoffs.average_wait_seconds(db, office, now)))
    return TurnResult([answers.Message(text)], outcome=Outcome("handoff", retrieved[0] if retrieved else None))


def complaint_turn(db: Session, settings: Settings, sender: str, text: str) -> TurnResult:
    handoff, _ = handoffs.open_handoff(db, sender, "complaint", text[:4000] or None, office=settings.office())
    return TurnResult([answers.Message(complaint_text(handoff.id))], outcome=Outcome("complaint"))


def rate_turn(db: Session, sender: str, text: str, entity: str | None) -> TurnResult:
    rating = rating_from(text, entity)
    if rating is None:
        return TurnResult([answers.Message("Bạn chấm giúp tôi từ 1 đến 5 sao nhé (5 là rất hài lòng).",
                                           list(RATING_BUTTONS))], outcome=Outcome("rating"))
    handoffs.record_rating(db, sender, rating)
    return TurnResult([answers.Message(f"Cảm ơn bạn đã đánh giá {rating}/5! Ý kiến của bạn giúp chúng tôi phục vụ "
                                       "tốt hơn.")], outcome=Outcome("rating"))


def checklist_line(settings: Settings, channel: str, procedure_id: str) -> str | None:
    """The printable checklist's link under an answer on the widget and Telegram; None without `PUBLIC_BASE_URL`
    (the app's address seen from outside is unknown) and on other channels."""
    url = checklist.checklist_url(settings, procedure_id)
    return f"In phiếu hướng dẫn (giấy tờ, lệ phí, mã QR): {url}" if url and channel in CHECKLIST_CHANNELS else None


def office_turn(db: Session, settings: Settings, topics: list[str]) -> TurnResult:
    """A question about the office's own facts, answered from what an admin saved (read on every message)."""
    facts = office_info.current(db, settings.office_hours)
    return TurnResult([office_info.answer(facts, topics)], {"pending_choices": None}, Outcome("office"))


def office_question(question: Question) -> list[str]:
    """The office facts a message asks about, when it is about the office rather than a procedure it names."""
    if question.entities.get("procedure_id") or mentioned_procedure(question):
        return []
    topics = office_topics(question.text)
    return topics or (list(OFFICE_DEFAULT_TOPICS) if question.intent == OFFICE_INTENT else [])


def is_question(text: str) -> bool:
    """More than a greeting: a message of several words with an asking sentence after the hello."""
    parts = sentences(text)
    return len(text.split()) > GREETING_WORDS and any(asks(part) for part in parts[1:] or parts)


def answer_turn(db: Session, search: SearchService, settings: Settings, sender: str,
                question: Question, found: SearchResponse | None = None) -> TurnResult:
    if topics := office_question(question):
        return office_turn(db, settings, topics)
    channel, _ = split_sender(sender)
    decision = Answerer(db, search, settings.today(), channel=channel).decide(question, found)
    outcome = Outcome(decision.kind, decision.procedure_id, decision.aspect, decision.score)
    message = decision.message
    line = checklist_line(settings, channel, decision.procedure_id) if decision.procedure_id else None
    if decision.kind == "answer" and line:
        message = answers.Message(f"{message.text}\n{line}", message.buttons)
    return TurnResult([message], decision.slots(), outcome)


def question_not_request(db: Session, search: SearchService, settings: Settings, sender: str, question: Question,
                         refuse: re.Pattern[str]) -> TurnResult | None:
    """A letter the NLU took for a complaint or for asking a person, that is really a question about our procedures
    (search answers it, or offers a few to choose from) or about one of the catalogue of others: the answer, the
    choice or the honest pointer (the citizen still has the officer button); None when it is what the NLU said."""
    if refuse.search(fold_text(question.text)) or not is_question(question.text):
        return None
    found = search.search(question.text, 5)
    if found.decision != "none" or other_procedure(search, question.text):  # ours (or a few), or one we point to
        return answer_turn(db, search, settings, sender, question, found)
    return None


def take_turn(db: Session, search: SearchService, settings: Settings, *, action: str, sender: str,
              question: Question) -> TurnResult:
    """The turn for the action Rasa chose (one of ACTIONS), its outcome recorded as data (`turn_outcomes`): the
    gateway attaches it to the reply it stores."""
    result = _turn(db, search, settings, action=action, sender=sender, question=question)
    outcome = result.outcome
    turn_outcomes.record_pending(db, sender, outcome.decision, outcome.procedure_id, outcome.aspect, outcome.score)
    return result


def _turn(db: Session, search: SearchService, settings: Settings, *, action: str, sender: str,
          question: Question) -> TurnResult:
    if action == "action_answer":
        return answer_turn(db, search, settings, sender, question)
    if action == "action_handoff":
        if answered := question_not_request(db, search, settings, sender, question, _PERSON_WORDS):
            return answered
        retrieved = [pid for pid in [question.procedure_id, *question.pending_choices] if pid]
        return handoff_turn(db, settings, sender, retrieved)
    if action == "action_complaint":
        if topics := office_topics(question.text):  # "bộ phận một cửa làm việc giờ nào" is not a complaint
            return office_turn(db, settings, topics)
        if answered := question_not_request(db, search, settings, sender, question, _COMPLAINT_WORDS):
            return answered
        return complaint_turn(db, settings, sender, question.text)
    if action == "action_rate":
        return rate_turn(db, sender, question.text, question.entities.get("rating"))
    if action == "action_greet":
        if is_question(question.text):  # "Chào anh chị, tôi … Cho tôi hỏi …": answer the question
            return answer_turn(db, search, settings, sender, question)
        return TurnResult([answers.Message(greeting_text(settings))], outcome=Outcome("greet"))
    raise ValueError(f"unknown action {action!r}")
