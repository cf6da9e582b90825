"""The web widget in Debian's Chromium against the real stack (rasa, actions, app): the demo page at phone size,
real answers, quick replies, an officer taking over live, history after a reload, text that looks like HTML,
keyboard-only use, and a connection that drops in the middle of a send."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.utils.browser import PHONE, artifact_path

pytestmark = [pytest.mark.integration, pytest.mark.slow]

expect: Any = None  # playwright's expect, imported with the browser
ANSWER = 30_000  # ms: Rasa's first answers can be slow on a cold model
LIVE = 3_000  # ms: officer messages are pushed, not polled (the re-read is every 15 s)
XSS = "<img src=x onerror=alert(1)><script>alert(2)</script>"
WS_URL = re.compile(r".*/api/v1/widget/ws.*")


@pytest.fixture()
def page_at(browser: Any, stack: Any) -> Iterator[Any]:
    """A fresh browser context (new localStorage: a new conversation) per call, with dialogs recorded."""
    global expect
    from playwright.sync_api import expect as playwright_expect

    expect = playwright_expect
    contexts: list[Any] = []

    def open_page(viewport: dict[str, int] = PHONE) -> Any:
        context = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []  # type: ignore[attr-defined]
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()


class Widget:
    """The widget inside its (open) shadow root; Playwright's locators pierce it."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.bubble = page.locator("#tlhc-widget .tlhc-bubble")
        self.panel = page.get_by_role("dialog", name="Trợ lý ảo thủ tục hành chính")
        self.input = page.get_by_role("textbox", name="Nhập câu hỏi")
        self.log = page.get_by_role("log", name="Tin nhắn")
        self.status = page.locator("#tlhc-widget .tlhc-status")

    def open(self) -> None:
        self.page.get_by_role("button", name=re.compile("^Mở Trợ lý ảo")).click()
        expect(self.panel).to_be_visible()
        expect(self.input).to_be_focused()

    def ask(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")
        expect(self.mine(text)).to_be_visible()

    def mine(self, text: str) -> Any:
        return self.mine_all(text).last

    def mine_all(self, text: str) -> Any:
        """The citizen's messages with this text: stored ones (in the log) and ones still being sent."""
        return self.page.locator("#tlhc-widget .tlhc-scroll .tlhc-me .tlhc-msg").filter(has_text=text)

    def bot(self, pattern: str) -> Any:
        return self.log.locator(".tlhc-row:not(.tlhc-me) .tlhc-msg").filter(has_text=re.compile(pattern)).last

    def notice(self, text: str) -> Any:
        return self.log.locator(".tlhc-sys").filter(has_text=text).last

    def key(self) -> str:
        stored = self.page.evaluate("() => localStorage.getItem('tlhc-widget:' + location.origin)")
        return json.loads(stored)["key"]

    def outbox(self) -> list[dict[str, Any]]:
        stored = self.page.evaluate("() => localStorage.getItem('tlhc-widget:' + location.origin)")
        return json.loads(stored)["outbox"]


def officer_api(stack: Any, full_name: str) -> httpx.Client:
    username = f"canbo-{uuid.uuid4().hex[:6]}"
    stack.create_staff(username, "mat-khau-widget-2026", role="officer", full_name=full_name)
    token = stack.login(username, "mat-khau-widget-2026")
    return httpx.Client(base_url=stack.app_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def find_handoff(api: httpx.Client, key: str) -> dict[str, Any]:
    queue = api.get("/api/v1/handoffs/queue")
    assert queue.status_code == 200, queue.text
    mine = [h for h in queue.json() if h["channel"] == "web" and h["user"] == "*" * (len(key) - 3) + key[-3:]]
    assert len(mine) == 1, queue.json()
    return mine[0]


def test_citizen_on_a_phone_gets_answers_then_an_officer_live_and_keeps_the_history(page_at, stack) -> None:
    page = page_at(PHONE)
    page.goto(stack.app_url + "/")
    expect(page.get_by_text("Trang trình diễn (demo).")).to_be_visible()
    widget = Widget(page)
    widget.open()
    box = widget.panel.bounding_box()
    assert box and box["width"] == PHONE["width"] and box["height"] == PHONE["height"]  # full screen on a phone

    widget.ask("làm hộ chiếu cần giấy tờ gì")
    first = widget.bot(r"Hồ sơ .*hộ chiếu")
    expect(first).to_be_visible(timeout=ANSWER)
    expect(first).to_contain_text("Nguồn:")
    source = first.locator("a.tlhc-link").first  # the source link: clickable, safely
    expect(source).to_have_attribute("href", re.compile(r"^https?://"))
    expect(source).to_have_attribute("target", "_blank")
    expect(source).to_have_attribute("rel", "noopener noreferrer")

    widget.ask("lam ho chieu can giay to gi")
    expect(widget.log.locator(".tlhc-msg").filter(has_text=re.compile(r"Hồ sơ .*hộ chiếu"))).to_have_count(
        2, timeout=ANSWER)

    fee_button = widget.log.get_by_role("button", name="Lệ phí", exact=True).last
    expect(fee_button).to_be_visible()
    fee_button.click()
    expect(widget.mine("Lệ phí")).to_be_visible()  # the button's title, shown as the citizen's message
    expect(widget.bot(r"^(Trợ lý ảo: )?Lệ phí .*hộ chiếu")).to_be_visible(timeout=ANSWER)
    expect(widget.log.get_by_role("button", name="Lệ phí", exact=True)).to_have_count(0)  # answered: gone
    page.screenshot(path=artifact_path("widget-phone-answer.png"))

    widget.ask("gặp cán bộ")
    expect(widget.notice("chuyển tới cán bộ")).to_be_visible(timeout=ANSWER)
    expect(widget.status).to_contain_text("Đang chờ cán bộ tiếp nhận")
    expect(page.get_by_role("button", name="Gặp cán bộ bộ phận một cửa")).to_be_hidden()  # already asked

    officer = officer_api(stack, "Trần Văn Minh")
    handoff = find_handoff(officer, widget.key())
    assert officer.post(f"/api/v1/handoffs/{handoff['id']}/claim").status_code == 200
    expect(widget.notice("Cán bộ Trần Văn Minh đã tham gia cuộc trò chuyện.")).to_be_visible(timeout=LIVE)
    expect(widget.status).to_contain_text("Cán bộ đang hỗ trợ bạn")
    answer = ("Chào bạn, hồ sơ làm hộ chiếu nộp tại công an tỉnh hoặc trực tuyến tại "
              "https://dichvucong.bocongan.gov.vn. Thử <b>in đậm</b> và javascript:alert(3)")
    widget.input.press("Escape")  # the citizen looks at the page meanwhile
    expect(widget.panel).to_be_hidden()
    replied = officer.post(f"/api/v1/handoffs/{handoff['id']}/reply", json={"text": answer})
    assert replied.status_code == 201, replied.text
    expect(page.get_by_role("button", name=re.compile(r"^Mở Trợ lý ảo.*\(1 tin nhắn mới\)$"))).to_be_visible(
        timeout=LIVE)  # pushed while closed: an unread count on the bubble, no reload, no polling
    widget.open()
    expect(widget.bubble.locator(".tlhc-badge")).to_be_hidden()
    reply = widget.log.locator(".tlhc-officer .tlhc-msg").filter(has_text="Chào bạn, hồ sơ làm hộ chiếu")
    expect(reply).to_be_visible()
    expect(widget.log.locator(".tlhc-officer .tlhc-who").last).to_have_text("Cán bộ Trần Văn Minh")
    expect(reply).to_contain_text("<b>in đậm</b>")  # text, not markup
    expect(reply.locator("a")).to_have_count(1)  # javascript: is never a link
    expect(reply.locator("a")).to_have_attribute("href", "https://dichvucong.bocongan.gov.vn/")

    widget.ask(XSS)  # with the officer: told "đã nhận được tin nhắn", never run
    expect(widget.notice("đã nhận được tin nhắn của bạn")).to_be_visible(timeout=ANSWER)
    expect(widget.mine(XSS)).to_have_text(re.compile(re.escape(XSS) + "$"))
    assert widget.log.locator("img, script, b").count() == 0
    page.screenshot(path=artifact_path("widget-phone.png"))

    assert officer.post(f"/api/v1/handoffs/{handoff['id']}/resolve").status_code == 200
    stars = widget.log.get_by_role("group", name="Chấm điểm mức độ hài lòng")
    expect(stars).to_be_visible(timeout=LIVE)
    expect(stars.get_by_role("button")).to_have_count(5)
    expect(widget.status).to_contain_text("Trợ lý ảo")
    page.screenshot(path=artifact_path("widget-phone-rating.png"))
    stars.get_by_role("button", name="Đánh giá 5 sao").click()
    expect(widget.mine("5 sao")).to_be_visible()
    expect(stars).to_be_hidden()

    page.reload()
    widget = Widget(page)
    expect(widget.panel).to_be_visible()  # it was open in this tab
    expect(widget.mine("làm hộ chiếu cần giấy tờ gì")).to_be_visible()
    expect(widget.log.locator(".tlhc-officer .tlhc-msg").filter(has_text="Chào bạn")).to_be_visible()
    expect(widget.mine(XSS)).to_have_text(re.compile(re.escape(XSS) + "$"))
    expect(widget.notice("Cán bộ Trần Văn Minh đã tham gia")).to_be_visible()
    assert widget.log.locator("img, script, b").count() == 0
    assert page.dialogs == [] and page.errors == []


def test_keyboard_only(page_at, stack) -> None:
    page = page_at({"width": 1280, "height": 800})
    page.goto(stack.app_url + "/")
    widget = Widget(page)
    for _ in range(40):  # Tab through the page until the bubble has the focus
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.shadowRoot?.activeElement?.classList.contains('tlhc-bubble')"):
            break
    else:
        pytest.fail("the chat bubble is not reachable with Tab")
    expect(widget.bubble).to_be_focused()
    expect(widget.bubble).to_have_attribute("aria-expanded", "false")
    outline = widget.bubble.evaluate("b => getComputedStyle(b).outlineStyle")
    assert outline == "solid"  # a visible focus ring

    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    expect(widget.input).to_be_focused()
    expect(widget.bubble).to_have_attribute("aria-expanded", "true")
    page.keyboard.type("thủ tục đăng ký khai sinh")
    page.keyboard.press("Enter")
    expect(widget.mine("thủ tục đăng ký khai sinh")).to_be_visible()
    expect(widget.bot(r"khai sinh")).to_be_visible(timeout=ANSWER)
    expect(widget.input).to_have_value("")
    page.keyboard.press("Tab")  # the send button comes next, with its Vietnamese name
    expect(page.get_by_role("button", name="Gửi câu hỏi")).to_be_focused()

    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(widget.bubble).to_be_focused()
    assert page.dialogs == [] and page.errors == []


def test_lost_ack_duplicate_delivery_and_offline_queue_never_show_a_message_twice(page_at, stack) -> None:
    page = page_at(PHONE)
    state = {"block": False, "cut": False}

    def route(ws: Any) -> None:  # a proxy between the widget and the app that misbehaves on request
        if state["block"]:  # offline: every connection fails at once
            ws.close(code=4001, reason="offline")
            return
        server = ws.connect_to_server()
        armed = {"cut": False}

        def from_page(message: str | bytes) -> None:
            server.send(message)
            if state["cut"] and json.loads(message).get("type") == "message":
                server.send(message)  # delivered twice by the network: the app must store it once
                state["cut"], armed["cut"] = False, True

        def from_server(message: str | bytes) -> None:
            if armed["cut"] and json.loads(message).get("type") == "ack":  # the line drops before the ack
                ws.close(code=4001, reason="network lost")
                server.close()
                return
            ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)

    page.route_web_socket(WS_URL, route)
    page.goto(stack.app_url + "/")
    widget = Widget(page)
    widget.open()
    expect(widget.status).to_contain_text("Trợ lý ảo")

    state["cut"] = True
    widget.ask("cấp lại căn cước bị mất cần gì")
    expect(widget.bot(r"căn cước")).to_be_visible(timeout=ANSWER)
    expect(widget.status).to_contain_text("Trợ lý ảo", timeout=ANSWER)  # reconnected
    assert not state["cut"]  # the proxy did misbehave
    expect(widget.mine_all("cấp lại căn cước")).to_have_count(1)
    expect(page.locator("#tlhc-widget .tlhc-pending")).to_have_count(0)
    assert widget.outbox() == []

    state["block"] = True  # offline: a message waits in localStorage with its client id, across a reload
    page.reload()
    widget = Widget(page)
    expect(page.get_by_role("status").filter(has_text="Đang kết nối lại")).to_be_visible(timeout=ANSWER)
    widget.ask("lệ phí đăng ký thường trú")
    pending = page.locator("#tlhc-widget .tlhc-pending").filter(has_text="lệ phí đăng ký thường trú")
    expect(pending).to_contain_text("Chờ kết nối để gửi")
    [queued] = widget.outbox()
    assert queued["text"] == "lệ phí đăng ký thường trú" and queued["id"]
    page.reload()
    widget = Widget(page)
    expect(page.locator("#tlhc-widget .tlhc-pending").filter(has_text="lệ phí đăng ký thường trú")).to_be_visible()
    assert [m["id"] for m in widget.outbox()] == [queued["id"]]
    page.screenshot(path=artifact_path("widget-phone-offline.png"))

    state["block"] = False  # back online: sent once
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(widget.bot(r"thường trú")).to_be_visible(timeout=ANSWER)
    expect(page.get_by_role("status").filter(has_text="Đang kết nối lại")).to_be_hidden()
    assert widget.outbox() == []

    page.reload()  # what the app stored, in order: each message once
    widget = Widget(page)
    expect(widget.bot(r"thường trú")).to_be_visible(timeout=ANSWER)
    for text in ("cấp lại căn cước bị mất cần gì", "lệ phí đăng ký thường trú"):
        expect(widget.mine_all(text)).to_have_count(1)
    expect(widget.log.locator(".tlhc-row:not(.tlhc-me) .tlhc-msg").filter(
        has_text=re.compile("căn cước"))).to_have_count(1)
    assert page.dialogs == [] and page.errors == []
