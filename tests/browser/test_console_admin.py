"""The admin pages in Debian's Chromium against the real stack (rasa, actions, app): an admin edits a procedure,
previews and publishes it, and the bot answers with the change within seconds (then rolls it back); edits an FAQ's
answer and publishes it; turns a question the bot could not answer into an FAQ, after which the bot answers it;
sees a version conflict and an input error explained; manages staff users and reads the audit log.

Screenshots go to test-artifacts/; with UPDATE_DOCS_SCREENSHOTS=1 they also replace docs/console/admin-*.png (the
"Quản trị" part of docs/console.md).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from knowledge_base.answers import NONE_TEXT
from tests.utils.browser import ROOT, artifact_path

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "Quan-tri-2026!"
BOT_DEADLINE = 20.0  # s: a publish reaches the bot within seconds (the index is rebuilt in the background)
DOCS = ROOT / "docs" / "console"
VIEWPORT = {"width": 1280, "height": 800}
PASSPORT = "cap-ho-chieu-pho-thong"
BIRTH_FEE_FAQ = "dang-ky-khai-sinh-le-phi"  # "Làm giấy khai sinh cho con mất bao nhiêu tiền, bao lâu thì có?"
UNANSWERED = "đi xuất khẩu lao động cần giấy tờ gì"  # not in the seed knowledge base


def shot(page: Any, name: str) -> None:
    """A screenshot in test-artifacts/ (and in docs/console/ when asked to update the documentation's pictures)."""
    path = artifact_path(f"admin-{name}.png")
    page.screenshot(path=str(path))
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / f"admin-{name}.png")


def bot_says(stack: Any, question: str) -> str:
    """The bot's reply to a question asked in a new conversation (no context carried over)."""
    body = stack.chat(f"kiem-thu-{uuid.uuid4().hex[:10]}", question)
    return "\n".join(reply.get("text") or "" for reply in body["replies"])


def wait_for_bot(stack: Any, question: str, wanted: Callable[[str], bool]) -> tuple[bool, str]:
    """Ask until the reply is as wanted or the deadline passes: (satisfied, last reply)."""
    deadline = time.monotonic() + BOT_DEADLINE
    while True:
        reply = bot_says(stack, question)
        if wanted(reply) or time.monotonic() > deadline:
            return wanted(reply), reply
        time.sleep(0.5)


@pytest.fixture(scope="module")
def admin_account(stack: Any) -> str:
    username = f"hoa.{uuid.uuid4().hex[:6]}"
    stack.create_staff(username, PASSWORD, "admin", "Nguyễn Thị Hoa")
    return username


@pytest.fixture()
def admin_page(browser: Any, stack: Any, admin_account: str) -> Iterator[Any]:
    """A logged-in admin (Nguyễn Thị Hoa) at http://localhost:…, where Chromium keeps the Secure cookie."""
    from playwright.sync_api import expect

    username = admin_account
    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())  # "Khoá tài khoản …?"
    page.base = stack.app_url.replace("127.0.0.1", "localhost")  # type: ignore[attr-defined]
    page.goto(f"{page.base}/console/admin/procedures")  # type: ignore[attr-defined]
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{page.base}/console/admin/procedures")  # type: ignore[attr-defined]
    yield page
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


def test_admin_edits_a_procedure_and_the_bot_answers_with_the_change(admin_page: Any, stack: Any) -> None:
    from playwright.sync_api import expect

    page, base = admin_page, admin_page.base
    question = "thời gian giải quyết hộ chiếu là bao lâu"  # not worded like an FAQ: answered from the record
    before = bot_says(stack, question)
    assert "Thời gian giải quyết" in before, before

    page.get_by_label("Tìm theo mã, tên, tên gọi khác").fill("ho chieu")
    row = page.locator("table.records tbody tr").filter(has_text=PASSPORT)
    expect(row).to_be_visible()
    expect(page.locator("table.records tbody tr")).to_have_count(1)  # filtered live, without diacritics
    page.get_by_label("Tìm theo mã, tên, tên gọi khác").fill("")
    expect(page.locator("table.records tbody tr")).not_to_have_count(1)
    shot(page, "01-danh-sach-thu-tuc")

    page.goto(f"{base}/console/admin/procedures?q=ho+chieu")
    page.locator("table.records tbody tr").filter(has_text=PASSPORT).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cấp hộ chiếu phổ thông ở trong nước")
    marker = f"(Kiểm thử {uuid.uuid4().hex[:6]}: trả kết quả qua bưu điện nếu bạn đăng ký.)"
    time_box = page.locator("#f-processing_time")
    time_box.fill(f"{time_box.input_value()} {marker}")
    page.get_by_label("Khi người dân hỏi về").select_option("time")
    page.get_by_role("button", name="Xem trước").click()
    expect(page.locator("#preview-out")).to_contain_text(marker)  # composed from the form, nothing saved yet
    shot(page, "02-sua-thu-tuc")

    page.get_by_role("button", name="Lưu và xuất bản").click()
    expect(page.get_by_role("status").filter(has_text="Đã xuất bản")).to_be_visible()
    ok, reply = wait_for_bot(stack, question, lambda text: marker in text)
    assert ok, f"the bot did not use the published change within {BOT_DEADLINE:.0f} s:\n{reply}"

    page.get_by_role("link", name="Lịch sử thay đổi").click()
    first = page.locator("li.revision").first
    expect(first).to_contain_text("Xuất bản")
    expect(first.locator("ins").or_(first.locator("pre.diff .add"))).to_contain_text("Kiểm thử")
    shot(page, "03-lich-su")

    page.locator("li.revision").last.get_by_role("link", name="Khôi phục nội dung này…").click()
    expect(page.get_by_role("heading", name="Những gì sẽ thay đổi so với bản bot đang dùng")).to_be_visible()
    expect(page.locator("dl.changes del")).to_contain_text("Kiểm thử")
    shot(page, "04-khoi-phuc")
    page.get_by_role("button", name="Khôi phục và xuất bản").click()
    expect(page.get_by_role("status").filter(has_text="Đã khôi phục")).to_be_visible()
    ok, reply = wait_for_bot(stack, question, lambda text: marker not in text and "Thời gian giải quyết" in text)
    assert ok, f"the bot still answers with the rolled-back text:\n{reply}"


