"""The analytics dashboard's figures: how citizens were served, for leaders, admins and officers. No FastAPI here.

Days are the office's (Asia/Ho_Chi_Minh). Counts of conversations, messages and bot decisions come from the daily
counters (`analytics_counts`, refreshed here when older than a minute); handoffs, waits, ratings and officers from
the handoffs themselves (a small table); unanswered questions from `unanswered_questions` (masked when recorded,
masked again on the way out with the app's one masking function). Every table is a `Table` so the page and the CSV
export show the same rows.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, null, or_, select
from sqlalchemy.orm import Session

from api.core.privacy import mask_pii
from api.core.security import as_utc
from api.db.models import (
    AnalyticsDaily,
    Conversation,
    Handoff,
    Message,
    MessageAuthor,
    StaffUser,
    UnansweredQuestion,
)
from api.domain.office_hours import OfficeHours
from api.services import analytics_counts, kb_store
from knowledge_base.text import fold, normalize

PERIODS = {"7d": ("7 ngày qua", 7), "30d": ("30 ngày qua", 30), "90d": ("90 ngày qua", 90),
           "12m": ("12 tháng qua", 365)}
KB_DECISIONS = ("answer", "clarify", "none")  # the turns where the bot looked in the knowledge base
TOP = 20
UNANSWERED_SCAN = 300  # distinct unanswered texts grouped by similarity (most asked first)
SIMILAR = 0.7  # word overlap (Jaccard) at which two unanswered questions are one group
FAQ_FROM_QUESTION = "/console/admin/faqs/new?from_unanswered={id}"


@dataclass(frozen=True)
class Filters:
    start: dt.date  # first office-local day
    end: dt.date  # last office-local day (included)
    channel: str | None = None  # None: every channel
    period: str = "30d"

    def bounds(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The period as UTC instants: [start of the first day, start of the day after the last)."""
        def start_of(day: dt.date) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
        return start_of(self.start), start_of(self.end + dt.timedelta(days=1))

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def filters_for(period: str, channel: str | None, today: dt.date) -> Filters:
    """The last N days up to today (office-local); an unknown period is the default 30 days."""
    period = period if period in PERIODS else "30d"
    return Filters(today - dt.timedelta(days=PERIODS[period][1] - 1), today, channel or None, period)


@dataclass
class Table:
    """A dashboard table: what the page shows and the CSV exports (`links`: per row, a link for the first cell)."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)


@dataclass
class Dashboard:
    filters: Filters
    summary: dict[str, Any]
    tables: dict[str, Table]
    trend: dict[str, list[tuple[dt.date, float]]]  # series name → (day, value) for each day of the period


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (share 0.5: the median of an odd count, 0.9: p90); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _average(values: Sequence[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# --- counters -------------------------------------------------------------------------------------------------

D = AnalyticsDaily.__table__.c  # Core columns: plain rows, no ORM loading


def _counters(db: Session, f: Filters) -> tuple[dict[tuple[str, str], int], list[str]]:
    """(metric, key) → count over the period and channel, and the channels seen in the period (one scan)."""
    query = (select(D.channel, D.metric, D.key, func.sum(D.count)).where(D.day >= f.start, D.day <= f.end)
             .group_by(D.channel, D.metric, D.key))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    seen: set[str] = set()
    for channel, metric, key, count in db.execute(query):
        seen.add(channel)
        if not f.channel or channel == f.channel:
            counts[(metric, key)] += int(count)
    return dict(counts), sorted(c for c in seen if c)


def _daily(db: Session, f: Filters) -> dict[tuple[str, str], Counter[dt.date]]:
    """Per day: conversations, messages and the knowledge-base decisions — (metric, key) → day → count, and
    (metric, "*") → day → the metric's total."""
    wanted = or_(D.metric.in_(("conversations", "messages")), and_(D.metric == "decisions", D.key.in_(KB_DECISIONS)))
    query = (select(D.day, D.metric, D.key, func.sum(D.count))
             .where(D.day >= f.start, D.day <= f.end, wanted).group_by(D.day, D.metric, D.key))
    if f.channel:
        query = query.where(D.channel == f.channel)
    series: dict[tuple[str, str], Counter[dt.date]] = defaultdict(Counter)
    for day, metric, key, count in db.execute(query):
        series[(metric, key)][day] += int(count)
        series[(metric, "*")][day] += int(count)
    return series


def channels(db: Session) -> list[str]:
    return sorted(c for c in db.scalars(select(D.channel).distinct()) if c)


# --- handoffs -------------------------------------------------------------------------------------------------

