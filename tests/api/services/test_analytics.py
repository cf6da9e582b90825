"""Every dashboard figure against a seeded database with known counts (days in Asia/Ho_Chi_Minh, a conversation
started at 00:30 local time counted on its local day)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.core.config import get_settings
from api.db.base import session_scope
from api.db.models import (
    Conversation,
    Handoff,
    HandoffStatus,
    Message,
    MessageAuthor,
    Role,
    StaffUser,
    TurnOutcome,
    UnansweredQuestion,
)
from api.services import analytics

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PERIOD = analytics.Filters(dt.date(2025, 11, 1), dt.date(2025, 11, 7))
WEB = analytics.Filters(dt.date(2025, 11, 1), dt.date(2025, 11, 7), "web")
PASSPORT, BIRTH, MARRIAGE = "cap-ho-chieu-pho-thong", "dang-ky-khai-sinh", "dang-ky-ket-hon"


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=VN).astimezone(dt.UTC)


def secs(moment: dt.datetime, seconds: int) -> dt.datetime:
    return moment + dt.timedelta(seconds=seconds)


@pytest.fixture(scope="module")
def seeded(migrated: None) -> Iterator[dict[str, int]]:
    with session_scope() as db:
        a = StaffUser(username="analytics-a", full_name="Cán bộ A", role=Role.officer, password_hash="!")
        b = StaffUser(username="analytics-b", full_name="Cán bộ B", role=Role.officer, password_hash="!")
        db.add_all([a, b])
        c1 = Conversation(channel="web", user_id="a1", created_at=at(3, 8))
        c2 = Conversation(channel="web", user_id="a2", created_at=at(3, 23, 30))
        c3 = Conversation(channel="telegram", user_id="a3", created_at=at(4, 0, 30))  # 17:30 UTC the day before
        c4 = Conversation(channel="telegram", user_id="a4", created_at=at(31, 23, month=10))  # before the period
        db.add_all([c1, c2, c3, c4])
        db.flush()

        def says(conversation: Conversation, author: MessageAuthor, moment: dt.datetime,
                 staff: StaffUser | None = None) -> Message:
            row = Message(conversation_id=conversation.id, author=author, text="…", created_at=moment,
                          staff_id=staff.id if staff else None)
            db.add(row)
            return row

        def turn(conversation: Conversation, moment: dt.datetime, decision: str, procedure: str | None = None,
                 aspect: str | None = None) -> None:
            says(conversation, MessageAuthor.citizen, moment)
            if decision != "busy":
                says(conversation, MessageAuthor.bot, secs(moment, 1))
            db.add(TurnOutcome(conversation_id=conversation.id, channel=conversation.channel, decision=decision,
                               procedure_id=procedure, aspect=aspect, created_at=secs(moment, 1)))

        turn(c1, at(3, 8, 1), "answer", PASSPORT, "fee")
        turn(c1, at(3, 8, 2), "answer", PASSPORT, "documents")
        turn(c1, at(3, 8, 3), "clarify")
        turn(c2, at(3, 23, 31), "none")
        turn(c2, at(3, 23, 32), "handoff", BIRTH)
        turn(c2, at(3, 23, 33), "busy")
        turn(c3, at(4, 0, 31), "answer", BIRTH, "time")
        turn(c4, at(31, 23, 1, month=10), "answer", PASSPORT, "fee")

        def handoff(conversation: Conversation, created: dt.datetime, reason: str, procedure: str | None,
                    officer: StaffUser | None = None, wait: int = 0, reply: int = 0, rating: int | None = None) -> None:
            claimed = secs(created, wait) if officer else None
            db.add(Handoff(conversation_id=conversation.id, reason=reason,
                           status=HandoffStatus.resolved if officer else HandoffStatus.waiting,
                           retrieved=[{"procedure_id": procedure}] if procedure else None,
                           officer_id=officer.id if officer else None, rating=rating, created_at=created,
                           claimed_at=claimed))
            if officer and claimed:
                says(conversation, MessageAuthor.officer, secs(claimed, reply), officer)

        db.flush()
        handoff(c2, at(3, 23, 35), "citizen_request", BIRTH, a, wait=120, reply=30, rating=5)
        handoff(c1, at(3, 9), "no_answer", PASSPORT, a, wait=600, reply=90, rating=2)
        handoff(c3, at(4, 1), "complaint", None, b, wait=3600, reply=10, rating=4)
        handoff(c1, at(5, 10), "citizen_request", PASSPORT)
        handoff(c4, at(31, 23, 30, month=10), "citizen_request", PASSPORT, b, wait=5, reply=5, rating=1)

        for text, channel, moment in [
            ("làm sao để đổi tên con 0912345678", "web", at(3, 10)),
            ("làm sao để đổi tên con 0912345678", "web", at(3, 11)),
            ("Làm sao để đổi tên con", "web", at(4, 9)),
            ('=HYPERLINK("http://x.example","bấm")', "web", at(4, 10)),
            ("thủ tục nhận nuôi chó", "telegram", at(5, 9)),
            ("câu hỏi cũ", "web", at(31, 9, month=10)),
        ]:
            db.add(UnansweredQuestion(text=text, channel=channel, created_at=moment))
        db.flush()
        ids = {"a": a.id, "b": b.id}
    yield ids


def board(f: analytics.Filters = PERIOD) -> analytics.Dashboard:
    settings = get_settings()
    with session_scope() as db:
        return analytics.dashboard(db, f, settings.zone(), settings.office())


def rows(table: analytics.Table, *columns: int) -> list[list[Any]]:
    return [[row[c] for c in columns] for row in table.rows]


def test_counts_rates_and_days(seeded: dict[str, int]) -> None:
    everything = board()
    s = everything.summary
    assert s["conversations"] == 3
    assert s["messages"] == 16 and s["citizen_messages"] == 7
    assert s["decisions"] == {"answer": 3, "clarify": 1, "none": 1, "handoff": 1, "busy": 1}
    assert (s["kb_turns"], s["answer_rate"], s["clarify_rate"], s["none_rate"]) == (5, 60.0, 20.0, 20.0)
    daily = {row[0]: row[1:] for row in everything.tables["daily"].rows}
    assert daily["2025-11-03"] == [2, 13, 2, 1, 1, 2]  # the 23:30 conversation is on the 3rd, local time
    assert daily["2025-11-04"] == [1, 3, 1, 0, 0, 1]  # 00:30 local (17:30 UTC on the 3rd) is the 4th
    assert daily["2025-11-05"] == [0, 0, 0, 0, 0, 1]
    assert len(daily) == 7
    assert dict(everything.trend["answer_rate"])[dt.date(2025, 11, 3)] == 50.0

    web = board(WEB).summary
    assert web["conversations"] == 2 and web["messages"] == 13 and web["citizen_messages"] == 6
    assert (web["kb_turns"], web["answer_rate"], web["clarify_rate"], web["none_rate"]) == (4, 50.0, 25.0, 25.0)


def test_top_procedures_and_aspects(seeded: dict[str, int]) -> None:
    t = board().tables
    assert rows(t["procedures"], 1, 2) == [[PASSPORT, 2], [BIRTH, 1]]
    assert t["procedures"].rows[0][0] != PASSPORT  # the published title, not the id
    assert sorted(rows(t["aspects"], 0, 1)) == [["documents", 1], ["fee", 1], ["time", 1]]
    assert rows(board(WEB).tables["procedures"], 1, 2) == [[PASSPORT, 2]]


def test_handoffs_tickets_waits_and_csat(seeded: dict[str, int]) -> None:
    everything = board()
    s = everything.summary
    assert (s["handoffs"], s["tickets"]) == (4, 1)
    assert (s["wait_median_s"], s["wait_p90_s"]) == (600, 3600)
    assert (s["csat_avg"], s["csat_count"]) == (3.67, 3)
    assert everything.tables["csat"].rows == [[5, 1], [4, 1], [3, 0], [2, 1], [1, 0]]
    assert rows(everything.tables["handoff_procedures"], 1, 2) == [[PASSPORT, 2], [BIRTH, 1]]
    assert rows(everything.tables["csat_procedures"], 1, 2, 3) == [[PASSPORT, 2.0, 1], [BIRTH, 5.0, 1]]

    web = board(WEB).summary
    assert (web["handoffs"], web["tickets"], web["wait_median_s"], web["wait_p90_s"]) == (3, 0, 360, 600)
    assert (web["csat_avg"], web["csat_count"]) == (3.5, 2)


def test_per_officer(seeded: dict[str, int]) -> None:
    officers = board().tables["officers"]
    assert officers.rows == [["Cán bộ A", 2, 60, 3.5, 2], ["Cán bộ B", 1, 10, 4.0, 1]]
    assert officers.links == [f"/console/analytics/officers/{seeded[k]}" for k in ("a", "b")]
    settings = get_settings()
    with session_scope() as db:
        own = analytics.officer_dashboard(db, PERIOD, settings.zone(), seeded["a"])
    assert own.summary == {"conversations": 2, "wait_median_s": 360, "first_reply_median_s": 60,
                           "first_reply_p90_s": 90, "csat_avg": 3.5, "csat_count": 2}
    assert own.tables["csat"].rows == [[5, 1], [4, 0], [3, 0], [2, 1], [1, 0]]
    assert {row[0]: row[1] for row in own.tables["daily"].rows}["2025-11-03"] == 2


def test_unanswered_grouped_by_similarity_and_masked(seeded: dict[str, int]) -> None:
    table = board().tables["unanswered"]
    first = table.rows[0]
    assert first[1:] == [3, 2]  # asked three times, in two wordings
    assert "0912345678" not in first[0] and "đổi tên con" in first[0]
    assert sorted(row[1] for row in table.rows) == [1, 1, 3]
    assert all(link and link.startswith("/console/admin/faqs/new?from_unanswered=") for link in table.links)
    assert [row[0] for row in board(WEB).tables["unanswered"].rows if "nuôi" in row[0]] == []


def test_percentile() -> None:
    assert analytics.percentile([], 0.9) is None
    assert analytics.percentile([5.0], 0.9) == 5.0
    assert analytics.percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert analytics.percentile([3.0, 1.0, 2.0], 0.5) == 2.0


def test_each_export_is_the_dashboards_table(seeded: dict[str, int]) -> None:
    settings = get_settings()
    for f in (PERIOD, WEB):
        shown = board(f).tables
        with session_scope() as db:
            for name, table in shown.items():
                exported = analytics.table(db, f, settings.zone(), settings.office(), name)
                assert exported is not None and (exported.columns, exported.rows) == (table.columns, table.rows), name
            assert analytics.table(db, f, settings.zone(), settings.office(), "nothing") is None
