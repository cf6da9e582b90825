"""The actions against the real app (in process, ASGI transport), with real search and database: one call per
turn, answers, carry-over, clarification, honest 'not found', handoff, complaint, rating, greeting."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from actions.app_client import AppClient
from actions.bot_turn import APP_DOWN, ActionAnswer, ActionComplaint, ActionGreet, ActionHandoff, ActionRate
from api.db.base import session_scope
from api.db.models import Conversation, ConversationMode, Handoff, HandoffStatus, Role, UnansweredQuestion
from tests.actions.conftest import run, slots, tracker
from tests.utils.staff import auth_headers


class Counting(httpx.AsyncBaseTransport):
    """The app's transport, counting the action server's calls."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.calls = inner, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return await self.inner.handle_async_request(request)


def test_answers_a_procedure_question_in_one_call_and_sets_context(app_client: AppClient) -> None:
    counting = Counting(app_client.transport)  # type: ignore[arg-type]
    client = AppClient(app_client.base_url, token=app_client.token, transport=counting)
    messages, events = run(ActionAnswer(client), tracker("làm hộ chiếu cần giấy tờ gì", "ask_documents"))
    assert counting.calls == 1
    assert slots(events) == {"procedure_id": "cap-ho-chieu-pho-thong", "aspect": "documents",
                             "pending_choices": None}
    text = messages[0]["text"]
    assert "Hồ sơ" in text.split("\n")[0] and "Nguồn: " in text
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert '/ask_fee{"procedure_id": "cap-ho-chieu-pho-thong"}' in payloads


def test_follow_up_keeps_the_current_procedure(app_client: AppClient) -> None:
    messages, events = run(ActionAnswer(app_client),
                           tracker("thế mất bao lâu?", "ask_time", slots={"procedure_id": "cap-ho-chieu-pho-thong"}))
    assert slots(events)["procedure_id"] == "cap-ho-chieu-pho-thong"
    assert "Thời gian giải quyết" in messages[0]["text"]


def test_a_new_procedure_replaces_the_context(app_client: AppClient) -> None:
    _, events = run(ActionAnswer(app_client), tracker("còn đăng ký kết hôn thì nộp ở đâu", "ask_agency",
                                                      slots={"procedure_id": "cap-ho-chieu-pho-thong"},
                                                      entities=[{"entity": "procedure", "value": "kết hôn"}]))
    assert slots(events)["procedure_id"] == "dang-ky-ket-hon"


def test_button_payload_chooses_the_procedure(app_client: AppClient) -> None:
    messages, events = run(ActionAnswer(app_client), tracker(
        '/choose_option{"procedure_id": "cap-doi-the-can-cuoc"}', "choose_option",
        slots={"pending_choices": ["cap-the-can-cuoc", "cap-doi-the-can-cuoc"], "aspect": "fee"},
        entities=[{"entity": "procedure_id", "value": "cap-doi-the-can-cuoc"}]))
    assert slots(events) == {"procedure_id": "cap-doi-the-can-cuoc", "aspect": "fee", "pending_choices": None}
    assert messages[0]["text"].startswith("Lệ phí")


def test_a_forged_button_naming_no_procedure_is_not_found(app_client: AppClient) -> None:
    messages, _ = run(ActionAnswer(app_client), tracker('/ask_fee{"procedure_id": "khong-co"}', "ask_fee",
                                                        entities=[{"entity": "procedure_id", "value": "khong-co"}]))
    assert "chưa tìm thấy" in messages[0]["text"]


def test_words_choose_among_pending_candidates(app_client: AppClient) -> None:
    pending = ["cap-the-can-cuoc", "cap-doi-the-can-cuoc", "cap-lai-the-can-cuoc"]
    _, events = run(ActionAnswer(app_client), tracker("cái thứ hai", "choose_option",
                                                      slots={"pending_choices": pending}))
    assert slots(events)["procedure_id"] == "cap-doi-the-can-cuoc"
    _, events = run(ActionAnswer(app_client), tracker("mất thẻ cần làm lại", "choose_option",
                                                      slots={"pending_choices": pending}))
    assert slots(events)["procedure_id"] == "cap-lai-the-can-cuoc"


def test_out_of_scope_is_admitted_and_recorded_masked(app_client: AppClient) -> None:
    question = "giá vàng hôm nay bao nhiêu, số tôi 0912345678"
    messages, events = run(ActionAnswer(app_client), tracker(question, "nlu_fallback"))
    assert "chưa tìm thấy" in messages[0]["text"]
    assert messages[0]["buttons"] == [{"title": "Gặp cán bộ", "payload": "/request_human"}]
    assert slots(events) == {"pending_choices": None}
    with session_scope() as db:
        stored = db.scalars(select(UnansweredQuestion).order_by(UnansweredQuestion.id.desc())).first()
    assert stored is not None and "giá vàng" in stored.text and stored.channel == "test"
    assert "0912345678" not in stored.text