@dataclass
class HandoffFact:
    id: int
    reason: str
    procedure_id: str | None
    officer_id: int | None
    rating: int | None
    created_at: dt.datetime
    claimed_at: dt.datetime | None
    first_reply_at: dt.datetime | None

    @property
    def wait_seconds(self) -> float | None:
        return (self.claimed_at - self.created_at).total_seconds() if self.claimed_at else None

    @property
    def first_reply_seconds(self) -> float | None:
        if self.first_reply_at is None or self.claimed_at is None:
            return None
        return max(0.0, (self.first_reply_at - self.claimed_at).total_seconds())


def handoff_facts(db: Session, f: Filters, zone: ZoneInfo, officer_id: int | None = None,
                  first_replies: bool = True) -> list[HandoffFact]:
    """The period's handoffs (opened in it), with the first reply of the officer who claimed each (one index seek
    per handoff: only when asked)."""
    start, end = f.bounds(zone)
    first_reply: Any = null()
    if first_replies:
        first_reply = (select(func.min(Message.created_at))
                       .where(Message.conversation_id == Handoff.conversation_id,
                              Message.author == MessageAuthor.officer, Message.staff_id == Handoff.officer_id,
                              Message.created_at >= Handoff.claimed_at)
                       .correlate(Handoff).scalar_subquery())
    query = (select(Handoff.id, Handoff.reason, Handoff.retrieved, Handoff.officer_id, Handoff.rating,
                    Handoff.created_at, Handoff.claimed_at, first_reply)
             .where(Handoff.created_at >= start, Handoff.created_at < end))
    if f.channel:
        query = query.join(Conversation, Conversation.id == Handoff.conversation_id).where(
            Conversation.channel == f.channel)
    if officer_id is not None:
        query = query.where(Handoff.officer_id == officer_id)
    facts = []
    for hid, reason, retrieved, officer, rating, created, claimed, replied in db.execute(query):
        first = (retrieved or [{}])[0] if isinstance(retrieved, list) else {}
        pid = first.get("procedure_id") if isinstance(first, dict) else None
        facts.append(HandoffFact(hid, reason, pid if isinstance(pid, str) else None, officer, rating,
                                 as_utc(created), as_utc(claimed) if claimed else None,
                                 as_utc(replied) if isinstance(replied, dt.datetime) else _parsed(replied)))
    return facts


def _parsed(value: Any) -> dt.datetime | None:
    """A MIN() over a timestamp column: SQLite gives the stored text."""
    return as_utc(dt.datetime.fromisoformat(value)) if isinstance(value, str) else None


def is_ticket(fact: HandoffFact, office: OfficeHours) -> bool:
    """A ticket: a complaint, or a request made outside office hours (answered when an officer can)."""
    return fact.reason == "complaint" or not office.is_open(fact.created_at)


def _csat(facts: Sequence[HandoffFact]) -> tuple[float | None, list[list[Any]]]:
    ratings = [h.rating for h in facts if h.rating]
    counts = Counter(ratings)
    return _average(ratings), [[stars, counts.get(stars, 0)] for stars in range(5, 0, -1)]


# --- unanswered ------------------------------------------------------------------------------------------------

def _words(text: str) -> frozenset[str]:
    return frozenset(fold(normalize(text)).split())


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= SIMILAR


def unanswered_groups(db: Session, f: Filters, zone: ZoneInfo, limit: int = TOP) -> Table:
    """The most asked questions the bot had no answer for: the same words (folded) or nearly (word overlap ≥
    SIMILAR) are one group, shown by its most asked wording, masked; its link opens the FAQ editor prefilled."""
    start, end = f.bounds(zone)
    Q = UnansweredQuestion
    query = (select(Q.text, func.count(), func.max(Q.id))
             .where(Q.created_at >= start, Q.created_at < end).group_by(Q.text)
             .order_by(func.count().desc(), func.max(Q.id).desc()).limit(UNANSWERED_SCAN))
    if f.channel:
        query = query.where(Q.channel == f.channel)
    groups: list[dict[str, Any]] = []
    for text, count, last_id in db.execute(query):
        words = _words(text)
        group = next((g for g in groups if g["words"] == words or _similar(g["words"], words)), None)
        if group is None:
            groups.append({"text": text, "words": words, "count": int(count), "id": int(last_id), "forms": 1})
        else:
            group["count"] += int(count)
            group["forms"] += 1
            group["id"] = max(group["id"], int(last_id))
    groups.sort(key=lambda g: (-g["count"], -g["id"]))
    table = Table("unanswered", "Câu hỏi chưa trả lời được nhiều nhất",
                  ["Câu hỏi (đã che thông tin cá nhân)", "Số lần hỏi", "Số cách hỏi"])
    for group in groups[:limit]:
        table.rows.append([mask_pii(group["text"]), group["count"], group["forms"]])
        table.links.append(FAQ_FROM_QUESTION.format(id=group["id"]))
    return table


