"""action_answer against the real app: answers, carry-over, clarification, honest 'not found'."""

from __future__ import annotations

from sqlalchemy import select

from actions.answering import ActionAnswer, ordinal_choice
from api.db.base import session_scope
from api.db.models import UnansweredQuestion
from tests.actions.conftest import run, slots, tracker


def test_answers_a_procedure_question_and_sets_context(app_client) -> None:
    messages, events = run(ActionAnswer(app_client), tracker("làm hộ chiếu cần giấy tờ gì", "ask_documents"))
    assert slots(events)["procedure_id"] == "cap-ho-chieu-pho-thong"
    assert slots(events)["aspect"] == "documents"
    text = messages[0]["text"]
    assert text.startswith("Hồ sơ cấp hộ chiếu") or "Hồ sơ" in text.split("\n")[0]
    assert "Nguồn: " in text and ("đọc ngày" in text or "kiểm tra ngày" in text) and "https://" in text
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert '/ask_fee{"procedure_id": "cap-ho-chieu-pho-thong"}' in payloads


def test_follow_up_keeps_the_current_procedure(app_client) -> None:
    messages, events = run(ActionAnswer(app_client),
                           tracker("thế mất bao lâu?", "ask_time", slots={"procedure_id": "cap-ho-chieu-pho-thong"}))
    assert slots(events)["procedure_id"] == "cap-ho-chieu-pho-thong"
    assert "Thời gian giải quyết" in messages[0]["text"]


def test_a_new_procedure_replaces_the_context(app_client) -> None:
    _, events = run(ActionAnswer(app_client), tracker("còn đăng ký kết hôn thì nộp ở đâu", "ask_agency",
                                                      slots={"procedure_id": "cap-ho-chieu-pho-thong"},
                                                      entities=[{"entity": "procedure", "value": "kết hôn"}]))
    assert slots(events)["procedure_id"] == "dang-ky-ket-hon"


def test_button_payload_chooses_the_procedure(app_client) -> None:
    messages, events = run(ActionAnswer(app_client), tracker(
        '/choose_option{"procedure_id": "cap-doi-the-can-cuoc"}', "choose_option",
        slots={"pending_choices": ["cap-the-can-cuoc", "cap-doi-the-can-cuoc"], "aspect": "fee"},
        entities=[{"entity": "procedure_id", "value": "cap-doi-the-can-cuoc"}]))
    assert slots(events) == {"procedure_id": "cap-doi-the-can-cuoc", "aspect": "fee", "pending_choices": None}
    assert messages[0]["text"].startswith("Lệ phí")


def test_words_choose_among_pending_candidates(app_client) -> None:
    pending = ["cap-the-can-cuoc", "cap-doi-the-can-cuoc", "cap-lai-the-can-cuoc"]
    _, events = run(ActionAnswer(app_client), tracker("cái thứ hai", "choose_option",
                                                      slots={"pending_choices": pending}))
    assert slots(events)["procedure_id"] == "cap-doi-the-can-cuoc"
    _, events = run(ActionAnswer(app_client), tracker("mất thẻ cần làm lại", "choose_option",
                                                      slots={"pending_choices": pending}))
    assert slots(events)["procedure_id"] == "cap-lai-the-can-cuoc"


def test_out_of_scope_is_admitted_and_recorded(app_client) -> None:
    question = "giá vàng hôm nay bao nhiêu, số tôi 0912345678"
    messages, _ = run(ActionAnswer(app_client), tracker(question, "nlu_fallback"))
    assert "chưa tìm thấy" in messages[0]["text"]
    assert messages[0]["buttons"] == [{"title": "Gặp cán bộ", "payload": "/request_human"}]
    with session_scope() as db:
        stored = db.scalars(select(UnansweredQuestion).order_by(UnansweredQuestion.id.desc())).first()
    assert stored is not None and "giá vàng" in stored.text
    assert "0912345678" not in stored.text  # masked


def test_ordinals() -> None:
    assert ordinal_choice("cái đầu tiên", 3) == 0
    assert ordinal_choice("so 2", 3) == 1
    assert ordinal_choice("cái cuối", 3) == -1
    assert ordinal_choice("thứ ba", 2) is None
    assert ordinal_choice("mất thẻ", 3) is None


def test_admin_sees_and_resolves_unanswered_questions(app_client, client) -> None:
    from api.db.models import Role
    from tests.utils.staff import auth_headers

    run(ActionAnswer(app_client), tracker("cho hỏi cách nuôi cá cảnh ở ban công", "nlu_fallback"))
    admin = auth_headers(client, Role.admin)
    rows = client.get("/api/v1/admin/unanswered", headers=admin).json()
    row = next(r for r in rows if "cá cảnh" in r["text"])
    assert client.post(f"/api/v1/admin/unanswered/{row['id']}/resolve", headers=admin).json()["resolved"] is True
    assert all(r["id"] != row["id"] for r in client.get("/api/v1/admin/unanswered", headers=admin).json())
    assert client.get("/api/v1/admin/unanswered", headers=auth_headers(client, Role.officer)).status_code == 403


def test_a_question_worded_like_an_faq_gets_the_faqs_own_answer(app_client) -> None:
    messages, events = run(ActionAnswer(app_client), tracker("Làm hộ chiếu năm 2026 hết bao nhiêu tiền?", "ask_fee"))
    assert slots(events)["procedure_id"] == "cap-ho-chieu-pho-thong"
    text = messages[0]["text"]
    assert "Đến hết 31/12/2026, lệ phí cấp mới hộ chiếu là 100.000 đồng" in text
    assert "Nguồn: " in text and "https://" in text  # still names the source and the date read


def test_an_faq_ranked_first_for_a_different_question_does_not_answer_it(app_client) -> None:
    messages, _ = run(ActionAnswer(app_client), tracker("Mất thẻ bảo hiểm y tế thì làm lại ở đâu?", "ask_agency"))
    assert "sai năm sinh" not in messages[0]["text"].lower()
