"""The office's own facts: an admin saves them in the console (audited, compare-and-set), the bot answers from them
on the next message, and asking them never opens a complaint."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.db.base import session_scope
from api.db.models import AuditEvent, Handoff, Role
from tests.api.console.test_admin_pages import console_login, make_user, post
from tests.utils.bot import bot_turn

PAGE = "/console/admin/office"


def sender() -> str:
    return f"web:{uuid.uuid4().hex[:10]}"


def test_unsaved_facts_give_the_schedules_hours_and_offer_an_officer_for_the_rest(client: TestClient) -> None:
    turn = bot_turn(client, sender(), "action_answer", "giờ làm việc và số điện thoại của ủy ban xã",
                    intent="office_info")
    text = turn["messages"][0]["text"]
    assert client.app.state.settings.office_hours in text
    assert "số điện thoại chưa được cập nhật" in text
    assert turn["messages"][0]["buttons"] == [{"title": "Gặp cán bộ", "payload": "/request_human"}]
    assert turn["outcome"]["decision"] == "office"


def test_a_save_is_audited_and_answered_on_the_next_message(client: TestClient) -> None:
    csrf = console_login(client, make_user(Role.admin))
    page = client.get(PAGE)
    assert page.status_code == 200 and "Thông tin cơ quan" in page.text
    saved = post(client, PAGE, csrf, version="0", address="Số 1 đường Trần Phú, xã Tân Lập",
                 hours="Sáng 7:00–11:30, chiều 13:30–17:00 từ thứ Hai đến thứ Sáu", phone="0215 3825 111",
                 booking="Đặt lịch trên Cổng dịch vụ công hoặc lấy số tại quầy.")
    assert saved.status_code == 303  # type: ignore[attr-defined]
    with session_scope() as db:
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "office.update")
                          .order_by(AuditEvent.id.desc()))
        assert event is not None and event.detail is not None
        assert event.detail["changed"]["phone"] == {"from": "", "to": "0215 3825 111"}

    hours = bot_turn(client, sender(), "action_answer", "bo phan mot cua lam viec gio nao", intent="nlu_fallback")
    assert "Sáng 7:00–11:30" in hours["messages"][0]["text"] and not hours["messages"][0]["buttons"]
    phone = bot_turn(client, sender(), "action_answer", "số điện thoại của bộ phận một cửa", intent="office_info")
    assert "0215 3825 111" in phone["messages"][0]["text"]

    # a second admin editing from the old version is refused, nothing is overwritten
    stale = post(client, PAGE, csrf, version="0", address="x", hours="", phone="", booking="")
    assert stale.status_code == 409  # type: ignore[attr-defined]
    booking = bot_turn(client, sender(), "action_answer", "muốn đặt lịch hẹn trước thì làm sao", intent="ask_steps")
    assert "lấy số tại quầy" in booking["messages"][0]["text"]


def test_asking_the_hours_never_opens_a_complaint(client: TestClient) -> None:
    citizen = sender()
    turn = bot_turn(client, citizen, "action_complaint", "bộ phận một cửa làm việc giờ nào", intent="complaint")
    assert turn["outcome"]["decision"] == "office"
    with session_scope() as db:
        assert db.scalar(select(Handoff).where(Handoff.note == "bộ phận một cửa làm việc giờ nào")) is None
    complaint = bot_turn(client, sender(), "action_complaint", "phản ánh cán bộ một cửa hẹn đi hẹn lại",
                         intent="complaint")
    assert complaint["outcome"]["decision"] == "complaint"


def test_an_officer_cannot_edit_the_facts(client: TestClient) -> None:
    csrf = console_login(client, make_user(Role.officer))
    assert client.get(PAGE).status_code == 403
    refused = post(client, PAGE, csrf, version="0", address="x", hours="", phone="", booking="")
    assert refused.status_code == 403  # type: ignore[attr-defined]


def test_a_too_long_field_is_refused_in_vietnamese_and_kept_in_the_form(client: TestClient) -> None:
    csrf = console_login(client, make_user(Role.admin))
    version = client.get(PAGE).text.split('name="version" value="')[1].split('"')[0]
    response = post(client, PAGE, csrf, version=version, address="", hours="", phone="0" * 201, booking="")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "tối đa 200 ký tự" in response.text  # type: ignore[attr-defined]