# --- the dashboards --------------------------------------------------------------------------------------------

def _titles(db: Session, ids: list[str]) -> dict[str, str]:
    return kb_store.published_titles(db, ids) if ids else {}


def _procedure_table(db: Session, name: str, title: str, counts: Counter[str], column: str) -> Table:
    top = counts.most_common(TOP)
    titles = _titles(db, [pid for pid, _ in top])
    return Table(name, title, ["Thủ tục", "Mã", column], [[titles.get(pid, pid), pid, n] for pid, n in top])


def officer_names(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.execute(select(StaffUser.id, StaffUser.full_name).where(StaffUser.id.in_(ids))).tuples().all())


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


def _counter_tables(db: Session, counts: dict[tuple[str, str], int]) -> dict[str, Table]:
    decisions = {key: n for (metric, key), n in counts.items() if metric == "decisions"}
    asked = Counter({key: n for (metric, key), n in counts.items() if metric == "procedures"})
    aspects = Counter({key: n for (metric, key), n in counts.items() if metric == "aspects"})
    return {
        "decisions": Table("decisions", "Lượt trả lời của trợ lý theo kết quả", ["Kết quả", "Số lượt"],
                           [[d, n] for d, n in sorted(decisions.items(), key=lambda item: -item[1])]),
        "procedures": _procedure_table(db, "procedures", "Thủ tục được hỏi nhiều nhất", asked, "Số lượt trả lời"),
        "aspects": Table("aspects", "Nội dung được hỏi", ["Nội dung", "Số lượt trả lời"],
                         [[a, n] for a, n in aspects.most_common(TOP)]),
    }


def _daily_table(db: Session, f: Filters, zone: ZoneInfo,
                 facts: Sequence[HandoffFact]) -> tuple[Table, dict[str, list[tuple[dt.date, float]]]]:
    """The daily table and the trend charts' series."""
    series = _daily(db, f)
    handoffs_by_day = Counter(h.created_at.astimezone(zone).date() for h in facts)
    daily = Table("daily", "Theo ngày", ["Ngày", "Cuộc trò chuyện", "Tin nhắn", "Trả lời", "Hỏi lại",
                                         "Không có câu trả lời", "Chuyển cán bộ"])
    for day in f.days:
        daily.rows.append([day.isoformat(), series[("conversations", "")][day], series[("messages", "*")][day],
                           series[("decisions", "answer")][day], series[("decisions", "clarify")][day],
                           series[("decisions", "none")][day], handoffs_by_day[day]])
    trend = {
        "conversations": [(d, float(series[("conversations", "")][d])) for d in f.days],
        "messages": [(d, float(series[("messages", "*")][d])) for d in f.days],
        "answer_rate": [(d, _rate(series[("decisions", "answer")][d], sum(
            series[("decisions", k)][d] for k in KB_DECISIONS)) or 0.0) for d in f.days],
        "handoffs": [(d, float(handoffs_by_day[d])) for d in f.days],
    }
    return daily, trend


def dashboard(db: Session, f: Filters, zone: ZoneInfo, office: OfficeHours,
              now: dt.datetime | None = None) -> Dashboard:
    """Everything an admin sees for the period and channel."""
    analytics_counts.refresh_if_stale(db, zone, now)
    counts, seen_channels = _counters(db, f)
    decisions = {key: n for (metric, key), n in counts.items() if metric == "decisions"}
    searched = sum(decisions.get(d, 0) for d in KB_DECISIONS)
    facts = handoff_facts(db, f, zone)
    waits = [w for h in facts if (w := h.wait_seconds) is not None]
    csat_avg, distribution = _csat(facts)
    summary: dict[str, Any] = {
        "channels": seen_channels,
        "conversations": counts.get(("conversations", ""), 0),
        "messages": sum(n for (metric, _), n in counts.items() if metric == "messages"),
        "citizen_messages": counts.get(("messages", "citizen"), 0),
        "decisions": decisions,
        "kb_turns": searched,
        **{f"{d}_rate": _rate(decisions.get(d, 0), searched) for d in KB_DECISIONS},
        "handoffs": len(facts),
        "tickets": sum(is_ticket(h, office) for h in facts),
        "wait_median_s": _seconds(_median(waits)),
        "wait_p90_s": _seconds(percentile(waits, 0.9)),
        "csat_avg": csat_avg,
        "csat_count": sum(n for _, n in distribution),
    }
    daily, trend = _daily_table(db, f, zone, facts)
    tables = {**_counter_tables(db, counts), "unanswered": unanswered_groups(db, f, zone),
              **_handoff_tables(db, facts), "daily": daily}
    return Dashboard(f, summary, tables, trend)


