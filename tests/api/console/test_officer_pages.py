"""The officers' side of the staff console: queue, conversation (claim, reply, transfer, resolve), live events,
knowledge-base consult, history and quick replies — server-rendered pages driven like htmx drives them."""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import re
import threading
import time
import uuid
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.core.config import get_settings
from api.db.base import session_scope
from api.db.models import (
    AuditEvent,
    Conversation,
    Handoff,
    HandoffStatus,
    Message,
    MessageAuthor,
    QuickReply,
    Role,
    StaffUser,
)
from api.deps import CSRF_COOKIE, SESSION_COOKIE
from api.services import handoffs, staff
from tests.utils.bot import bot_turn, open_handoff_via_bot
from tests.utils.citizens import get_messages, post_chat
from tests.utils.stack import free_port
from tests.utils.staff import PASSWORD, make_staff

HX = {"HX-Request": "true"}


# --- helpers ---------------------------------------------------------------------------------------------------

class Staff:
    """A logged-in staff member with a browser of their own (cookie jar) on the same app."""

    def __init__(self, app: object, role: Role = Role.officer, name: str | None = None) -> None:
        suffix = uuid.uuid4().hex[:8]
        with session_scope() as db:
            self.user = StaffUser(username=f"{role.value}-{suffix}", full_name=name or f"Cán bộ {suffix}", role=role,
                                  password_hash="!")  # logged in below, without argon2's cost
            db.add(self.user)
            db.flush()
            issued = staff.open_session(db, self.user, 60)
            self.id, self.name = self.user.id, self.user.full_name
        self.csrf = issued.csrf_token
        self.client = TestClient(app, base_url="https://testserver")  # type: ignore[arg-type]
        self.client.cookies.set(SESSION_COOKIE, issued.token)

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.client.get(path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, data: dict | None = None, htmx: bool = True) -> httpx.Response:
        headers = {**HX, "X-CSRF-Token": self.csrf} if htmx else {}
        body = data if htmx else {**(data or {}), "csrf_token": self.csrf}
        return self.client.post(path, data=body, headers=headers, follow_redirects=False)


def citizen() -> str:
    return f"cd-{uuid.uuid4().hex[:12]}"


def chat(client: TestClient, user_id: str, text: str) -> dict:
    response = post_chat(client, user_id, text=text)
    assert response.status_code == 200, response.text
    return response.json()


def open_handoff(client: TestClient, user_id: str, first: str = "làm lại căn cước bị mất",
                 procedure_id: str | None = None) -> int:
    chat(client, user_id, first)  # Rasa is down in unit tests: the bot apologises, the message is kept
    return open_handoff_via_bot(client, f"api:{user_id}", procedure_id=procedure_id)["handoff_id"]


