"""The officers' console in Debian's Chromium against the real stack (rasa, actions, app): a citizen asks for an
officer, the request appears in the queue live, the officer claims it, composes an answer from a quick reply and
the knowledge base, replies (the citizen receives it), sees the citizen's next message live, and resolves (the
citizen is asked for a rating); then the knowledge-base consult and the history.

Screenshots go to test-artifacts/; with UPDATE_DOCS_SCREENSHOTS=1 they also replace docs/console/*.png (the
walkthrough in docs/console.md).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from api.core.privacy import mask_identifier
from api.services.handoffs import RATING_REQUEST
from tests.utils.browser import ROOT, artifact_path

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "mat-khau-can-bo-2026!"
LIVE = 10_000  # ms: live updates arrive within a second or two; this only bounds a failure
DOCS = ROOT / "docs" / "console"
VIEWPORT = {"width": 1280, "height": 800}
GREETING = "Chào bạn, tôi là cán bộ bộ phận một cửa, tôi sẽ hỗ trợ bạn."


def shot(page: Any, name: str) -> None:
    """A screenshot in test-artifacts/ (and in docs/console/ when asked to update the walkthrough's pictures)."""
    path = artifact_path(f"console-{name}.png")
    page.screenshot(path=str(path))
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / f"{name}.png")


def citizen_messages(stack: Any, sender: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = stack.client.messages(sender)["messages"]  # with the conversation's key
    return messages


@pytest.fixture()
def officer_page(browser: Any, stack: Any) -> Iterator[Any]:
    """A logged-in officer (Nguyễn Thị Lan) at http://localhost:…, where Chromium keeps the Secure cookie."""
    from playwright.sync_api import expect

    username = f"lan.{uuid.uuid4().hex[:6]}"
    stack.create_staff(username, PASSWORD, "officer", "Nguyễn Thị Lan")
    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())  # "Kết thúc hỗ trợ?"
    page.base = stack.app_url.replace("127.0.0.1", "localhost")  # type: ignore[attr-defined]
    page.goto(f"{page.base}/console/queue")  # type: ignore[attr-defined]
    expect(page).to_have_url(f"{page.base}/console/login?next=%2Fconsole%2Fqueue")  # type: ignore[attr-defined]
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    shot(page, "01-dang-nhap")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{page.base}/console/queue")  # type: ignore[attr-defined]
    yield page
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