HANDOFF_TABLES = ("csat", "handoff_procedures", "csat_procedures", "officers")


def table(db: Session, f: Filters, zone: ZoneInfo, office: OfficeHours, name: str,
          now: dt.datetime | None = None) -> Table | None:
    """One dashboard table (the CSV export), computing only what it needs; None for an unknown name."""
    if name == "unanswered":
        return unanswered_groups(db, f, zone)
    if name in HANDOFF_TABLES:
        return _handoff_tables(db, handoff_facts(db, f, zone, first_replies=name == "officers"))[name]
    if name not in ("decisions", "procedures", "aspects", "daily"):
        return None
    analytics_counts.refresh_if_stale(db, zone, now)
    if name == "daily":
        return _daily_table(db, f, zone, handoff_facts(db, f, zone, first_replies=False))[0]
    return _counter_tables(db, _counters(db, f)[0])[name]


def _handoff_tables(db: Session, facts: Sequence[HandoffFact]) -> dict[str, Table]:
    handed = Counter(h.procedure_id for h in facts if h.procedure_id)
    rated: dict[str, list[int]] = defaultdict(list)
    for h in facts:
        if h.procedure_id and h.rating:
            rated[h.procedure_id].append(h.rating)
    low = sorted(rated.items(), key=lambda item: (sum(item[1]) / len(item[1]), -len(item[1]), item[0]))[:TOP]
    low_titles = _titles(db, [pid for pid, _ in low])
    return {
        "handoff_procedures": _procedure_table(db, "handoff_procedures", "Thủ tục chuyển cán bộ nhiều nhất", handed,
                                               "Số lần chuyển"),
        "csat_procedures": Table("csat_procedures", "Thủ tục có mức hài lòng thấp nhất",
                                 ["Thủ tục", "Mã", "Điểm trung bình", "Số đánh giá"],
                                 [[low_titles.get(pid, pid), pid, _average(r), len(r)] for pid, r in low]),
        "csat": Table("csat", "Phân bố đánh giá", ["Số sao", "Số đánh giá"], _csat(facts)[1]),
        "officers": officers_table(db, facts),
    }


def officers_table(db: Session, facts: Sequence[HandoffFact]) -> Table:
    by_officer: dict[int, list[HandoffFact]] = defaultdict(list)
    for h in facts:
        if h.officer_id is not None:
            by_officer[h.officer_id].append(h)
    names = officer_names(db, set(by_officer))
    table = Table("officers", "Theo cán bộ", ["Cán bộ", "Cuộc trò chuyện", "Trả lời đầu tiên (trung vị, giây)",
                                             "Điểm hài lòng", "Số đánh giá"])
    for officer_id, handled in sorted(by_officer.items(), key=lambda item: (-len(item[1]), item[0])):
        ratings = [h.rating for h in handled if h.rating]
        replies = [s for h in handled if (s := h.first_reply_seconds) is not None]
        table.rows.append([names.get(officer_id, f"#{officer_id}"), len({h.id for h in handled}),
                           _seconds(_median(replies)), _average(ratings), len(ratings)])
        table.links.append(f"/console/analytics/officers/{officer_id}")
    return table


def officer_dashboard(db: Session, f: Filters, zone: ZoneInfo, officer_id: int) -> Dashboard:
    """One officer's own numbers: the conversations they took, how fast they first replied, their ratings."""
    facts = handoff_facts(db, f, zone, officer_id)
    waits = [w for h in facts if (w := h.wait_seconds) is not None]
    replies = [s for h in facts if (s := h.first_reply_seconds) is not None]
    csat_avg, distribution = _csat(facts)
    summary = {"conversations": len(facts), "wait_median_s": _seconds(_median(waits)),
               "first_reply_median_s": _seconds(_median(replies)),
               "first_reply_p90_s": _seconds(percentile(replies, 0.9)), "csat_avg": csat_avg,
               "csat_count": sum(n for _, n in distribution)}
    handled = Counter(h.created_at.astimezone(zone).date() for h in facts)
    daily = Table("daily", "Theo ngày", ["Ngày", "Cuộc trò chuyện"], [[d.isoformat(), handled[d]] for d in f.days])
    tables = {"csat": Table("csat", "Phân bố đánh giá", ["Số sao", "Số đánh giá"], distribution), "daily": daily}
    return Dashboard(f, summary, tables, {"conversations": [(d, float(handled[d])) for d in f.days]})
