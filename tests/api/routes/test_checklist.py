"""The printable checklist page (/phieu/<id>, A4 and ?w=80) and its link under the bot's answers: on the widget
and Telegram only when PUBLIC_BASE_URL is set, never on the REST channel."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.core.config import Settings
from api.db.models import Role
from api.main import create_app
from knowledge_base.answers import money
from tests.utils.bot import bot_turn
from tests.utils.staff import PASSWORD, make_staff

PUBLIC = "https://tro-ly.example.gov.vn"
BIRTH = "dang-ky-khai-sinh"


@pytest.fixture()
def public_client(migrated: None) -> Iterator[TestClient]:
    settings = Settings(public_base_url=f"{PUBLIC}/", office_address="Số 1 đường Thử, phường Thử")
    with TestClient(create_app(settings), base_url="https://testserver") as test_client:
        yield test_client


def answer_by_button(client: Any, sender: str, procedure_id: str = BIRTH) -> str:
    turn = bot_turn(client, sender, "action_answer", text="/ask_fee", intent="ask_fee",
                    entities=[{"entity": "procedure_id", "value": procedure_id}])
    return "\n".join(m["text"] or "" for m in turn["messages"])


def test_the_page_holds_papers_fee_place_qr_date_and_source(public_client: TestClient) -> None:
    response = public_client.get(f"/phieu/{BIRTH}")
    assert response.status_code == 200
    assert "script-src" not in response.headers["content-security-policy"]  # no script at all (default-src 'none')
    html = response.text
    settings = public_client.app.state.settings  # type: ignore[attr-defined]
    today = settings.today()
    assert "size: A4" in html and html.count('class="box"') >= 1
    assert "<svg" in html and "Mã QR tới trang chính thức" in html
    assert f"In ngày {today.strftime('%d/%m/%Y')}" in html
    assert "Số 1 đường Thử, phường Thử" in html and settings.office_hours in html
    assert "https://dichvucong.gov.vn/dich-vu-cong-truc-tuyen/1.001193" in html


def test_the_receipt_width_and_bad_requests(client: TestClient) -> None:
    narrow = client.get(f"/phieu/{BIRTH}?w=80")
    assert narrow.status_code == 200 and "size: 80mm 297mm" in narrow.text
    bad = client.get(f"/phieu/{BIRTH}?w=58")
    assert bad.status_code == 422 and "Khổ giấy chỉ có thể là A4" in bad.text
    missing = client.get("/phieu/khong-co-thu-tuc-nay")
    assert missing.status_code == 404 and "Không có thủ tục mã" in missing.text


def test_the_fee_on_the_page_is_the_one_in_force(client: TestClient) -> None:
    from knowledge_base.loader import load_dir

    procedure = next(p for p in load_dir() if p.id == "cap-ho-chieu-pho-thong")
    today = client.app.state.settings.today()  # type: ignore[attr-defined]
    html = client.get(f"/phieu/{procedure.id}").text
    for fee in procedure.fees_in_force(today):
        assert money(fee.amount) in html
    for fee in procedure.fees:
        if fee.valid_until and fee.valid_until < today and fee.amount not in {f.amount for f in
                                                                              procedure.fees_in_force(today)}:
            assert money(fee.amount) not in html


@pytest.mark.parametrize("channel", ["web", "telegram"])
def test_widget_and_telegram_answers_link_the_checklist_when_the_public_address_is_set(
        public_client: TestClient, channel: str) -> None:
    text = answer_by_button(public_client, f"{channel}:phieu-{channel}")
    assert f"In phiếu hướng dẫn (giấy tờ, lệ phí, mã QR): {PUBLIC}/phieu/{BIRTH}" in text


def test_the_rest_channel_gets_no_link(public_client: TestClient) -> None:
    assert "/phieu/" not in answer_by_button(public_client, "khach-rest-1")


@pytest.mark.parametrize("channel", ["web", "telegram"])
def test_without_the_public_address_no_channel_offers_a_link(client: TestClient, channel: str) -> None:
    assert client.app.state.settings.public_base_url == ""  # type: ignore[attr-defined]
    text = answer_by_button(client, f"{channel}:khong-link-{channel}")
    assert "Lệ phí" in text and not re.search(r"/phieu/|In phiếu", text)


def test_the_console_consult_links_the_checklist(client: TestClient) -> None:
    username = make_staff(Role.officer)
    response = client.post("/console/login", data={"username": username, "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    html = client.get(f"/console/kb/procedures/{BIRTH}").text
    assert f'href="/phieu/{BIRTH}"' in html and f'href="/phieu/{BIRTH}?w=80"' in html


def test_the_office_facts_saved_in_the_console_come_before_the_settings(public_client: TestClient) -> None:
    from api.db.base import session_scope
    from api.db.models import StaffUser
    from api.services import office_info

    admin_name = make_staff(Role.admin)
    with session_scope() as db:
        admin = db.query(StaffUser).filter_by(username=admin_name).one()
        office_info.save(db, admin, {"address": "Số 9 đường Mới, xã Mới", "hours": "Sáng thứ Bảy 7:30–11:30"},
                         office_info.current(db).version)
    page = public_client.get(f"/phieu/{BIRTH}").text
    assert "Số 9 đường Mới, xã Mới" in page and "Số 1 đường Thử" not in page
    assert "Sáng thứ Bảy 7:30–11:30" in page