def test_admin_edits_an_faq_answer_and_publishes_it(admin_page: Any, stack: Any) -> None:
    from playwright.sync_api import expect

    page, base = admin_page, admin_page.base
    page.goto(f"{base}/console/admin/faqs")
    page.get_by_label("Tìm theo mã, câu hỏi, cách hỏi khác").fill("khai sinh mat bao nhieu tien")
    page.locator("table.records tbody tr").filter(has_text=BIRTH_FEE_FAQ).get_by_role("link").first.click()
    question = page.locator("#f-question").input_value()
    assert question == "Làm giấy khai sinh cho con mất bao nhiêu tiền, bao lâu thì có?"
    marker = f"Mang theo giấy chứng sinh bản chính (kiểm thử {uuid.uuid4().hex[:6]})."
    answer = page.get_by_label("Câu trả lời")
    answer.fill(f"{answer.input_value()} {marker}")
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.get_by_role("status").filter(has_text="Đã lưu bản nháp")).to_be_visible()
    expect(page.locator(".panel .status")).to_have_text("Có bản nháp mới")
    shot(page, "05-sua-hoi-dap")
    page.get_by_role("button", name="Lưu và xuất bản").click()
    expect(page.get_by_role("status").filter(has_text="Đã xuất bản")).to_be_visible()
    faqs = httpx.get(f"{stack.app_url}/api/v1/procedures/dang-ky-khai-sinh", timeout=30).json()["faqs"]
    assert marker in next(f["answer"] for f in faqs if f["id"] == BIRTH_FEE_FAQ)

    ok, reply = wait_for_bot(stack, question, lambda text: marker in text)
    assert ok, f"the bot does not answer the FAQ's question with its new answer:\n{reply}"


def test_an_unanswered_question_becomes_an_faq_the_bot_then_answers(admin_page: Any, stack: Any) -> None:
    from playwright.sync_api import expect

    page, base = admin_page, admin_page.base
    first = bot_says(stack, UNANSWERED)
    assert NONE_TEXT in first, f"the seed now answers this question; pick another for this test:\n{first}"

    page.goto(f"{base}/console/admin/unanswered")
    row = page.locator("table.unanswered tbody tr").filter(has_text=UNANSWERED)
    expect(row).to_be_visible()
    shot(page, "06-cau-hoi-chua-tra-loi")
    row.get_by_role("link", name="Tạo câu hỏi thường gặp từ câu này").click()
    expect(page.locator("#f-question")).to_have_value(UNANSWERED)
    expect(page.locator("#f-paraphrases-0-text")).to_have_value(UNANSWERED)
    expect(page.locator("#f-id")).to_have_value("di-xuat-khau-lao-dong-can-giay-to-gi")
    page.locator("#f-question").fill("Đi xuất khẩu lao động cần chuẩn bị những giấy tờ gì?")
    page.get_by_label("Câu trả lời").fill(
        "Thường cần hộ chiếu còn hạn và Phiếu lý lịch tư pháp (số 1 hoặc số 2 tùy nước đến); "
        "công ty tuyển dụng sẽ hướng dẫn thêm giấy khám sức khỏe.")
    page.get_by_label("Thủ tục liên quan").select_option("cap-phieu-ly-lich-tu-phap")
    shot(page, "07-tao-hoi-dap")
    page.get_by_role("button", name="Lưu và xuất bản").click()
    expect(page.get_by_role("status").filter(has_text="Đã xuất bản")).to_be_visible()

    page.goto(f"{base}/console/admin/unanswered")
    expect(page.locator("table.unanswered tbody tr").filter(has_text=UNANSWERED)).to_have_count(0)
    page.get_by_role("link", name="Đã tạo câu hỏi thường gặp").click()
    expect(page.locator("table.unanswered tbody tr").filter(has_text=UNANSWERED).first).to_contain_text(
        "di-xuat-khau-lao-dong-can-giay-to-gi")

    ok, reply = wait_for_bot(stack, UNANSWERED, lambda text: NONE_TEXT not in text)
    assert ok, f"the bot did not use the new FAQ within {BOT_DEADLINE:.0f} s:\n{reply}"
    assert "lý lịch tư pháp" in reply.lower(), reply


