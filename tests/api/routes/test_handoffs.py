"""Officers take over conversations: queue, claim (one winner), reply, transfer, resolve, rating; office hours."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.core.config import ROOT
from api.core.errors import AppError
from api.db.base import get_sessionmaker, make_engine, session_scope
from api.db.migrate import upgrade
from api.db.models import (
    AuditEvent,
    Conversation,
    ConversationMode,
    Handoff,
    HandoffStatus,
    Message,
    MessageAuthor,
    Role,
    StaffUser,
)
from api.domain.office_hours import ScheduleError, describe_opening, load
from api.main import create_app
from api.services import handoffs, staff
from tests.utils.bot import bot_headers, bot_turn, open_handoff_via_bot
from tests.utils.citizens import get_messages, post_chat

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ALWAYS_OPEN = "mon-sun 00:00-24:00"


# --- helpers ---------------------------------------------------------------------------------------------------

def new_staff(db: Session, role: Role = Role.officer, active: bool = True) -> StaffUser:
    suffix = uuid.uuid4().hex[:8]
    user = StaffUser(username=f"{role.value}-{suffix}", full_name=f"Nguyễn Văn {suffix}", role=role,
                     password_hash="!", is_active=active)  # no password: logged in below, without argon2's cost
    db.add(user)
    db.flush()
    return user


def staff_login(role: Role = Role.officer) -> tuple[StaffUser, dict[str, str]]:
    with session_scope() as db:
        user = new_staff(db, role)
        issued = staff.open_session(db, user, 60)
    return user, {"Authorization": f"Bearer {issued.token}"}


def open_via_bot(client: TestClient, user_id: str, reason: str = "citizen_request", note: str = "",
                 procedure_id: str | None = None) -> dict:
    return open_handoff_via_bot(client, f"api:{user_id}", note=note, procedure_id=procedure_id,
                                complaint=reason == "complaint")


def chat(client: TestClient, user_id: str, text: str) -> dict:
    response = post_chat(client, user_id, text=text)
    assert response.status_code == 200, response.text
    return response.json()


def citizen() -> str:
    return f"cd-{uuid.uuid4().hex[:12]}"


@pytest.fixture()
def office_open(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client.app.state.settings, "office_schedule", ALWAYS_OPEN)
    monkeypatch.setattr(client.app.state.settings, "holidays", "")


@pytest.fixture()
def officers() -> Iterator[tuple[tuple[StaffUser, dict], tuple[StaffUser, dict], tuple[StaffUser, dict]]]:
    yield staff_login(), staff_login(), staff_login(Role.admin)


# --- the whole story -------------------------------------------------------------------------------------------

def test_lifecycle_from_handoff_to_rating(client: TestClient, office_open: None, officers) -> None:
    (officer, headers), (other, other_headers), _ = officers
    user_id = citizen()
    chat(client, user_id, "làm lại căn cước bị mất")  # Rasa is down in unit tests: the bot apologises
    opened = open_via_bot(client, user_id, procedure_id="cap-lai-the-can-cuoc")
    assert opened["status"] == "waiting" and opened["queue_position"] >= 1
    assert f"vị trí thứ {opened['queue_position']}" in opened["text"] and "dự kiến trong" in opened["text"]

    waiting = chat(client, user_id, "Số điện thoại của tôi là 0912345678, cán bộ gọi giúp")
    assert waiting["mode"] == "waiting"
    assert "hàng chờ" in waiting["replies"][0]["text"] and "phút" in waiting["replies"][0]["text"]

    queue = client.get("/api/v1/handoffs/queue", headers=headers)
    assert queue.status_code == 200
    [item] = [i for i in queue.json() if i["id"] == opened["handoff_id"]]
    assert item["channel"] == "api" and item["reason"] == "citizen_request" and item["status"] == "waiting"
    assert item["user"] != user_id and item["user"].endswith(user_id[-3:]) and "*" in item["user"]
    assert item["waiting_seconds"] >= 0 and item["awaiting_reply"] is True
    assert item["last_citizen_message"]["text"].startswith("Số điện thoại")
    assert item["retrieved"][0]["procedure_id"] == "cap-lai-the-can-cuoc"
    assert "tạm gián đoạn" in item["last_bot_message"]["text"]

    claimed = client.post(f"/api/v1/handoffs/{item['id']}/claim", headers=headers)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["status"] == "assigned" and claimed.json()["officer_name"] == officer.full_name
    assert client.post(f"/api/v1/handoffs/{item['id']}/claim", headers=headers).status_code == 200  # a retry
    lost = client.post(f"/api/v1/handoffs/{item['id']}/claim", headers=other_headers)
    assert lost.status_code == 409 and officer.full_name in lost.json()["message"]
    assert item["id"] not in [i["id"] for i in client.get("/api/v1/handoffs/queue", headers=headers).json()]
    assert [i["id"] for i in client.get("/api/v1/handoffs/mine", headers=headers).json()] == [item["id"]]
    assert client.get("/api/v1/handoffs/mine", headers=other_headers).json() == []

    asked = chat(client, user_id, "Cán bộ ơi, cần mang giấy gì?")
    assert asked["mode"] == "assigned" and officer.full_name in asked["replies"][0]["text"]
    answer = "Bạn mang theo giấy khai sinh; nộp tại công an xã nơi cư trú."
    replied = client.post(f"/api/v1/handoffs/{item['id']}/reply", headers=headers, json={"text": f"  {answer} "})
    assert replied.status_code == 201, replied.text
    assert replied.json()["author"] == "officer" and replied.json()["text"] == answer
    assert replied.json()["author_name"] == officer.full_name

    fetched = get_messages(client, user_id, after=asked["last_message_id"])
    assert fetched.status_code == 200
    assert [(m["author"], m["text"]) for m in fetched.json()["messages"]] == [("officer", answer)]
    assert fetched.json()["mode"] == "assigned" and fetched.json()["last_message_id"] == replied.json()["id"]
    everything = get_messages(client, user_id).json()["messages"]
    assert f"Cán bộ {officer.full_name} đã tham gia cuộc trò chuyện." in [m["text"] for m in everything]
    assert {m["author"] for m in everything} == {"bot", "system", "officer"}  # never the citizen's own

    transcript = client.get(f"/api/v1/handoffs/{item['id']}", headers=other_headers)  # any officer may read
    assert transcript.status_code == 200
    messages = transcript.json()["messages"]
    assert [m["id"] for m in messages] == sorted(m["id"] for m in messages)
    assert [m["author"] for m in messages] == ["citizen", "bot", "system", "citizen", "system", "citizen", "officer"]
    assert messages[-1]["author_name"] == officer.full_name and messages[3]["text"].endswith("gọi giúp")

    resolved = client.post(f"/api/v1/handoffs/{item['id']}/resolve", headers=headers)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    after_resolve = get_messages(client, user_id, after=replied.json()["id"]).json()
    assert after_resolve["mode"] == "bot"
    [rating_request] = after_resolve["messages"]
    assert rating_request["author"] == "system" and "1 đến 5" in rating_request["text"]
    assert [b["payload"] for b in rating_request["buttons"]] == [f'/rate{{"rating": "{n}"}}' for n in range(5, 0, -1)]
    assert client.post(f"/api/v1/handoffs/{item['id']}/reply", headers=headers, json={"text": "x"}).status_code == 409

    rated = bot_turn(client, f"api:{user_id}", "action_rate", text="5 sao", intent="rate",
                     entities=[{"entity": "rating", "value": "5"}])
    assert rated["messages"][0]["text"].startswith("Cảm ơn bạn đã đánh giá 5/5")
    back_to_bot = chat(client, user_id, "cảm ơn")  # the gateway forwards to Rasa again (down here: apology)
    assert back_to_bot["mode"] == "bot" and "tạm gián đoạn" in back_to_bot["replies"][0]["text"]

    with session_scope() as db:
        handoff = db.get(Handoff, item["id"])
        assert handoff.rating == 5 and handoff.officer_id == officer.id and handoff.resolved_at is not None
        audit = db.scalars(select(AuditEvent).where(AuditEvent.target == f"handoff:{item['id']}")).all()
        assert {(a.action, a.actor_id) for a in audit} >= {("handoff.claim", officer.id), ("handoff.reply", officer.id),
                                                            ("handoff.resolve", officer.id), ("handoff.view", other.id)}
        assert "0912345678" not in str([a.detail for a in audit])  # the audit log holds no message text


def test_queue_puts_waiting_before_tickets(client: TestClient, office_open: None, officers) -> None:
    (_, headers), _, _ = officers
    complaint = open_via_bot(client, citizen(), "complaint", note="Tôi chờ 2 tiếng ở bộ phận một cửa")
    first, second = open_via_bot(client, citizen()), open_via_bot(client, citizen())
    assert complaint["status"] == "ticket" and first["status"] == second["status"] == "waiting"
    assert second["queue_position"] == first["queue_position"] + 1
    ids = [i["id"] for i in client.get("/api/v1/handoffs/queue", headers=headers).json()]
    assert ids.index(first["handoff_id"]) < ids.index(second["handoff_id"]) < ids.index(complaint["handoff_id"])
    statuses = [i["status"] for i in client.get("/api/v1/handoffs/queue", headers=headers).json()]
    assert statuses == sorted(statuses, key=lambda s: s != "waiting")


def test_transfer_between_officers(client: TestClient, office_open: None, officers) -> None:
    (officer, headers), (other, other_headers), (_, admin_headers) = officers
    user_id = citizen()
    chat(client, user_id, "xin chào")  # the citizen's REST conversation, with its key
    handoff_id = open_via_bot(client, user_id)["handoff_id"]
    url = f"/api/v1/handoffs/{handoff_id}"
    refused = client.post(f"{url}/transfer", headers=headers, json={"officer_id": other.id})
    assert refused.status_code == 409 and refused.json()["error"] == "not_claimed"
    assert client.post(f"{url}/claim", headers=headers).status_code == 200
    assert client.post(f"{url}/transfer", headers=other_headers, json={"officer_id": other.id}).status_code == 403
    with session_scope() as db:
        locked = new_staff(db)
        locked.is_active = False
    assert client.post(f"{url}/transfer", headers=headers, json={"officer_id": locked.id}).status_code == 409
    assert client.post(f"{url}/transfer", headers=headers, json={"officer_id": 2_000_000}).status_code == 404

    moved = client.post(f"{url}/transfer", headers=headers, json={"officer_id": other.id})
    assert moved.status_code == 200 and moved.json()["officer_id"] == other.id
    assert client.post(f"{url}/reply", headers=headers, json={"text": "còn tôi?"}).status_code == 403
    assert client.post(f"{url}/reply", headers=other_headers, json={"text": "Tôi tiếp nhận."}).status_code == 201
    assert client.post(f"{url}/resolve", headers=headers).status_code == 403
    back = client.post(f"{url}/transfer", headers=admin_headers, json={"officer_id": officer.id})  # admin may
    assert back.status_code == 200 and back.json()["officer_name"] == officer.full_name
    assert client.post(f"{url}/resolve", headers=admin_headers).status_code == 200  # an admin may close
    texts = [m["text"] for m in get_messages(client, user_id).json()["messages"]]
    assert f"Cuộc trò chuyện đã được chuyển cho cán bộ {other.full_name}." in texts
    with session_scope() as db:
        actions = db.scalars(select(AuditEvent.detail).where(AuditEvent.target == f"handoff:{handoff_id}",
                                                             AuditEvent.action == "handoff.transfer")
                             .order_by(AuditEvent.id)).all()
    assert actions == [{"from_officer_id": officer.id, "to_officer_id": other.id},
                       {"from_officer_id": other.id, "to_officer_id": officer.id}]


def test_admin_assigns_an_unclaimed_handoff(client: TestClient, office_open: None, officers) -> None:
    (officer, headers), _, (_, admin_headers) = officers
    handoff_id = open_via_bot(client, citizen())["handoff_id"]
    assigned = client.post(f"/api/v1/handoffs/{handoff_id}/transfer", headers=admin_headers,
                           json={"officer_id": officer.id})
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
    assert handoff_id in [i["id"] for i in client.get("/api/v1/handoffs/mine", headers=headers).json()]


# --- who may do what -------------------------------------------------------------------------------------------

ROUTES = [("get", "/api/v1/handoffs/queue", None), ("get", "/api/v1/handoffs/mine", None),
          ("get", "/api/v1/handoffs/1", None), ("post", "/api/v1/handoffs/1/claim", None),
          ("post", "/api/v1/handoffs/1/reply", {"text": "chào bạn"}),
          ("post", "/api/v1/handoffs/1/transfer", {"officer_id": 1}), ("post", "/api/v1/handoffs/1/resolve", None)]


def test_every_route_needs_a_staff_login(client: TestClient, officers) -> None:
    (_, headers), _, (_, admin_headers) = officers
    for method, url, body in ROUTES:
        for wrong in ({}, {"Authorization": "Bearer not-a-token"}, bot_headers(client)):  # a citizen, the bot
            response = client.request(method.upper(), url, json=body, headers=wrong)
            assert response.status_code == 401, (url, wrong, response.text)
            assert response.json()["message"]
    for ok in (headers, admin_headers):
        assert client.get("/api/v1/handoffs/queue", headers=ok).status_code == 200
        assert client.get("/api/v1/handoffs/mine", headers=ok).status_code == 200
    # the officer cannot use admin routes: the roles stay distinct
    assert client.get("/api/v1/staff/users", headers=headers).status_code == 403
    assert client.get("/api/v1/staff/users", headers=admin_headers).status_code == 200


def test_bad_ids_are_404(client: TestClient, officers) -> None:
    (_, headers), _, _ = officers
    for raw in ("999999999", "abc", "0", "-1", "99999999999999999999", "1.5"):
        for method, suffix, body in (("GET", "", None), ("POST", "/claim", None), ("POST", "/resolve", None),
                                     ("POST", "/reply", {"text": "chào"}), ("POST", "/transfer", {"officer_id": 1})):
            response = client.request(method, f"/api/v1/handoffs/{raw}{suffix}", headers=headers, json=body)
            assert response.status_code == 404, (raw, suffix, response.text)
            assert response.json()["error"] == "not_found"


def test_reply_is_checked(client: TestClient, office_open: None, officers) -> None:
    (officer, headers), (_, other_headers), _ = officers
    handoff_id = open_via_bot(client, citizen())["handoff_id"]
    url = f"/api/v1/handoffs/{handoff_id}/reply"
    early = client.post(url, headers=headers, json={"text": "chào bạn"})
    assert early.status_code == 409 and early.json()["error"] == "not_claimed"
    client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=headers)
    for text, code in (("", "empty_reply"), ("   \n ", "empty_reply"), ("a" * 4001, "reply_too_long")):
        response = client.post(url, headers=headers, json={"text": text})
        assert response.status_code == 422 and response.json()["error"] == code
    assert "4.000" in client.post(url, headers=headers, json={"text": "a" * 4001}).json()["message"]
    assert client.post(url, headers=headers, json={}).status_code == 422
    assert client.post(url, headers=headers, json={"text": "hi", "html": True}).status_code == 422
    assert client.post(url, headers=headers, json={"text": "á" * 4000}).status_code == 201
    stranger = client.post(url, headers=other_headers, json={"text": "chào"})
    assert stranger.status_code == 403 and officer.full_name in stranger.json()["message"]


# --- concurrency and restarts ----------------------------------------------------------------------------------

def claim_at_once(factory: sessionmaker[Session], officers: list[StaffUser], handoff_id: int) -> dict[int, str]:
    """Each officer claims the handoff in its own thread and session, all at the same moment."""
    outcomes: dict[int, str] = {}
    barrier = threading.Barrier(len(officers))

    def claim(officer: StaffUser) -> None:
        with factory() as db:
            me = db.get(StaffUser, officer.id)
            barrier.wait()
            try:
                handoffs.claim(db, handoff_id, me)
                db.commit()
                outcomes[officer.id] = "won"
            except AppError as error:
                db.rollback()
                outcomes[officer.id] = f"{error.status}: {error.message}"

    threads = [threading.Thread(target=claim, args=(o,)) for o in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def claim_race(factory: sessionmaker[Session], rounds: int = 3) -> None:
    with factory() as db:
        officers = [new_staff(db), new_staff(db)]
        db.commit()
    for _ in range(rounds):
        with factory() as db:
            conversation = Conversation(channel="api", user_id=citizen(), mode=ConversationMode.waiting)
            db.add(conversation)
            db.flush()
            handoff = Handoff(conversation_id=conversation.id, reason="citizen_request", status=HandoffStatus.waiting)
            db.add(handoff)
            db.commit()
            handoff_id, conversation_id = handoff.id, conversation.id
        outcomes = claim_at_once(factory, officers, handoff_id)
        winners = [o for o in officers if outcomes[o.id] == "won"]
        assert len(winners) == 1, outcomes
        [loser] = [o for o in officers if o is not winners[0]]
        assert outcomes[loser.id] == f"409: Cán bộ {winners[0].full_name} đã nhận cuộc trò chuyện này."
        with factory() as db:
            handoff = db.get(Handoff, handoff_id)
            assert handoff.status == HandoffStatus.assigned and handoff.officer_id == winners[0].id
            assert db.get(Conversation, conversation_id).mode == ConversationMode.assigned
            joined = db.scalars(select(Message.text).where(Message.conversation_id == conversation_id,
                                                           Message.author == MessageAuthor.system)).all()
            assert joined == [f"Cán bộ {winners[0].full_name} đã tham gia cuộc trò chuyện."]


def test_two_officers_claim_at_once_on_sqlite(migrated: None) -> None:
    claim_race(get_sessionmaker())


def test_two_officers_claim_at_once_on_postgres(postgres_url: str) -> None:
    upgrade(postgres_url)
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = postgres_url
    command.downgrade(config, "0003")  # migration 0004 is reversible on PostgreSQL too
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    try:
        claim_race(sessionmaker(bind=engine, expire_on_commit=False))
    finally:
        engine.dispose()


def test_claimed_handoff_survives_a_restart(client: TestClient, office_open: None, officers) -> None:
    (officer, headers), _, _ = officers
    user_id = citizen()
    handoff_id = open_via_bot(client, user_id)["handoff_id"]
    assert client.post(f"/api/v1/handoffs/{handoff_id}/claim", headers=headers).status_code == 200
    chat(client, user_id, "Tôi vẫn đang chờ")
    first = client.post(f"/api/v1/handoffs/{handoff_id}/reply", headers=headers, json={"text": "Tôi đang xem."})
    assert first.status_code == 201
    before = client.get(f"/api/v1/handoffs/{handoff_id}", headers=headers).json()

    with TestClient(create_app(), base_url="https://testserver") as restarted:  # same database, same login
        mine = restarted.get("/api/v1/handoffs/mine", headers=headers)
        assert mine.status_code == 200 and handoff_id in [i["id"] for i in mine.json()]
        after = restarted.get(f"/api/v1/handoffs/{handoff_id}", headers=headers).json()
        assert after["messages"] == before["messages"] and after["status"] == "assigned"
        assert after["officer_id"] == officer.id and after["conversation_mode"] == "assigned"
        assert chat(restarted, user_id, "Còn đó không?")["mode"] == "assigned"
        second = restarted.post(f"/api/v1/handoffs/{handoff_id}/reply", headers=headers, json={"text": "Vẫn đây."})
        assert second.status_code == 201
        texts = [m["text"] for m in get_messages(restarted, user_id).json()["messages"]]
        assert texts[-2:] == ["Tôi đang xem.", "Vẫn đây."]


# --- office hours ----------------------------------------------------------------------------------------------

def test_outside_office_hours_a_handoff_is_a_ticket(client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                                    officers) -> None:
    (_, headers), _, _ = officers
    today = dt.datetime.now(VN).date()
    days_off = f"{today - dt.timedelta(days=1)}..{today + dt.timedelta(days=1)}"
    monkeypatch.setattr(client.app.state.settings, "office_schedule", ALWAYS_OPEN)
    monkeypatch.setattr(client.app.state.settings, "holidays", days_off)
    user_id = citizen()
    opened = open_via_bot(client, user_id)
    assert opened["status"] == "ticket" and opened["queue_position"] == 0
    expected = (today + dt.timedelta(days=2)).strftime("%d/%m/%Y")
    assert "ngoài giờ làm việc" in opened["text"] and "từ 0:00" in opened["text"] and expected in opened["text"]
    told = chat(client, user_id, "Tôi cần hỏi về đăng ký khai sinh")
    assert told["mode"] == "waiting"  # the citizen's messages go to the officers, not back to the bot
    assert "ngoài giờ làm việc" in told["replies"][0]["text"] and expected in told["replies"][0]["text"]
    queue = client.get("/api/v1/handoffs/queue", headers=headers).json()
    [item] = [i for i in queue if i["id"] == opened["handoff_id"]]
    assert item["status"] == "ticket"
    claimed = client.post(f"/api/v1/handoffs/{item['id']}/claim", headers=headers)
    assert claimed.status_code == 200 and claimed.json()["status"] == "assigned"


OFFICE = load("mon-fri 07:30-11:30,13:30-17:00", "2026-01-01,2026-09-02,2026-02-14..2026-02-22")


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


@pytest.mark.parametrize(("moment", "is_open", "opens"), [
    ("2026-03-02 07:29", False, "2026-03-02 07:30"),  # Monday, just before opening
    ("2026-03-02 07:30", True, "2026-03-02 07:30"),
    ("2026-03-02 11:29", True, "2026-03-02 11:29"),
    ("2026-03-02 11:30", False, "2026-03-02 13:30"),  # lunch
    ("2026-03-02 12:15", False, "2026-03-02 13:30"),
    ("2026-03-02 16:59", True, "2026-03-02 16:59"),
    ("2026-03-02 17:00", False, "2026-03-03 07:30"),  # evening: tomorrow morning
    ("2026-03-06 18:00", False, "2026-03-09 07:30"),  # Friday evening: Monday
    ("2026-03-07 10:00", False, "2026-03-09 07:30"),  # Saturday
    ("2026-03-08 10:00", False, "2026-03-09 07:30"),  # Sunday
    ("2026-09-02 09:00", False, "2026-09-03 07:30"),  # Quốc khánh (a Wednesday)
    ("2026-09-01 17:30", False, "2026-09-03 07:30"),  # the evening before it
    ("2026-02-13 17:00", False, "2026-02-23 07:30"),  # Tết: nine days off
    ("2025-12-31 23:00", False, "2026-01-02 07:30"),  # New Year's Day
])
def test_office_hours(moment: str, is_open: bool, opens: str) -> None:
    assert OFFICE.is_open(local(moment)) is is_open
    assert OFFICE.next_opening(local(moment)) == local(opens)


def test_office_hours_convert_time_zones_and_describe_themselves() -> None:
    assert OFFICE.is_open(dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.UTC))  # 7:30 in Hà Nội
    assert not OFFICE.is_open(dt.datetime(2026, 3, 2, 0, 29, tzinfo=dt.UTC))
    assert OFFICE.is_open(dt.datetime(2026, 3, 2, 8, 0))  # naive = office local time
    assert OFFICE.describe() == "Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:30–17:00"
    assert load("mon-fri 07:30-11:30; sat 08:00-11:00").describe() == \
        "Thứ Hai – Thứ Sáu, 7:30–11:30; Thứ Bảy, 8:00–11:00"
    assert load("").next_opening(local("2026-03-02 08:00")) is None
    assert describe_opening(local("2026-03-02 13:30"), local("2026-03-02 12:00")) == "13:30 chiều nay"
    assert describe_opening(local("2026-03-03 07:30"), local("2026-03-02 17:10")) == \
        "7:30 sáng mai (thứ Ba, 03/03/2026)"
    assert describe_opening(local("2026-03-09 07:30"), local("2026-03-06 18:00")) == "7:30 sáng thứ Hai, 09/03/2026"


@pytest.mark.parametrize("schedule", ["mon-fry 07:30-11:30", "mon-fri 7h30-11h30", "mon-fri 11:30-07:30",
                                      "mon-fri", "mon-fri 07:00-12:00,11:00-13:00", "mon 25:00-26:00"])
def test_a_wrong_schedule_is_refused_with_the_reason(schedule: str) -> None:
    with pytest.raises(ScheduleError, match=r"không hợp lệ|thiếu|chồng"):
        load(schedule)


def test_a_wrong_holiday_is_refused_with_the_reason() -> None:
    with pytest.raises(ScheduleError, match="ngày nghỉ '2026-13-01'"):
        load("mon-fri 07:30-11:30", "2026-13-01")


def test_estimated_wait_in_words() -> None:
    assert handoffs.describe_wait(None) == "vài phút"
    assert handoffs.describe_wait(20) == "khoảng 1 phút"
    assert handoffs.describe_wait(5 * 60 + 10) == "khoảng 5 phút"
    assert handoffs.describe_wait(2 * 3600) == "khoảng 2 giờ"
