"""The analytics dashboard's figures: how citizens were served, for leaders, admins and officers. No FastAPI here.

Days are the office's (Asia/Ho_Chi_Minh). Everything is read from the tables `analytics_counts` keeps up (refreshed
here when older than a minute), never from the raw messages: counts of conversations, messages and bot decisions
from the daily counters (a period over 90 days reads its whole months from the monthly roll-ups); handoffs, waits,
first replies, ratings and officers from one row of facts per handoff; unanswered questions from their counts per
day (or month) and folded wording (masked when recorded, masked again on the way out with the app's one masking
function). Every table is a `Table` so the page and the CSV export show the same rows.
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

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from api.core.privacy import mask_pii
from api.core.security import as_utc
from api.db.models import (
    AnalyticsDaily,
    AnalyticsHandoff,
    AnalyticsMonthly,
    AnalyticsUnanswered,
    AnalyticsUnansweredMonthly,
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
MONTHLY_OVER_DAYS = 90  # a longer period reads its whole months from the monthly roll-ups


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

    def spans(self) -> tuple[list[tuple[dt.date, dt.date]], tuple[dt.date, dt.date] | None]:
        """Where the period's counts are read: day ranges (first, last) from the daily rows and whole months
        (first month, last month) from the monthly roll-ups — only for periods over MONTHLY_OVER_DAYS."""
        if (self.end - self.start).days + 1 <= MONTHLY_OVER_DAYS:
            return [(self.start, self.end)], None
        first = self.start if self.start.day == 1 else _next_month(self.start)
        after = (self.end + dt.timedelta(days=1)).replace(day=1)  # the first month not wholly in the period
        if first >= after:
            return [(self.start, self.end)], None
        ranges = []
        if self.start < first:
            ranges.append((self.start, first - dt.timedelta(days=1)))
        if after <= self.end:
            ranges.append((after, self.end))
        return ranges, (first, (after - dt.timedelta(days=1)).replace(day=1))


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


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
M = AnalyticsMonthly.__table__.c


def _counters(db: Session, f: Filters) -> tuple[dict[tuple[str, str], int], list[str]]:
    """(metric, key) → count over the period and channel, and the channels seen in the period (one scan of the
    daily rows, or of the whole months' roll-ups and the partial months' days)."""
    ranges, months = f.spans()
    queries = [select(D.channel, D.metric, D.key, func.sum(D.count)).where(D.day >= first, D.day <= last)
               .group_by(D.channel, D.metric, D.key) for first, last in ranges]
    if months:
        queries.append(select(M.channel, M.metric, M.key, func.sum(M.count))
                       .where(M.month >= months[0], M.month <= months[1]).group_by(M.channel, M.metric, M.key))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    seen: set[str] = set()
    for query in queries:
        for channel, metric, key, count in db.execute(query).all():
            seen.add(channel)
            if not f.channel or channel == f.channel:
                counts[(metric, key)] += int(count)
    return dict(counts), sorted(c for c in seen if c)


def _daily(db: Session, f: Filters) -> dict[tuple[str, str], Counter[dt.date]]:
    """Per day: conversations, messages and the knowledge-base decisions — (metric, key) → day → count, and
    (metric, "*") → day → the metric's total."""
    # metric first: the series index (metric, day, …, count) reads these rows only, not the procedures' and aspects'
    query = (select(D.day, D.metric, D.key, func.sum(D.count))
             .where(D.metric.in_(("conversations", "messages", "decisions")), D.day >= f.start, D.day <= f.end)
             .group_by(D.day, D.metric, D.key))
    if f.channel:
        query = query.where(D.channel == f.channel)
    series: dict[tuple[str, str], Counter[dt.date]] = defaultdict(Counter)
    for day, metric, key, count in db.execute(query).all():
        if metric == "decisions" and key not in KB_DECISIONS:
            continue
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


H = AnalyticsHandoff.__table__.c


def handoff_facts(db: Session, f: Filters, officer_id: int | None = None) -> list[HandoffFact]:
    """The period's handoffs (opened in it), from their facts rows (one row each, kept up by the handoff service)."""
    query = (select(H.handoff_id, H.reason, H.procedure_id, H.officer_id, H.rating, H.created_at, H.claimed_at,
                    H.first_reply_at).where(H.day >= f.start, H.day <= f.end))
    if f.channel:
        query = query.where(H.channel == f.channel)
    if officer_id is not None:
        query = query.where(H.officer_id == officer_id)
    return [HandoffFact(hid, reason, procedure, officer, rating, as_utc(created),
                        as_utc(claimed) if claimed else None, as_utc(replied) if replied else None)
            for hid, reason, procedure, officer, rating, created, claimed, replied in db.execute(query).all()]