def audited(db: Session, action: str, target: str, actor_id: int) -> bool:
    return db.scalar(select(AuditEvent.id).where(AuditEvent.action == action, AuditEvent.target == target,
                                                 AuditEvent.actor_id == actor_id)) is not None


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def wait_index(client: TestClient, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while not client.app.state.search.ready:
        assert time.monotonic() < deadline, "search index not built in time"
        time.sleep(0.2)


@pytest.fixture()
def lan(client: TestClient) -> Staff:
    return Staff(client.app, name="Nguyễn Thị Lan")


@pytest.fixture()
def hung(client: TestClient) -> Staff:
    return Staff(client.app, name="Trần Văn Hùng")


# --- access ----------------------------------------------------------------------------------------------------

PAGES = ["/console/queue", "/console/queue/count", "/console/queue/list", "/console/mine", "/console/conversations/1",
         "/console/conversations/1/messages?after=0", "/console/kb", "/console/kb?q=ho+chieu",
         "/console/kb/procedures/cap-ho-chieu-pho-thong", "/console/history", "/console/history/conversations/1",
         "/console/quick-replies"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_login(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login?next=%2Fconsole%2F")
    partial = client.get(path, headers=HX, follow_redirects=False)  # htmx: the whole page goes to the login
    assert partial.status_code == 204 and partial.headers["HX-Redirect"].startswith("/console/login?next=")


def test_console_login_then_queue(client: TestClient) -> None:
    username = make_staff(Role.officer)
    login = client.post("/console/login", data={"username": username, "password": PASSWORD,
                                                "next": "/console/queue"}, follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/console/queue"
    page = client.get("/console/queue")
    assert page.status_code == 200 and "Hàng chờ hỗ trợ" in page.text and client.cookies.get(CSRF_COOKIE)


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, lan: Staff) -> None:
    handoff_id = open_handoff(client, citizen())
    url = f"/console/conversations/{handoff_id}/claim"
    for headers, data in (({}, {}), ({"X-CSRF-Token": "wrong"}, {}), ({}, {"csrf_token": "wrong"})):
        refused = lan.client.post(url, headers={**HX, **headers}, data=data, follow_redirects=False)
        assert refused.status_code == 403 and "chống giả mạo" in refused.text
    with session_scope() as db:
        assert db.get(Handoff, handoff_id).status == HandoffStatus.waiting  # type: ignore[union-attr]
    assert lan.post(url, htmx=False).status_code == 303  # the form field works too (no JavaScript)


# --- the conversation ------------------------------------------------------------------------------------------

def test_claim_reply_transfer_resolve_through_the_console(client: TestClient, lan: Staff, hung: Staff) -> None:
    user_id = citizen()
    handoff_id = open_handoff(client, user_id, "làm lại căn cước bị mất ở đâu", procedure_id="cap-lai-the-can-cuoc")
    chat(client, user_id, "Số của tôi là 0912345678, nhờ cán bộ gọi lại")
    page = f"/console/conversations/{handoff_id}"

    queue_page = lan.get("/console/queue").text
    row = queue_page[queue_page.index(f'id="handoff-{handoff_id}"'):]
    row = row[:row.index("</tr>")]
    assert user_id[-3:] in row and user_id not in row and "Người dân muốn gặp cán bộ" in row
    assert "Số của tôi là 0912345678" in row and f"{page}/claim" in row

    before = lan.get(page)
    assert before.status_code == 200
    html = before.text
    with session_scope() as db:
        conversation_id = db.get(Handoff, handoff_id).conversation_id  # type: ignore[union-attr]
    assert f'data-conversation="{conversation_id}"' in html  # console.js subscribes to its live events
    assert "làm lại căn cước bị mất ở đâu" in html and "0912345678" in html  # staff see the numbers
    assert "Cấp lại thẻ căn cước" in html and "/console/kb/procedures/cap-lai-the-can-cuoc" in html
    assert "Nhận cuộc trò chuyện" in html and 'id="reply-text"' not in html

    claimed = lan.post(f"{page}/claim")
    assert claimed.status_code == 200 and 'id="reply-text"' in claimed.text
    assert "conversation-changed" in claimed.headers["HX-Trigger"]
    assert '<div id="handoff-status"' in claimed.text and 'hx-swap-oob="true"' in claimed.text  # status line too
    lost = hung.post(f"{page}/claim")
    assert lost.status_code == 409 and lost.text == "Cán bộ Nguyễn Thị Lan đã nhận cuộc trò chuyện này."
    watching = hung.get(page).text
    assert "Nguyễn Thị Lan</strong> đang phụ trách" in watching and 'id="reply-text"' not in watching
    assert "Chuyển cho" not in watching and "Kết thúc hỗ trợ" not in watching  # read-only for him
    refused = hung.post(f"{page}/reply", {"text": "Tôi trả lời thay"})
    assert refused.status_code == 403 and "Nguyễn Thị Lan" in refused.text
    assert hung.get("/console/mine").text.count("/console/conversations/") == 0

    mine = lan.get("/console/mine").text
    assert f"{page}" in mine
    last_id = int(re.findall(r'id="msg-(\d+)"', lan.get(page).text)[-1])
    answer = "Bạn nộp hồ sơ tại công an xã nơi cư trú.\nMang theo giấy khai sinh."
    sent = lan.post(f"{page}/reply", {"text": f"  {answer}  "})
    assert sent.status_code == 200 and "conversation-changed" in sent.headers["HX-Trigger"]
    assert lan.post(f"{page}/reply", {"text": "   "}).text == "Nội dung trả lời đang trống. Bạn vui lòng nhập nội dung."
    fresh = lan.get(f"{page}/messages", params={"after": last_id}).text
    assert "Cán bộ Nguyễn Thị Lan" in fresh and answer in fresh and 'class="msg officer' in fresh
    new_last = max(int(i) for i in re.findall(r'id="msg-(\d+)"', fresh))
    assert f'id="after" name="after" value="{new_last}" hx-swap-oob="true"' in fresh
    assert 'id="msg-' not in lan.get(f"{page}/messages", params={"after": new_last}).text
    citizen_view = get_messages(client, user_id).json()["messages"]
    assert [m["text"] for m in citizen_view if m["author"] == "officer"] == [answer]

    transferred = lan.post(f"{page}/transfer", {"officer_id": str(hung.id)})
    assert transferred.status_code == 200 and "Trần Văn Hùng</strong> đang phụ trách" in transferred.text
    assert 'id="reply-text"' in hung.get(page).text
    resolved = hung.post(f"{page}/resolve")
    assert resolved.status_code == 200 and "Đã kết thúc hỗ trợ" in resolved.text
    again = hung.post(f"{page}/resolve")
    assert again.status_code == 409 and again.text == "Cuộc trò chuyện này đã được xử lý xong."
    rating = get_messages(client, user_id).json()["messages"][-1]
    assert rating["text"] == handoffs.RATING_REQUEST and len(rating["buttons"]) == 5

    with session_scope() as db:
        target = f"handoff:{handoff_id}"
        assert audited(db, "handoff.view", target, lan.id) and audited(db, "handoff.claim", target, lan.id)
        assert audited(db, "handoff.reply", target, lan.id) and audited(db, "handoff.transfer", target, lan.id)
        assert audited(db, "handoff.resolve", target, hung.id)


def test_claim_from_the_queue_opens_the_conversation(client: TestClient, lan: Staff) -> None:
    handoff_id = open_handoff(client, citizen())
    claimed = lan.post(f"/console/conversations/{handoff_id}/claim?then=open")
    assert claimed.status_code == 200 and claimed.headers["HX-Redirect"] == f"/console/conversations/{handoff_id}"
    assert f'id="handoff-{handoff_id}"' not in lan.get("/console/queue/list").text
    no_js = lan.post(f"/console/conversations/{handoff_id}/reply", {"text": "Chào bạn"}, htmx=False)
    assert no_js.status_code == 303
    assert no_js.headers["location"].startswith(f"/console/conversations/{handoff_id}#msg-")


def test_refusals_are_shown_in_plain_words(client: TestClient, lan: Staff) -> None:
    assert lan.get("/console/conversations/999999").status_code == 404
    assert "Không có yêu cầu hỗ trợ số abc" in lan.get("/console/conversations/abc").text
    handoff_id = open_handoff(client, citizen())
    not_yet = lan.post(f"/console/conversations/{handoff_id}/reply", {"text": "Chào bạn"})
    assert not_yet.status_code == 409 and "Nhận" in not_yet.text
    lan.post(f"/console/conversations/{handoff_id}/claim")
    too_long = lan.post(f"/console/conversations/{handoff_id}/reply", {"text": "a" * 4001})
    assert too_long.status_code == 422 and "4.000 ký tự" in too_long.text
    nobody = lan.post(f"/console/conversations/{handoff_id}/transfer", {"officer_id": "999999"})
    assert nobody.status_code == 404 and nobody.text == "Không có cán bộ số 999999."
    page = lan.post(f"/console/conversations/{handoff_id}/transfer", {"officer_id": "999999"}, htmx=False)
    assert page.status_code == 404 and "Không có cán bộ số 999999." in page.text and "<html" in page.text


def test_admin_may_assign_an_unclaimed_conversation(client: TestClient, lan: Staff) -> None:
    admin = Staff(client.app, Role.admin)
    handoff_id = open_handoff(client, citizen())
    page = admin.get(f"/console/conversations/{handoff_id}").text
    assert "Chuyển cho" in page and f'<option value="{lan.id}">{lan.name}</option>' in page
    assigned = admin.post(f"/console/conversations/{handoff_id}/transfer", {"officer_id": str(lan.id)})
    assert assigned.status_code == 200 and f"{lan.name}</strong> đang phụ trách" in assigned.text
    assert "Kết thúc hỗ trợ" in admin.get(f"/console/conversations/{handoff_id}/status").text  # and may close it


def test_queue_count_for_the_badge(client: TestClient, lan: Staff, db: Session) -> None:
    db.execute(update(Handoff).where(Handoff.status.in_(handoffs.UNCLAIMED)).values(status=HandoffStatus.resolved))
    db.commit()
    assert lan.get("/console/queue/count").text == ""
    assert "Không có ai đang chờ" in lan.get("/console/queue").text
    first, second = open_handoff(client, citizen()), open_handoff(client, citizen())
    assert lan.get("/console/queue/count").text == "2"
    rows = lan.get("/console/queue/list").text
    assert rows.index(f'id="handoff-{first}"') < rows.index(f'id="handoff-{second}"')  # longest wait first
    lan.post(f"/console/conversations/{first}/claim")
    assert lan.get("/console/queue/count").text == "1"


# --- live updates ----------------------------------------------------------------------------------------------

@contextlib.contextmanager
def served_app() -> Iterator[str]:
    """The app under uvicorn in a thread: TestClient would wait for the end of an endless stream."""
    from api.main import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def read_events(response: httpx.Response, into: queue.Queue[str]) -> None:
    with contextlib.suppress(httpx.HTTPError):
        for line in response.iter_lines():
            into.put(line)


def next_event(lines: queue.Queue[str], timeout: float = 10) -> str:
    """The next `event:` name (comments and data lines skipped); fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        if line.startswith("event: "):
            return line.removeprefix("event: ")


def test_live_events_tell_the_console_what_changed(migrated: None) -> None:
    with session_scope() as db:
        user = StaffUser(username=f"officer-{uuid.uuid4().hex[:8]}", full_name="Cán bộ trực", role=Role.officer,
                         password_hash="!")
        db.add(user)
        db.flush()
        token = staff.open_session(db, user, 60).token
        conversation_id = handoffs.open_handoff(db, f"api:{citizen()}", "citizen_request")[0].conversation_id
    with served_app() as url, httpx.Client(base_url=url, timeout=httpx.Timeout(5, read=30)) as http:
        lines: queue.Queue[str] = queue.Queue()
        cookie = {"Cookie": f"{SESSION_COOKIE}={token}"}
        with http.stream("GET", "/console/events", params={"conversation": conversation_id}, headers=cookie) as resp:
            assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
            threading.Thread(target=read_events, args=(resp, lines), daemon=True).start()
            assert lines.get(timeout=10).startswith("retry: ")  # subscribed
            with session_scope() as db:
                handoffs.open_handoff(db, f"api:{citizen()}", "citizen_request")  # another citizen asks
            assert next_event(lines) == "queue-changed"
            with session_scope() as db:
                db.add(Message(conversation_id=conversation_id, author=MessageAuthor.citizen, text="Cán bộ ơi"))
            assert next_event(lines) == "conversation-changed"
            with session_scope() as db:  # logged out elsewhere: the stream says so at its next round
                staff.close_session(db, token)
                handoffs.open_handoff(db, f"api:{citizen()}", "citizen_request")
            assert next_event(lines) == "session-expired"
        expired = http.get("/console/events", headers=cookie)
        assert expired.status_code == 200 and "event: session-expired" in expired.text


# --- knowledge base, history, quick replies, directory ---------------------------------------------------------

def bot_says(client: TestClient, question: str) -> str:
    """The bot's first reply to this question in a new conversation, through the action server's one call."""
    turn = bot_turn(client, f"test:{uuid.uuid4().hex[:8]}", "action_answer", text=question, intent="ask_procedure")
    return turn["messages"][0]["text"]


def test_kb_consult_decides_like_the_bot(client: TestClient, lan: Staff) -> None:
    from markupsafe import escape

    wait_index(client)
    for question in ("lam ho chieu o dau", "lam ho chieu mat bao lau", "thời tiết hôm nay thế nào"):
        api = client.get("/api/v1/search", params={"q": question}).json()
        html = lan.get("/console/kb", params={"q": question}).text
        page = text_of(html)
        label = {"answer": "Trả lời ngay", "clarify": "Hỏi lại để chọn", "none": "Chưa tìm thấy"}[api["decision"]]
        assert f"Quyết định của trợ lý ảo: {label}" in page
        for hit in api["results"][:3]:
            assert f"{hit['title']}" in page and f"{hit['score']:.3f}" in page
        said = bot_says(client, question)
        assert f'<div class="bubble bot">{escape(said)}</div>' in html  # the very reply the citizen gets
    assert "Cấp hộ chiếu phổ thông ở trong nước" in lan.get("/console/kb").text  # without a question: the list

    from knowledge_base.loader import load_dir

    [passport] = [p for p in load_dir() if p.id == "cap-ho-chieu-pho-thong"]
    record = lan.get("/console/kb/procedures/cap-ho-chieu-pho-thong", params={"aspect": "fee"})
    assert record.status_code == 200
    html = record.text
    fee = bot_turn(client, "test:fee", "action_answer", text='/ask_fee{"procedure_id": "cap-ho-chieu-pho-thong"}',
                   intent="ask_fee", entities=[{"entity": "procedure_id", "value": "cap-ho-chieu-pho-thong"}],
                   )["messages"][0]["text"]
    assert str(escape(fee)) in html  # exactly what the bot says about the fee today
    assert "49/2019/QH14" in html and "Kiểm tra ngày" in html
    assert ("Thông tin chưa xác nhận" in html) == bool(passport.open_facts())
    assert lan.get("/console/kb/procedures/khong-co").status_code == 404
    picked = lan.get("/console/kb/pick/answer", params={"procedure_id": "cap-ho-chieu-pho-thong", "aspect": "time"})
    assert 'data-insert-from="#kb-preview-text"' in picked.text and "Thời gian giải quyết" in picked.text
    assert "cap-ho-chieu-pho-thong" in lan.get("/console/kb/pick", params={"q": "làm hộ chiếu"}).text


def test_history_finds_a_message_and_opens_the_conversation(client: TestClient, lan: Staff) -> None:
    user_id = citizen()
    word = uuid.uuid4().hex[:10]
    chat(client, user_id, f"Mã hồ sơ {word}, số điện thoại 0987654321")
    handoff_id = open_handoff(client, user_id, "hỏi về khai sinh")
    found = lan.get("/console/history", params={"q": word.upper(), "channel": "api", "author": "citizen"})
    assert found.status_code == 200
    assert f"<mark>{word}</mark>" in found.text and "0987654321" in found.text  # numbers stay visible to staff
    assert user_id not in found.text and f"*{user_id[-3:]}" in found.text  # the user id is masked
    link = re.search(r'href="(/console/history/conversations/\d+\?message=\d+)"', found.text)
    assert link
    today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    hit = f"<mark>{word}</mark>"
    assert hit in lan.get("/console/history", params={"q": word, "date_from": today, "date_to": today}).text
    assert hit not in lan.get("/console/history", params={"q": word, "date_from": "2020-01-01",
                                                            "date_to": "2020-01-02"}).text
    assert hit not in lan.get("/console/history", params={"q": word, "mode": "bot"}).text  # it is waiting now
    assert "không hợp lệ" in lan.get("/console/history", params={"date_from": "hôm qua"}).text
    opened = lan.get(link.group(1))
    assert opened.status_code == 200 and word in opened.text and f"/console/conversations/{handoff_id}" in opened.text
    assert 'class="msg citizen highlight"' in opened.text and user_id not in opened.text
    assert f'<span class="who">{lan.name} · Cán bộ</span>' in opened.text  # the top bar still names the officer
    assert "0987654321" in lan.get("/console/history", params={"q": "0987654321"}).text
    with session_scope() as db:
        searches = db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "history.search",
                                                              AuditEvent.actor_id == lan.id)).all()
        assert {"q": "*******321", "page": 1} in searches  # searched numbers are masked in the audit log
        conversation_id = int(link.group(1).split("/")[-1].split("?")[0])
        assert audited(db, "conversation.view", f"conversation:{conversation_id}", lan.id)


def test_officers_search_only_conversations_that_reached_officers(client: TestClient, lan: Staff,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    bot_only, handed = citizen(), citizen()
    word = uuid.uuid4().hex[:10]
    chat(client, bot_only, f"{word} chỉ hỏi trợ lý ảo")
    open_handoff(client, handed, f"{word} cần gặp cán bộ")
    found = lan.get("/console/history", params={"q": word}).text
    assert "cần gặp cán bộ" in found and "chỉ hỏi trợ lý ảo" not in found
    with session_scope() as db:
        hidden = db.scalar(select(Conversation.id).where(Conversation.user_id == bot_only))
    refused = lan.get(f"/console/history/conversations/{hidden}")
    assert refused.status_code == 403 and "chỉ xem được các cuộc trò chuyện đã chuyển đến cán bộ" in refused.text
    admin = Staff(client.app, Role.admin)
    assert "chỉ hỏi trợ lý ảo" in admin.get("/console/history", params={"q": word}).text
    assert admin.get(f"/console/history/conversations/{hidden}").status_code == 200
    monkeypatch.setattr(get_settings(), "officers_search_all", True)
    assert "chỉ hỏi trợ lý ảo" in lan.get("/console/history", params={"q": word}).text


def test_history_is_paginated(client: TestClient, lan: Staff) -> None:
    user_id, word = citizen(), uuid.uuid4().hex[:8]
    for n in range(23):
        chat(client, user_id, f"{word} câu hỏi số {n}")
    open_handoff_via_bot(client, f"api:{user_id}")  # officers search conversations that reached officers
    first = lan.get("/console/history", params={"q": word, "author": "citizen"}).text
    assert first.count("<mark>") == 20 and "Trang sau" in first and "câu hỏi số 22" in first
    second = lan.get("/console/history", params={"q": word, "author": "citizen", "page": 2}).text
    assert second.count("<mark>") == 3 and "Trang trước" in second and "Trang sau" not in second


def test_quick_replies_are_shared_and_edited_by_their_author_or_an_admin(client: TestClient, lan: Staff,
                                                                         hung: Staff) -> None:
    title = f"Hẹn gọi lại {uuid.uuid4().hex[:6]}"
    made = lan.post("/console/quick-replies", {"title": title, "text": "Cán bộ sẽ gọi lại cho bạn trong hôm nay."},
                    htmx=False)
    assert made.status_code == 303
    with session_scope() as db:
        reply = db.scalar(select(QuickReply).where(QuickReply.title == title))
        assert reply is not None and reply.created_by == lan.id
        reply_id = reply.id
        assert audited(db, "quick_reply.create", f"quick_reply:{reply_id}", lan.id)
    empty = lan.post("/console/quick-replies", {"title": " ", "text": "x"}, htmx=False)
    assert empty.status_code == 422 and "đặt tên" in empty.text

    handoff_id = open_handoff(client, citizen())
    hung.post(f"/console/conversations/{handoff_id}/claim")
    page = hung.get(f"/console/conversations/{handoff_id}").text  # every officer uses it
    assert title in page and f'data-insert-from="#qr-{reply_id}"' in page
    assert "Cán bộ sẽ gọi lại cho bạn trong hôm nay." in page

    listing = hung.get("/console/quick-replies").text
    assert title in listing and f"/console/quick-replies/{reply_id}/delete" not in listing
    assert hung.post(f"/console/quick-replies/{reply_id}", {"title": "x", "text": "y"}, htmx=False).status_code == 403
    assert hung.post(f"/console/quick-replies/{reply_id}/delete", htmx=False).status_code == 403
    edited = lan.post(f"/console/quick-replies/{reply_id}", {"title": title, "text": "Sẽ gọi lại trước 17 giờ."},
                      htmx=False)
    assert edited.status_code == 303
    admin = Staff(client.app, Role.admin)
    assert admin.post(f"/console/quick-replies/{reply_id}/delete", htmx=False).status_code == 303
    with session_scope() as db:
        assert db.get(QuickReply, reply_id) is None
        assert audited(db, "quick_reply.update", f"quick_reply:{reply_id}", lan.id)
        assert audited(db, "quick_reply.delete", f"quick_reply:{reply_id}", admin.id)


def test_officer_directory(client: TestClient, lan: Staff) -> None:
    assert client.get("/api/v1/staff/officers").status_code == 401
    with session_scope() as db:
        gone = StaffUser(username=f"officer-{uuid.uuid4().hex[:8]}", full_name="Đã nghỉ", role=Role.officer,
                         password_hash="!", is_active=False)
        db.add(gone)
        db.flush()
        gone_id = gone.id
    listed = lan.get("/api/v1/staff/officers")
    assert listed.status_code == 200
    ids = {o["id"]: o for o in listed.json()}
    assert ids[lan.id] == {"id": lan.id, "full_name": "Nguyễn Thị Lan", "role": "officer"} and gone_id not in ids