def test_conflicts_and_errors_are_explained_next_to_the_form(admin_page: Any, stack: Any) -> None:
    from playwright.sync_api import expect

    page, base = admin_page, admin_page.base
    faq_id = "dang-ky-khai-sinh-truc-tuyen"
    page.goto(f"{base}/console/admin/faqs/{faq_id}")
    answer = page.get_by_label("Câu trả lời")
    mine = answer.input_value() + " Bản của tôi."
    answer.fill(mine)

    colleague = f"binh.{uuid.uuid4().hex[:6]}"  # saves the same FAQ meanwhile, through the REST API
    stack.create_staff(colleague, PASSWORD, "admin", "Lê Văn Bình")
    headers = {"Authorization": f"Bearer {stack.login(colleague, PASSWORD)}"}
    record = httpx.get(f"{stack.app_url}/api/v1/admin/faqs/{faq_id}", headers=headers, timeout=30).json()
    content = {**(record["draft"] or record["published"]), "answer": "Bản của đồng nghiệp."}
    saved = httpx.put(f"{stack.app_url}/api/v1/admin/faqs/{faq_id}", headers=headers, timeout=30,
                      json={"expected_version": record["version"], "record": content})
    assert saved.status_code == 200, saved.text

    page.get_by_role("button", name="Lưu nháp").click()
    conflict = page.locator(".alert.conflict")
    expect(conflict).to_contain_text("có người khác vừa sửa")
    expect(conflict).to_contain_text("Lê Văn Bình")
    expect(answer).to_have_value(mine)  # nothing typed is lost
    shot(page, "08-xung-dot")
    page.get_by_role("button", name="Lưu đè bằng nội dung của tôi (thành bản nháp)").click()
    expect(page.get_by_role("status").filter(has_text="Đã lưu bản nháp")).to_be_visible()

    page.goto(f"{base}/console/admin/procedures/dang-ky-khai-sinh")
    page.locator("#f-fees-0-amount").fill("-5")
    steps = page.locator("#f-steps li[data-row]")
    while steps.count():
        steps.first.get_by_role("button", name="Xoá").click()
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.locator(".error-summary")).to_contain_text("Chưa lưu được: còn 2 chỗ cần sửa")
    expect(page.locator("#err-fees-0-amount")).to_contain_text("Không được là số âm.")
    expect(page.locator("#err-steps")).to_contain_text("Cần ít nhất một mục")
    expect(page.locator("#f-fees-0-amount")).to_have_value("-5")
    page.locator("#f-fees-0-amount").scroll_into_view_if_needed()
    shot(page, "09-loi-nhap-lieu")


def test_admin_manages_users_and_reads_the_audit_log(admin_page: Any) -> None:
    from playwright.sync_api import expect

    page, base = admin_page, admin_page.base
    page.goto(f"{base}/console/admin/users")
    username = f"tuan.{uuid.uuid4().hex[:4]}"
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Họ và tên").fill("Đỗ Minh Tuấn")
    page.locator("#new-role").select_option("officer")
    page.get_by_label("Mật khẩu ban đầu").fill("ngan")
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.locator("#err-password")).to_have_text("Mật khẩu phải có ít nhất 10 ký tự.")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value(username)
    page.get_by_label("Mật khẩu ban đầu").fill("Mot-cua-2026!")
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.get_by_role("status").filter(has_text="Đã tạo tài khoản")).to_be_visible()
    row = page.locator(f"tr:has(code:text-is('{username}'))")
    row.get_by_role("button", name="Khoá").click()
    expect(page.get_by_role("status").filter(has_text="Đã khoá tài khoản")).to_be_visible()
    expect(page.locator(f"tr:has(code:text-is('{username}'))")).to_contain_text("Đã khoá")
    shot(page, "10-nguoi-dung")

    page.get_by_role("link", name="Nhật ký", exact=True).click()
    expect(page.locator("table.audit tbody tr").first).to_contain_text("Khoá tài khoản")
    page.get_by_label("Thao tác").select_option("staff.create")
    page.get_by_role("button", name="Lọc").click()
    expect(page.locator("table.audit tbody tr").first).to_contain_text(f"Tài khoản {username}")
    shot(page, "11-nhat-ky")