def _csat(facts: Sequence[HandoffFact]) -> tuple[float | None, list[list[Any]]]:
    ratings = [h.rating for h in facts if h.rating]
    counts = Counter(ratings)
    return _average(ratings), [[stars, counts.get(stars, 0)] for stars in range(5, 0, -1)]


# --- unanswered ------------------------------------------------------------------------------------------------

def _words(text: str) -> frozenset[str]:
    return frozenset(fold(normalize(text)).split())


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= SIMILAR


U = AnalyticsUnanswered.__table__.c
UM = AnalyticsUnansweredMonthly.__table__.c


def _unanswered_counts(db: Session, f: Filters) -> list[tuple[str, int, int]]:
    """(latest wording, times asked, latest id) per folded wording over the period and channel, most asked first
    (at most UNANSWERED_SCAN): summed in SQL from the daily counts, or the whole months' and the partial months'
    days; the wordings read by id afterwards (only those shown)."""
    ranges, months = f.spans()
    channel = [U.channel == f.channel] if f.channel else []
    queries = [select(U.key, func.sum(U.count), func.max(U.last_id)).where(U.day >= first, U.day <= last, *channel)
               .group_by(U.key) for first, last in ranges]
    if months:
        queries.append(select(UM.key, func.sum(UM.count), func.max(UM.last_id))
                       .where(UM.month >= months[0], UM.month <= months[1],
                              *([UM.channel == f.channel] if f.channel else [])).group_by(UM.key))
    found: dict[str, list[int]] = {}
    for query in queries:
        for key, count, last_id in db.execute(query).all():
            row = found.setdefault(key, [0, 0])
            row[0] += int(count)
            row[1] = max(row[1], int(last_id))
    top = sorted(found.values(), key=lambda row: (-row[0], -row[1]))[:UNANSWERED_SCAN]
    ids = [last_id for _, last_id in top]
    texts: dict[int, str] = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        texts.update(db.execute(select(UnansweredQuestion.id, UnansweredQuestion.text)
                                .where(UnansweredQuestion.id.in_(part))).tuples().all())
        missing = [i for i in part if i not in texts]  # purged since: the wording kept with the counts
        for table in (U, UM):
            if missing:
                texts.update(db.execute(select(table.last_id, table.text).where(table.last_id.in_(missing)))
                             .tuples().all())
                missing = [i for i in missing if i not in texts]
    return [(texts.get(last_id, ""), count, last_id) for count, last_id in top]


def unanswered_groups(db: Session, f: Filters, zone: ZoneInfo, limit: int = TOP) -> Table:
    """The most asked questions the bot had no answer for: the same words (folded) or nearly (word overlap ≥
    SIMILAR) are one group, shown by its most asked wording, masked; its link opens the FAQ editor prefilled."""
    groups: list[dict[str, Any]] = []
    for text, count, last_id in _unanswered_counts(db, f):
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
    """Published titles of procedures, read once per request (the session's info holds those already read)."""
    known: dict[str, str] = db.info.setdefault("analytics_titles", {})
    missing = [pid for pid in ids if pid not in known]
    if missing:
        known.update(kb_store.published_titles(db, missing))
        known.update({pid: pid for pid in missing if pid not in known})
    return {pid: known[pid] for pid in ids}


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


def _daily_table(db: Session, f: Filters) -> tuple[Table, dict[str, list[tuple[dt.date, float]]]]:
    """The daily table and the trend charts' series."""
    series = _daily(db, f)
    handoffs_by_day: Counter[dt.date] = Counter()
    for day, count in db.execute(select(H.day, func.count()).where(*_handoffs_of(f)).group_by(H.day)).all():
        handoffs_by_day[_as_date(day)] += int(count)
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


@dataclass
class HandoffFigures:
    """The period's handoffs summed in SQL from their facts rows (no timestamps read)."""

    count: int
    tickets: int
    wait_median: float | None
    wait_p90: float | None
    ratings: Counter[int]  # stars → how many ratings


