"""Reading a /api/v1/chat response and judging it against the expected procedure."""

from __future__ import annotations

import pytest

from api.cli.chat_eval.classify import Reading, honest_out_of_scope, judge, links_official_page, read_response
from api.cli.chat_eval.examples import ChatExample


def reply(text: str, *payloads: str) -> dict:
    return {"text": text, "buttons": [{"title": p[:10], "payload": p} for p in payloads]}


def body(*replies: dict) -> dict:
    return {"replies": list(replies), "mode": "bot", "last_message_id": 1}


ANSWER = body(reply("Cấp lại thẻ căn cước\n• Nơi nộp: …", '/ask_fee{"procedure_id": "cap-lai-the-can-cuoc"}',
                    '/ask_time{"procedure_id": "cap-lai-the-can-cuoc"}', "/request_human"))
CLARIFY = body(reply("Bạn muốn hỏi về thủ tục nào dưới đây ạ?", '/choose_option{"procedure_id": "dang-ky-tam-tru"}',
                     '/choose_option{"procedure_id": "gia-han-tam-tru"}', "/request_human"))
NOTHING = body(reply("Xin lỗi, tôi chưa tìm thấy thông tin phù hợp…", "/request_human"))
HONEST = body(reply("Tôi chưa có hướng dẫn chi tiết về ly hôn. Việc này do Tòa án nhân dân khu vực nơi bạn ở "
                    "giải quyết; xem https://toaan.gov.vn/ .", "/request_human"))


def test_one_procedure_in_the_buttons_is_an_answer() -> None:
    reading = read_response(ANSWER)
    assert (reading.kind, reading.procedure_ids) == ("answered", ("cap-lai-the-can-cuoc",))
    assert reading.text.startswith("Cấp lại thẻ căn cước")


def test_several_procedures_or_choose_option_is_a_clarification() -> None:
    assert read_response(CLARIFY).kind == "clarify"
    assert read_response(CLARIFY).procedure_ids == ("dang-ky-tam-tru", "gia-han-tam-tru")
    one_choice = body(reply("Bạn muốn hỏi về thủ tục nào?", '/choose_option{"procedure_id": "tach-ho"}'))
    assert read_response(one_choice).kind == "clarify"
    two_answers = body(reply("a", '/ask_fee{"procedure_id": "tach-ho"}'), reply("b", '/ask_fee{"procedure_id": "x"}'))
    assert read_response(two_answers).kind == "clarify"


@pytest.mark.parametrize("response", [
    NOTHING,
    body(),
    body(reply("Xin chào! Tôi có thể giúp gì?")),
    body(reply("Đang chuyển tới cán bộ", "/request_human", "/rate{\"rating\": \"5\"}")),
    body(reply("hỏng", "/ask_fee{not json", '/ask_fee{"procedure_id": ""}', '/ask_fee["procedure_id"]')),
])
def test_anything_else_is_none(response: dict) -> None:
    assert read_response(response) == Reading("none", (), read_response(response).text)


@pytest.mark.parametrize(("response", "expected", "outcome"), [
    (ANSWER, "cap-lai-the-can-cuoc", "right"),
    (ANSWER, "cap-doi-the-can-cuoc", "wrong"),
    (CLARIFY, "gia-han-tam-tru", "clarify_right"),
    (CLARIFY, "tach-ho", "clarify_other"),
    (NOTHING, "tach-ho", "none"),
    (ANSWER, None, "oos_answered"),
    (CLARIFY, None, "oos_clarify"),
    (NOTHING, None, "oos_vague"),
    (HONEST, None, "oos_honest"),
])
def test_judge(response: dict, expected: str | None, outcome: str) -> None:
    example = ChatExample("q", expected, handler_keywords=("tòa án",) if expected is None else ())
    assert judge(example, read_response(response)) == outcome


def test_honest_needs_no_guide_the_body_and_an_official_link() -> None:
    court = ("toa an",)
    assert honest_out_of_scope(read_response(HONEST), court)
    assert honest_out_of_scope(read_response(HONEST), ())  # body unknown: not required
    no_link = body(reply("Tôi chưa có hướng dẫn chi tiết. Việc này do Tòa án giải quyết."))
    other_body = body(reply("Chưa có hướng dẫn chi tiết; hỏi Sở Tư pháp: https://sotuphap.hanoi.gov.vn"))
    no_statement = body(reply("Ly hôn do Tòa án giải quyết: https://toaan.gov.vn"))
    for response in (no_link, other_body, no_statement):
        assert not honest_out_of_scope(read_response(response), court)
    assert not honest_out_of_scope(read_response(NOTHING), ())  # today's reply: no link


def test_official_links() -> None:
    assert links_official_page("xem https://dichvucong.gov.vn/p/home")
    assert links_official_page("xem http://CHINHPHU.VN. và thêm")
    assert not links_official_page("xem https://luatsu-gov.vn.example.com/ hoặc https://notgov.vn")
    assert links_official_page("vào dichvucong.gov.vn để nộp")
    assert not links_official_page("không có địa chỉ nào, chỉ Tòa án và gov.vn.")
