"""The tables the dashboard reads at province scale, with known counts: one row of facts per handoff written by the
handoff service as it happens (opened, claimed, answered, transferred, rated) and equal to what a rebuild writes;
unanswered questions counted by folded wording per day and per month; monthly roll-ups equal to the daily counters'
sums; a long period read from whole months and partial months' days gives the same dashboard as the days alone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from api.core.config import get_settings
from api.db.base import session_scope
from api.db.models import (
    AnalyticsDaily,
    AnalyticsHandoff,
    AnalyticsMonthly,
    AnalyticsUnanswered,
    AnalyticsUnansweredMonthly,
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
from api.services import analytics, analytics_counts, handoffs

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN).astimezone(dt.UTC)


def test_long_periods_read_whole_months_and_the_partial_months_days() -> None:
    d = dt.date
    assert analytics.Filters(d(2024, 11, 4), d(2025, 11, 3)).spans() == (
        [(d(2024, 11, 4), d(2024, 11, 30)), (d(2025, 11, 1), d(2025, 11, 3))], (d(2024, 12, 1), d(2025, 10, 1)))
    assert analytics.Filters(d(2025, 1, 1), d(2025, 12, 31)).spans() == ([], (d(2025, 1, 1), d(2025, 12, 1)))
    assert analytics.Filters(d(2025, 1, 1), d(2025, 3, 31)).spans() == ([(d(2025, 1, 1), d(2025, 3, 31))], None)
    assert analytics.Filters(d(2025, 1, 15), d(2025, 4, 20)).spans() == (
        [(d(2025, 1, 15), d(2025, 1, 31)), (d(2025, 4, 1), d(2025, 4, 20))], (d(2025, 2, 1), d(2025, 3, 1)))


def facts() -> dict[int, dict[str, Any]]:
    with session_scope() as db:
        rows = db.execute(select(AnalyticsHandoff)).scalars().all()
        return {r.handoff_id: {"day": r.day, "channel": r.channel, "reason": r.reason, "procedure": r.procedure_id,
                               "officer": r.officer_id, "rating": r.rating, "claimed": r.claimed_at is not None,
                               "first_reply": r.first_reply_at is not None} for r in rows}


def test_the_handoff_service_keeps_the_facts_as_it_happens(migrated: None) -> None:
    """No refresh in between: each step's facts are written in the step's own transaction."""
    office = get_settings().office()
    with session_scope() as db:
        a = StaffUser(username="rollup-a", full_name="Cán bộ A", role=Role.officer, password_hash="!")
        b = StaffUser(username="rollup-b", full_name="Cán bộ B", role=Role.officer, password_hash="!")
        db.add_all([a, b])
        db.flush()
        officer_a, officer_b = a.id, b.id
    opened = at(2026, 3, 2, 23, 50)  # a Monday, 23:50 in Vietnam (16:50 UTC): the 2nd locally
    with time_machine.travel(opened, tick=False), session_scope() as db:
        handoff, _ = handoffs.open_handoff(db, "telegram:rollup-1", "no_answer", office=office, now=opened,
                                           retrieved=[{"procedure_id": "dang-ky-khai-sinh", "score": 0.4}])
        hid = handoff.id
    assert facts()[hid] == {"day": dt.date(2026, 3, 2), "channel": "telegram", "reason": "no_answer",
                            "procedure": "dang-ky-khai-sinh", "officer": None, "rating": None, "claimed": False,
                            "first_reply": False}
    with time_machine.travel(opened + dt.timedelta(minutes=4), tick=False), session_scope() as db:
        handoffs.claim(db, hid, db.get(StaffUser, officer_a))
    assert facts()[hid]["officer"] == officer_a and facts()[hid]["claimed"] and not facts()[hid]["first_reply"]
    with time_machine.travel(opened + dt.timedelta(minutes=5), tick=False), session_scope() as db:
        handoffs.reply(db, hid, db.get(StaffUser, officer_a), "Chào bạn, tôi là cán bộ một cửa.")
    with session_scope() as db:
        row = db.get(AnalyticsHandoff, hid)
        assert row is not None and row.claimed_at is not None and row.first_reply_at is not None
        assert (analytics_counts._when(row.first_reply_at) - analytics_counts._when(row.claimed_at)
                == dt.timedelta(minutes=1))
    with time_machine.travel(opened + dt.timedelta(minutes=6), tick=False), session_scope() as db:
        handoffs.transfer(db, hid, db.get(StaffUser, officer_a), officer_b)
    assert facts()[hid]["officer"] == officer_b and not facts()[hid]["first_reply"]  # B has not answered yet
    with time_machine.travel(opened + dt.timedelta(minutes=7), tick=False), session_scope() as db:
        handoffs.reply(db, hid, db.get(StaffUser, officer_b), "Tôi tiếp nhận ạ.")
        handoffs.resolve(db, hid, db.get(StaffUser, officer_b))
    with session_scope() as db:
        handoffs.record_rating(db, "telegram:rollup-1", 4)
    assert facts()[hid] == {"day": dt.date(2026, 3, 2), "channel": "telegram", "reason": "no_answer",
                            "procedure": "dang-ky-khai-sinh", "officer": officer_b, "rating": 4, "claimed": True,
                            "first_reply": True}
    day = analytics.Filters(dt.date(2026, 3, 2), dt.date(2026, 3, 2))
    settings = get_settings()
    with session_scope() as db:
        own = analytics.officer_dashboard(db, day, settings.zone(), officer_b)
        assert (own.summary["conversations"], own.summary["first_reply_median_s"], own.summary["csat_avg"]) == (
            1, 180, 4.0)  # B's first reply came 3 minutes after the claim
        assert analytics.officer_dashboard(db, day, settings.zone(), officer_a).summary["conversations"] == 0
    before = facts()
    with session_scope() as db:
        analytics_counts.rebuild(db, settings.zone())
    assert facts() == before  # a rebuild writes the same facts


def test_unanswered_questions_are_counted_by_folded_wording_per_day_and_month(migrated: None) -> None:
    with session_scope() as db:
        for text, moment in [("Làm sao để ĐỔI tên cho con?", at(2025, 5, 3, 9)),
                             ("lam sao de doi ten cho con", at(2025, 5, 3, 10)),
                             ("Làm sao để đổi tên cho con", at(2025, 5, 20, 10)),
                             ("xin giấy phép bán hàng rong", at(2025, 5, 20, 11))]:
            db.add(UnansweredQuestion(text=text, channel="web", created_at=moment))
        db.flush()
        last = db.scalar(select(func.max(UnansweredQuestion.id)))
        analytics_counts.refresh(db, get_settings().zone())
    key = "lam sao de doi ten cho con"
    with session_scope() as db:
        days = db.execute(select(AnalyticsUnanswered.day, AnalyticsUnanswered.text, AnalyticsUnanswered.count)
                          .where(AnalyticsUnanswered.key == key).order_by(AnalyticsUnanswered.day)).all()
        assert [tuple(r) for r in days] == [(dt.date(2025, 5, 3), "lam sao de doi ten cho con", 2),
                                            (dt.date(2025, 5, 20), "Làm sao để đổi tên cho con", 1)]
        month = db.execute(select(AnalyticsUnansweredMonthly.month, AnalyticsUnansweredMonthly.text,
                                  AnalyticsUnansweredMonthly.count, AnalyticsUnansweredMonthly.last_id)
                           .where(AnalyticsUnansweredMonthly.key == key)).one()
        assert tuple(month) == (dt.date(2025, 5, 1), "Làm sao để đổi tên cho con", 3, last - 1)
        may = analytics.Filters(dt.date(2025, 5, 1), dt.date(2025, 5, 31))
        table = analytics.unanswered_groups(db, may, VN)
    assert table.rows == [["Làm sao để đổi tên cho con", 3, 1], ["xin giấy phép bán hàng rong", 1, 1]]
    assert table.links[0] == analytics.FAQ_FROM_QUESTION.format(id=last - 1)


def test_a_year_from_the_monthly_roll_ups_equals_the_days(migrated: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Known counts over three months around a partial month; the monthly rows are the daily rows' sums."""
    with session_scope() as db:
        for n, (moment, channel, decision) in enumerate([(at(2025, 6, 30, 23, 30), "web", "answer"),
                                                         (at(2025, 7, 1, 0, 30), "web", "none"),
                                                         (at(2025, 7, 15, 8), "telegram", "answer"),
                                                         (at(2025, 8, 2, 8), "web", "clarify")]):
            conversation = Conversation(channel=channel, user_id=f"rollup-year-{n}", created_at=moment)
            db.add(conversation)
            db.flush()
            db.add(Message(conversation_id=conversation.id, author=MessageAuthor.citizen, text="…", created_at=moment))
            db.add(TurnOutcome(conversation_id=conversation.id, channel=channel, decision=decision,
                               procedure_id="dang-ky-khai-sinh" if decision == "answer" else None,
                               created_at=moment))
        db.flush()
        analytics_counts.refresh(db, get_settings().zone())
        daily = db.execute(select(AnalyticsDaily.day, AnalyticsDaily.channel, AnalyticsDaily.metric,
                                  AnalyticsDaily.key, AnalyticsDaily.count)).all()
        monthly = {(m, c, k, key): n for m, c, k, key, n in db.execute(
            select(AnalyticsMonthly.month, AnalyticsMonthly.channel, AnalyticsMonthly.metric, AnalyticsMonthly.key,
                   AnalyticsMonthly.count))}
    summed: dict[tuple[Any, ...], int] = {}
    for day, channel, metric, key, count in daily:
        slot = (day.replace(day=1), channel, metric, key)
        summed[slot] = summed.get(slot, 0) + count
    assert monthly == summed and monthly[(dt.date(2025, 7, 1), "web", "conversations", "")] == 1
    settings = get_settings()
    year = analytics.Filters(dt.date(2024, 8, 10), dt.date(2025, 8, 9))  # both Augusts partly: their days
    assert year.spans()[1] == (dt.date(2024, 9, 1), dt.date(2025, 7, 1))

    def read(f: analytics.Filters) -> analytics.Dashboard:
        with session_scope() as db:
            return analytics.dashboard(db, f, settings.zone(), settings.office())

    from_months = read(year)
    web = read(analytics.Filters(year.start, year.end, "web"))
    monkeypatch.setattr(analytics, "MONTHLY_OVER_DAYS", 10_000)
    from_days = read(year)
    assert from_months.summary == from_days.summary
    assert {n: t.rows for n, t in from_months.tables.items()} == {n: t.rows for n, t in from_days.tables.items()}
    assert from_months.trend == from_days.trend
    assert from_months.summary["conversations"] == 4
    assert from_months.summary["decisions"] == {"answer": 2, "none": 1, "clarify": 1}
    assert (web.summary["conversations"], web.summary["decisions"]) == (3, {"answer": 1, "none": 1, "clarify": 1})