def test_officer_takes_over_a_conversation(officer_page: Any, stack: Any) -> None:
    from playwright.sync_api import expect

    page, base = officer_page, officer_page.base
    page.goto(f"{base}/console/quick-replies")
    page.get_by_label("Tên mẫu").fill("Chào hỏi")
    page.get_by_label("Nội dung").fill(GREETING)
    page.get_by_role("button", name="Thêm mẫu").click()
    expect(page.get_by_role("status").filter(has_text="Đã lưu câu trả lời mẫu")).to_be_visible()
    shot(page, "09-cau-tra-loi-mau")

    page.goto(f"{base}/console/queue")
    page.evaluate("window.stillHere = true")  # gone if the page reloads
    expect(page.locator("#live-status")).to_have_text("Đang cập nhật trực tiếp", timeout=LIVE)
    sender = f"dan-{uuid.uuid4().hex[:10]}"
    stack.chat(sender, "làm lại căn cước bị mất ở đâu")
    asked = stack.chat(sender, "cho tôi gặp cán bộ")
    assert asked["mode"] == "waiting", asked
    row = page.locator("#queue-rows tr").filter(has_text=mask_identifier(sender))
    expect(row).to_be_visible(timeout=LIVE)  # live: no reload
    expect(row).to_contain_text("cho tôi gặp cán bộ")
    expect(page.locator("#queue-count")).not_to_be_empty()
    assert page.evaluate("window.stillHere") is True
    shot(page, "02-hang-cho")

    row.get_by_role("link", name="Xem").click()
    transcript = page.locator("#messages")
    expect(transcript.locator(".msg.citizen").first).to_contain_text("làm lại căn cước bị mất ở đâu")
    expect(transcript.locator(".msg.bot").first).to_be_visible()
    expect(page.locator(".candidates li").first).to_be_visible()  # what the bot had found
    shot(page, "03-cuoc-tro-chuyen")

    page.get_by_role("button", name="Nhận cuộc trò chuyện").click()
    reply = page.get_by_role("textbox", name="Trả lời người dân")
    expect(reply).to_be_visible()
    expect(transcript.locator(".msg.system").last).to_contain_text("Cán bộ Nguyễn Thị Lan đã tham gia", timeout=LIVE)
    page.get_by_role("button", name="Chào hỏi").click()
    expect(reply).to_have_value(GREETING)
    expect(transcript.locator(".msg").last).to_be_in_viewport()  # the transcript stays scrolled to the bottom
    page.get_by_label("Nội dung cần tra cứu").fill("làm lại căn cước bị mất")
    page.get_by_role("button", name="Tra cứu").click()
    page.get_by_label("Nội dung", exact=True).select_option("agency")
    page.locator("#kb-results button.pick").first.click()
    preview = page.locator("#kb-preview-text")
    expect(preview).to_contain_text("Nơi nộp hồ sơ")
    page.get_by_role("button", name="Chèn vào ô trả lời").click()
    expect(reply).to_have_value(f"{GREETING}\n{preview.inner_text().strip()}")  # added after the greeting
    reply.press("End")
    reply.press("Shift+Enter")  # a new line, not a send
    reply.type("Bạn mang theo giấy tờ tùy thân nhé.")
    sent = reply.input_value().strip()
    shot(page, "04-soan-tra-loi")
    reply.press("Enter")
    mine = transcript.locator(".msg.officer")
    expect(mine).to_have_count(1, timeout=LIVE)
    expect(mine).to_contain_text("Bạn mang theo giấy tờ tùy thân nhé.")
    expect(mine.locator(".meta")).to_contain_text("Cán bộ Nguyễn Thị Lan")
    expect(reply).to_have_value("")
    officer_texts = [m["text"] for m in citizen_messages(stack, sender) if m["author"] == "officer"]
    assert officer_texts == [sent]

    stack.chat(sender, "Cảm ơn cán bộ, tôi có cần mang ảnh không?")
    expect(transcript.locator(".msg.citizen .text").last).to_have_text(
        "Cảm ơn cán bộ, tôi có cần mang ảnh không?", timeout=LIVE)  # live, below the officer's reply
    expect(transcript.locator(".msg").last).to_be_in_viewport()
    shot(page, "05-tra-loi")

    page.get_by_role("button", name="Kết thúc hỗ trợ").click()
    expect(page.locator("#handoff-actions")).to_contain_text("Đã kết thúc hỗ trợ")
    expect(page.locator("#handoff-status .status")).to_have_text("Đã xong", timeout=LIVE)
    last = citizen_messages(stack, sender)[-1]
    assert last["text"] == RATING_REQUEST
    assert [b["title"] for b in last["buttons"]] == [f"{n} sao" for n in range(5, 0, -1)]
    expect(transcript.locator(".msg.system").last).to_contain_text("chấm điểm", timeout=LIVE)
    shot(page, "06-ket-thuc")

    page.goto(f"{base}/console/kb")
    page.get_by_label("Câu hỏi của người dân").fill("lam lai cccd bi mat o dau")
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.get_by_role("heading", name="Quyết định của trợ lý ảo")).to_be_visible()
    expect(page.locator("table.results tbody tr").first).to_contain_text("căn cước")
    shot(page, "07-tra-cuu")
    page.locator("table.results tbody tr a").first.click()
    expect(page.get_by_role("heading", name="Câu trả lời cho người dân")).to_be_visible()
    expect(page.locator("#answer-text")).to_contain_text("Nguồn:")
    shot(page, "08-ho-so-thu-tuc")

    page.goto(f"{base}/console/history")
    page.get_by_label("Nội dung có chứa").fill("mang ảnh")
    page.get_by_role("button", name="Tìm", exact=True).click()
    found = page.locator("table.list tbody tr").filter(has_text=mask_identifier(sender))
    expect(found).to_have_count(1)
    expect(found.locator("mark")).to_have_text("mang ảnh")
    shot(page, "10-lich-su")
    found.get_by_role("link", name="Mở").click()
    expect(page.locator(".msg.highlight")).to_contain_text("mang ảnh")
    expect(page.get_by_role("heading", name="Các lần chuyển cán bộ")).to_be_visible()
    shot(page, "11-lich-su-cuoc-tro-chuyen")
