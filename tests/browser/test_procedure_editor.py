"""The structured procedure editor in Debian's Chromium: an admin adds a fee row (typed controls, a date picker),
moves it up, sees a validation error beside its field, fixes it, publishes — and the bot answers with the new fee.

The app runs alone here (uvicorn in a thread, the module's database): the bot's answer is the app's answering
service as the action server calls it on every turn (POST /api/v1/bot/turn, `action_answer` asking the fee of the
procedure), without Rasa's NLU, so that this test takes seconds. The full stack's admin tests
(test_console_admin.py) check that a published change reaches Rasa's answers.

Screenshots go to test-artifacts/; with UPDATE_DOCS_SCREENSHOTS=1 they also replace docs/console/admin-12-*.png.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.utils.browser import ROOT, artifact_path

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "Quan-tri-2026!"
PROCEDURE = "cap-ho-chieu-pho-thong"
DOCS = ROOT / "docs" / "console"


def shot(page: Any, name: str) -> None:
    path = artifact_path(f"admin-{name}.png")
    page.screenshot(path=str(path))
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / f"admin-{name}.png")


@pytest.fixture(scope="module")
def app_url(migrated: None) -> Iterator[str]:
    """The app alone on a free port of 127.0.0.1, reached as http://localhost (Chromium keeps Secure cookies)."""
    import uvicorn

    from api.main import create_app
    from api.runtime.local_stack import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="editor-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.1)
    yield f"http://localhost:{port}"
    server.should_exit = True
    thread.join(30)


@pytest.fixture()
def admin_page(browser: Any, app_url: str) -> Iterator[Any]:
    from playwright.sync_api import expect

    from api.db.base import session_scope
    from api.db.models import Role
    from api.services import staff

    username = f"hoa.{uuid.uuid4().hex[:6]}"
    with session_scope() as db:
        staff.create_user(db, username=username, full_name="Nguyễn Thị Hoa", role=Role.admin, password=PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{app_url}/console/admin/procedures")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{app_url}/console/admin/procedures")
    yield page
    assert errors == []
    context.close()


def bot_fee_answer(app_url: str) -> str:
    """What the bot says when a citizen asks this procedure's fee (the app's side of the bot's turn)."""
    from api.core.config import get_settings

    token = get_settings().bot_api_token
    response = httpx.post(f"{app_url.replace('localhost', '127.0.0.1')}/api/v1/bot/turn", timeout=30,
                          headers={"Authorization": f"Bearer {token}"},
                          json={"sender": f"web:kiem-thu-{uuid.uuid4().hex[:8]}", "action": "action_answer",
                                "intent": "ask_fee", "text": "/ask_fee", "slots": {},
                                "entities": [{"entity": "procedure_id", "value": PROCEDURE}]})
    assert response.status_code == 200, response.text
    return "\n".join(m.get("text") or "" for m in response.json()["messages"])


def test_admin_adds_a_fee_row_sees_an_error_beside_it_and_the_bot_answers_with_the_new_fee(
        admin_page: Any, app_url: str) -> None:
    from playwright.sync_api import expect

    from api.db.base import session_scope
    from api.services import kb_store

    page = admin_page
    assert "123.456 đồng" not in bot_fee_answer(app_url)
    page.goto(f"{app_url}/console/admin/procedures/{PROCEDURE}")
    assert page.locator("textarea.code").count() == 0
    fees = page.locator("#f-fees")
    before = fees.locator("li[data-row]").count()
    checked_on = page.locator("#f-checked_on").input_value()

    fees.get_by_role("button", name="Thêm mức phí").click()
    row = fees.locator("li[data-row]").last
    expect(row.locator(".row-number")).to_have_text(str(before + 1))
    expect(row.locator("input").first).to_be_focused()
    row.get_by_label("Tên khoản thu").fill("Phí thử nghiệm trả hộ chiếu tận nhà")
    row.get_by_label("Số tiền (đồng; 0 là miễn phí)").fill("123456")
    row.get_by_label("Hình thức nộp").select_option("online")
    row.get_by_label("Áp dụng từ ngày").fill("2027-03-01")
    row.get_by_label("Áp dụng đến hết ngày").fill("2026-01-01")  # before it starts: refused
    row.get_by_role("button", name="Chuyển mức phí này lên trên").click()  # now second to last
    expect(fees.locator("li[data-row]").nth(before - 1).get_by_label("Tên khoản thu")).to_have_value(
        "Phí thử nghiệm trả hộ chiếu tận nhà")
    page.get_by_role("button", name="Lưu và xuất bản").click()

    moved = before - 1
    expect(page.locator(".error-summary")).to_contain_text("Chưa lưu được")
    error = page.locator(f"#err-fees-{moved}-valid_until")
    expect(error).to_contain_text("Ngày bắt đầu áp dụng đang sau ngày hết áp dụng.")
    expect(page.locator(f"#f-fees-{moved}-valid_until")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#f-fees-{moved}-amount")).to_have_value("123456")  # kept as typed
    error.scroll_into_view_if_needed()
    shot(page, "12-loi-canh-o-nhap")

    row = page.locator(f"#f-fees-{moved}")
    row.get_by_label("Áp dụng từ ngày").fill("")
    row.get_by_label("Áp dụng đến hết ngày").fill("")
    row.locator("details.provenance summary").click()
    row.get_by_label("Nguồn (trang của thủ tục hoặc mã thủ tục)").fill("1.001456")
    row.get_by_label("Ngày đọc").fill(checked_on)
    row.get_by_label("Vị trí trong trang (trích dẫn)").fill("Lệ phí — trực tuyến (kiểm thử)")
    row.get_by_label("Số tiền như trang ghi (đồng)").fill("123456")
    row.scroll_into_view_if_needed()
    shot(page, "13-them-muc-phi")
    page.get_by_role("button", name="Lưu và xuất bản").click()
    expect(page.get_by_role("status").filter(has_text="Đã xuất bản")).to_be_visible()

    with session_scope() as db:
        published = kb_store.get_row(db, "procedure", PROCEDURE).published
    assert published is not None
    assert [f["name"] for f in published["fees"]].index("Phí thử nghiệm trả hộ chiếu tận nhà") == moved
    answer = bot_fee_answer(app_url)
    assert "Phí thử nghiệm trả hộ chiếu tận nhà (nộp trực tuyến): 123.456 đồng" in answer, answer
    checklist = httpx.get(f"{app_url}/phieu/{PROCEDURE}", timeout=30).text
    assert "123.456 đồng" in checklist