def test_admin_sees_and_resolves_unanswered_questions(app_client: AppClient, client) -> None:  # type: ignore[no-untyped-def]
    run(ActionAnswer(app_client), tracker("cho hỏi cách nuôi cá cảnh ở ban công", "nlu_fallback"))
    admin = auth_headers(client, Role.admin)
    rows = client.get("/api/v1/admin/unanswered", headers=admin).json()
    row = next(r for r in rows if "cá cảnh" in r["text"])
    assert client.post(f"/api/v1/admin/unanswered/{row['id']}/resolve", headers=admin).json()["resolved"] is True
    assert all(r["id"] != row["id"] for r in client.get("/api/v1/admin/unanswered", headers=admin).json())
    assert client.get("/api/v1/admin/unanswered", headers=auth_headers(client, Role.officer)).status_code == 403


def test_a_question_worded_like_an_faq_gets_the_faqs_own_answer(app_client: AppClient) -> None:
    messages, events = run(ActionAnswer(app_client), tracker("Làm hộ chiếu năm 2026 hết bao nhiêu tiền?", "ask_fee"))
    assert slots(events)["procedure_id"] == "cap-ho-chieu-pho-thong"
    assert "Nguồn: " in messages[0]["text"]


def test_an_faq_ranked_first_for_a_different_question_does_not_answer_it(app_client: AppClient) -> None:
    messages, _ = run(ActionAnswer(app_client), tracker("Mất thẻ bảo hiểm y tế thì làm lại ở đâu?", "ask_agency"))
    assert "sai năm sinh" not in messages[0]["text"].lower()


def conversation_of(user: str) -> Conversation:
    with session_scope() as db:
        found = db.scalar(select(Conversation).where(Conversation.user_id == user))
    assert found is not None
    return found


def test_request_human_opens_one_handoff_with_the_context(app_client: AppClient) -> None:
    user = f"u-{uuid.uuid4().hex[:6]}"
    ask = tracker("gặp cán bộ", "request_human", sender=f"web:{user}", slots={"procedure_id": "dang-ky-khai-sinh"})
    messages, _ = run(ActionHandoff(app_client), ask)
    assert "chuyển cuộc trò chuyện tới cán bộ" in messages[0]["text"] and "vị trí thứ" in messages[0]["text"]
    conversation = conversation_of(user)
    assert conversation.channel == "web" and conversation.mode == ConversationMode.waiting
    run(ActionHandoff(app_client), ask)
    with session_scope() as db:
        handoffs = list(db.scalars(select(Handoff).where(Handoff.conversation_id == conversation.id)))
    assert len(handoffs) == 1 and handoffs[0].retrieved == [{"procedure_id": "dang-ky-khai-sinh"}]


def test_complaint_becomes_a_ticket(app_client: AppClient) -> None:
    user = f"u-{uuid.uuid4().hex[:6]}"
    messages, _ = run(ActionComplaint(app_client), tracker("tôi muốn phản ánh hồ sơ trễ hẹn 2 tuần", "complaint",
                                                           sender=f"api:{user}"))
    assert "đã được ghi nhận" in messages[0]["text"]
    with session_scope() as db:
        handoff = db.scalar(select(Handoff).join(Conversation).where(Conversation.user_id == user))
    assert handoff is not None and handoff.status == HandoffStatus.ticket and "trễ hẹn" in (handoff.note or "")


def test_rating_is_recorded_or_asked_for(app_client: AppClient) -> None:
    user = f"u-{uuid.uuid4().hex[:6]}"
    run(ActionHandoff(app_client), tracker("gặp cán bộ", "request_human", sender=f"api:{user}"))
    messages, _ = run(ActionRate(app_client), tracker("5 sao", "rate", sender=f"api:{user}",
                                                      entities=[{"entity": "rating", "value": "5"}]))
    assert "5/5" in messages[0]["text"]
    with session_scope() as db:
        assert db.scalar(select(Handoff.rating).join(Conversation).where(Conversation.user_id == user)) == 5
    messages, _ = run(ActionRate(app_client), tracker("ừ", "rate", sender=f"api:{user}"))
    assert "từ 1 đến 5 sao" in messages[0]["text"] and len(messages[0]["buttons"]) == 5


def test_greeting_names_the_assistant(app_client: AppClient) -> None:
    messages, _ = run(ActionGreet(app_client), tracker("xin chào", "greet"))
    assert messages[0]["text"].startswith("Xin chào! Tôi là")


def test_when_the_app_does_not_answer_the_citizen_gets_the_apology_with_the_officer_button() -> None:
    down = AppClient("http://127.0.0.1:1", timeout=0.5, token="x")
    messages, events = run(ActionAnswer(down), tracker("làm hộ chiếu", "ask_procedure"))
    assert messages == [{"text": APP_DOWN, "buttons": [{"title": "Gặp cán bộ", "payload": "/request_human"}],
                         **{k: v for k, v in messages[0].items() if k not in ("text", "buttons")}}]
    assert events == []
    messages, _ = run(ActionGreet(down), tracker("xin chào", "greet"))
    assert messages[0]["response"] == "utter_greet"


def test_an_answer_that_is_not_a_json_object_gets_the_apology() -> None:
    odd = AppClient("http://app", token="x", transport=httpx.MockTransport(lambda _: httpx.Response(200, json=[])))
    messages, events = run(ActionAnswer(odd), tracker("làm hộ chiếu", "ask_procedure"))
    assert messages[0]["text"] == APP_DOWN and events == []