def _handoffs_of(f: Filters, officer_id: int | None = None) -> list[Any]:
    conditions: list[Any] = [H.day >= f.start, H.day <= f.end]
    if f.channel:
        conditions.append(H.channel == f.channel)
    if officer_id is not None:
        conditions.append(H.officer_id == officer_id)
    return conditions


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _ranked(db: Session, column: Any, where: list[Any],
            share: float | None = None) -> dict[Any, tuple[float, float | None]]:
    """Per officer (or None for all): the median of a column's non-null values (statistics.median: the middle one,
    or the mean of the middle two) and, with `share`, its nearest-rank percentile — picked in SQL with window
    functions, so only those rows leave the database."""
    partition = H.officer_id if share is None else None
    ranked = select(H.officer_id.label("who") if partition is not None else column.label("who"),
                    column.label("v"),
                    func.row_number().over(partition_by=partition, order_by=column).label("rn"),
                    func.count().over(partition_by=partition).label("n")).where(*where, column.is_not(None)).subquery()
    rn, n = ranked.c.rn, ranked.c.n
    wanted = [rn == (n + 1) // 2, rn == n // 2 + 1]
    tenths = round((share or 0) * 10)  # nearest rank: ceil(share × n) = (n × tenths + 9) // 10, in integers
    if share is not None:
        wanted.append(rn == (n * tenths + 9) // 10)
    middles: dict[Any, list[float]] = defaultdict(list)
    ranks: dict[Any, float] = {}
    for who, value, rank, count in db.execute(select(ranked.c.who, ranked.c.v, rn, n).where(or_(*wanted))).all():
        who = who if partition is not None else None
        rank, count = int(rank), int(count)
        if rank in ((count + 1) // 2, count // 2 + 1):
            middles[who].append(float(value))
        if share is not None and rank == (count * tenths + 9) // 10:
            ranks[who] = float(value)
    return {who: (sum(values) / len(values), ranks.get(who)) for who, values in middles.items()}


def handoff_figures(db: Session, f: Filters) -> HandoffFigures:
    where = _handoffs_of(f)
    count, tickets = db.execute(select(func.count(), func.sum(case((H.ticket, 1), else_=0))).where(*where)).one()
    median, p90 = _ranked(db, H.wait_seconds, where, 0.9).get(None, (None, None))
    ratings = Counter({int(stars): int(n) for stars, n in db.execute(
        select(H.rating, func.count()).where(*where, H.rating > 0).group_by(H.rating))})
    return HandoffFigures(int(count or 0), int(tickets or 0), median, p90, ratings)


def _distribution(ratings: Counter[int]) -> tuple[float | None, list[list[Any]]]:
    total = sum(ratings.values())
    average = round(sum(stars * n for stars, n in ratings.items()) / total, 2) if total else None
    return average, [[stars, ratings.get(stars, 0)] for stars in range(5, 0, -1)]


def dashboard(db: Session, f: Filters, zone: ZoneInfo, office: OfficeHours,
              now: dt.datetime | None = None) -> Dashboard:
    """Everything an admin sees for the period and channel."""
    analytics_counts.refresh_if_stale(db, zone, now)
    counts, seen_channels = _counters(db, f)
    decisions = {key: n for (metric, key), n in counts.items() if metric == "decisions"}
    searched = sum(decisions.get(d, 0) for d in KB_DECISIONS)
    handed = handoff_figures(db, f)
    csat_avg, distribution = _distribution(handed.ratings)
    summary: dict[str, Any] = {
        "channels": seen_channels,
        "conversations": counts.get(("conversations", ""), 0),
        "messages": sum(n for (metric, _), n in counts.items() if metric == "messages"),
        "citizen_messages": counts.get(("messages", "citizen"), 0),
        "decisions": decisions,
        "kb_turns": searched,
        **{f"{d}_rate": _rate(decisions.get(d, 0), searched) for d in KB_DECISIONS},
        "handoffs": handed.count,
        "tickets": handed.tickets,
        "wait_median_s": _seconds(handed.wait_median),
        "wait_p90_s": _seconds(handed.wait_p90),
        "csat_avg": csat_avg,
        "csat_count": sum(n for _, n in distribution),
    }
    daily, trend = _daily_table(db, f)
    tables = {**_counter_tables(db, counts), "unanswered": unanswered_groups(db, f, zone),
              **{name: _handoff_table(db, f, name, handed) for name in HANDOFF_TABLES}, "daily": daily}
    return Dashboard(f, summary, tables, trend)


HANDOFF_TABLES = ("csat", "handoff_procedures", "csat_procedures", "officers")


def table(db: Session, f: Filters, zone: ZoneInfo, office: OfficeHours, name: str,
          now: dt.datetime | None = None) -> Table | None:
    """One dashboard table (the CSV export), computing only what it needs; None for an unknown name."""
    if name not in ("unanswered", *HANDOFF_TABLES, "decisions", "procedures", "aspects", "daily"):
        return None
    analytics_counts.refresh_if_stale(db, zone, now)
    if name == "unanswered":
        return unanswered_groups(db, f, zone)
    if name in HANDOFF_TABLES:
        return _handoff_table(db, f, name)
    if name == "daily":
        return _daily_table(db, f)[0]
    return _counter_tables(db, _counters(db, f)[0])[name]


def _handoff_table(db: Session, f: Filters, name: str, figures: HandoffFigures | None = None) -> Table:
    """One of the handoff tables, summed in SQL over the period's facts rows."""
    where = _handoffs_of(f)
    if name == "csat":
        ratings = figures.ratings if figures else Counter({int(stars): int(n) for stars, n in db.execute(
            select(H.rating, func.count()).where(*where, H.rating > 0).group_by(H.rating))})
        return Table("csat", "Phân bố đánh giá", ["Số sao", "Số đánh giá"], _distribution(ratings)[1])
    if name == "handoff_procedures":
        handed = Counter({pid: int(n) for pid, n in db.execute(
            select(H.procedure_id, func.count()).where(*where, H.procedure_id.is_not(None))
            .group_by(H.procedure_id).order_by(func.count().desc(), H.procedure_id).limit(TOP))})
        return _procedure_table(db, "handoff_procedures", "Thủ tục chuyển cán bộ nhiều nhất", handed,
                                "Số lần chuyển")
    if name == "csat_procedures":
        rated = [(pid, int(total), int(n)) for pid, total, n in db.execute(
            select(H.procedure_id, func.sum(H.rating), func.count(H.rating))
            .where(*where, H.procedure_id.is_not(None), H.rating > 0).group_by(H.procedure_id))]
        low = sorted(rated, key=lambda item: (item[1] / item[2], -item[2], item[0]))[:TOP]
        titles = _titles(db, [pid for pid, _, _ in low])
        return Table("csat_procedures", "Thủ tục có mức hài lòng thấp nhất",
                     ["Thủ tục", "Mã", "Điểm trung bình", "Số đánh giá"],
                     [[titles.get(pid, pid), pid, round(total / n, 2), n] for pid, total, n in low])
    return officers_table(db, f)


def officers_table(db: Session, f: Filters) -> Table:
    """Per officer who claimed a handoff of the period: how many, median first reply, CSAT."""
    where = [*_handoffs_of(f), H.officer_id.is_not(None)]
    rated = H.rating > 0
    rows = db.execute(select(H.officer_id, func.count(), func.sum(case((rated, H.rating), else_=0)),
                             func.sum(case((rated, 1), else_=0))).where(*where).group_by(H.officer_id)).all()
    replies = _ranked(db, H.first_reply_seconds, where)
    names = officer_names(db, {officer_id for officer_id, *_ in rows})
    table = Table("officers", "Theo cán bộ", ["Cán bộ", "Cuộc trò chuyện", "Trả lời đầu tiên (trung vị, giây)",
                                             "Điểm hài lòng", "Số đánh giá"])
    for officer_id, handled, total, rated in sorted(rows, key=lambda row: (-row[1], row[0])):
        table.rows.append([names.get(officer_id, f"#{officer_id}"), int(handled),
                           _seconds(replies.get(officer_id, (None, None))[0]),
                           round(int(total) / int(rated), 2) if rated else None, int(rated or 0)])
        table.links.append(f"/console/analytics/officers/{officer_id}")
    return table


def officer_dashboard(db: Session, f: Filters, zone: ZoneInfo, officer_id: int,
                      now: dt.datetime | None = None) -> Dashboard:
    """One officer's own numbers: the conversations they took, how fast they first replied, their ratings."""
    analytics_counts.refresh_if_stale(db, zone, now)
    facts = handoff_facts(db, f, officer_id)
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