@pytest.mark.parametrize("n", [1, 2, 7, 10, 23])
def test_medians_and_p90_picked_in_sql_equal_python(migrated: None, n: int) -> None:
    import random
    import statistics

    day = dt.date(2023, 1, n)  # a day of its own per case
    rng = random.Random(n)
    waits = [round(rng.uniform(0, 900), 1) for _ in range(n)]
    replies = [round(rng.uniform(0, 300), 1) for _ in range(n)]
    with session_scope() as db:
        officer = StaffUser(username=f"rollup-median-{n}", full_name="Cán bộ M", role=Role.officer, password_hash="!")
        db.add(officer)
        db.flush()
        conversation = Conversation(channel="web", user_id=f"rollup-median-{n}", created_at=at(2023, 1, n, 9))
        db.add(conversation)
        db.flush()
        for wait, reply in zip(waits, replies, strict=True):
            handoff = Handoff(conversation_id=conversation.id, reason="citizen_request",
                              status=HandoffStatus.resolved, created_at=at(2023, 1, n, 9))
            db.add(handoff)
            db.flush()
            db.add(AnalyticsHandoff(handoff_id=handoff.id, day=day, channel="web", reason="citizen_request",
                                    officer_id=officer.id, created_at=at(2023, 1, n, 9), wait_seconds=wait,
                                    first_reply_seconds=reply))
        db.flush()
        one_day = analytics.Filters(day, day)
        figures = analytics.handoff_figures(db, one_day)
        officers = analytics.officers_table(db, one_day)
    assert (figures.count, figures.wait_median, figures.wait_p90) == (
        n, statistics.median(waits), analytics.percentile(waits, 0.9))
    assert officers.rows[0][1:3] == [n, round(statistics.median(replies))]
