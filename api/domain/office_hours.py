"""Office hours and public holidays of the one-stop shop (pure: no database, no FastAPI).

The schedule is written as in the settings, e.g. ``"mon-fri 07:30-11:30,13:30-17:00; sat 07:30-11:30"``
(groups separated by ";": days, then time ranges), holidays as ``"2026-01-01,2026-02-14..2026-02-22"``.
Times are local to the office's time zone (Asia/Ho_Chi_Minh). A naive datetime is taken as that local
time; an aware one is converted.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
_IN_SENTENCE = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_TIME_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_MAX_HOLIDAY_RANGE_DAYS = 60
_SEARCH_DAYS = 400  # how far next_opening looks ahead (a year and its holidays)

Interval = tuple[int, int]  # minutes since midnight, [start, end)


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class OfficeHours:
    week: tuple[tuple[Interval, ...], ...]  # index 0 = Monday
    holidays: frozenset[dt.date]
    tz: ZoneInfo

    def local(self, now: dt.datetime) -> dt.datetime:
        return now.replace(tzinfo=self.tz) if now.tzinfo is None else now.astimezone(self.tz)

    def intervals(self, day: dt.date) -> tuple[Interval, ...]:
        return () if day in self.holidays else self.week[day.weekday()]

    def is_open(self, now: dt.datetime) -> bool:
        local = self.local(now)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.intervals(local.date()))

    def next_opening(self, now: dt.datetime) -> dt.datetime | None:
        """When the office is next open (local, aware): `now` itself while open; None if it never opens."""
        local = self.local(now)
        if self.is_open(local):
            return local
        minute = local.hour * 60 + local.minute
        for offset in range(_SEARCH_DAYS):
            day = local.date() + dt.timedelta(days=offset)
            for start, _ in self.intervals(day):
                if offset or start > minute:
                    return dt.datetime.combine(day, dt.time(start // 60, start % 60), tzinfo=self.tz)
        return None

    def describe(self) -> str:
        """The weekly schedule in Vietnamese: "Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:30–17:00"."""
        parts: list[str] = []
        day = 0
        while day < 7:
            if not self.week[day]:
                day += 1
                continue
            last = day
            while last + 1 < 7 and self.week[last + 1] == self.week[day]:
                last += 1
            days = DAY_NAMES[day] if last == day else f"{DAY_NAMES[day]} – {DAY_NAMES[last]}"
            times = " và ".join(f"{_clock(start)}–{_clock(end)}" for start, end in self.week[day])
            parts.append(f"{days}, {times}")
            day = last + 1
        return "; ".join(parts) or "chưa có lịch làm việc"


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _day_index(name: str, spec: str) -> int:
    key = name.strip().lower()
    if len(key) < 3 or key[:3] not in DAYS:
        raise ScheduleError(f"ngày '{name}' không hợp lệ trong lịch '{spec}' (dùng mon, tue, wed, thu, fri, sat, sun)")
    return DAYS.index(key[:3])


def _days(text: str, spec: str) -> list[int]:
    found: list[int] = []
    for part in text.split(","):
        first, sep, last = part.partition("-")
        start = _day_index(first, spec)
        end = _day_index(last, spec) if sep else start
        found.extend((start + i) % 7 for i in range((end - start) % 7 + 1))
    return found


def _interval(text: str, spec: str) -> Interval:
    match = _TIME_RANGE.match(text.strip())
    if not match:
        raise ScheduleError(f"khoảng giờ '{text.strip()}' không hợp lệ trong lịch '{spec}' (ví dụ 07:30-11:30)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or h1 > 23 or end > 24 * 60 or start >= end:
        raise ScheduleError(f"khoảng giờ '{text.strip()}' không hợp lệ trong lịch '{spec}'")
    return start, end


def parse_schedule(spec: str) -> tuple[tuple[Interval, ...], ...]:
    week: list[list[Interval]] = [[] for _ in range(7)]
    for group in filter(None, (g.strip() for g in spec.split(";"))):
        days, _, times = group.partition(" ")
        if not times.strip():
            raise ScheduleError(f"thiếu giờ làm việc sau '{days}' trong lịch '{spec}'")
        intervals = [_interval(t, spec) for t in times.split(",") if t.strip()]
        for day in _days(days, spec):
            week[day].extend(intervals)
    for intervals in week:
        intervals.sort()
        for (_, end), (start, _) in itertools.pairwise(intervals):
            if start < end:
                raise ScheduleError(f"các khoảng giờ chồng lên nhau trong lịch '{spec}'")
    return tuple(tuple(intervals) for intervals in week)


def parse_holidays(spec: str) -> frozenset[dt.date]:
    days: set[dt.date] = set()
    for item in filter(None, (i.strip() for i in spec.split(","))):
        first, sep, last = item.partition("..")
        try:
            start = dt.date.fromisoformat(first.strip())
            end = dt.date.fromisoformat(last.strip()) if sep else start
        except ValueError:
            message = f"ngày nghỉ '{item}' không hợp lệ (dùng YYYY-MM-DD hoặc YYYY-MM-DD..YYYY-MM-DD)"
            raise ScheduleError(message) from None
        if not 0 <= (end - start).days <= _MAX_HOLIDAY_RANGE_DAYS:
            raise ScheduleError(f"khoảng ngày nghỉ '{item}' không hợp lệ")
        days.update(start + dt.timedelta(days=i) for i in range((end - start).days + 1))
    return frozenset(days)


@lru_cache(maxsize=16)
def load(schedule: str, holidays: str = "", timezone: str = "Asia/Ho_Chi_Minh") -> OfficeHours:
    """Parse the settings' strings (cached); raises ScheduleError with a Vietnamese explanation."""
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"múi giờ '{timezone}' không hợp lệ") from None
    return OfficeHours(week=parse_schedule(schedule), holidays=parse_holidays(holidays), tz=tz)


def describe_opening(when: dt.datetime, now: dt.datetime) -> str:
    """When the office opens, for a citizen: "13:30 chiều nay", "7:30 sáng mai (thứ Ba, 06/01/2026)",
    "7:30 sáng thứ Hai, 05/01/2026". `when` is aware (as next_opening returns it)."""
    tz = when.tzinfo
    today = (now.astimezone(tz) if now.tzinfo else now.replace(tzinfo=tz)).date()
    hour = when.hour
    part = "sáng" if hour < 11 else "trưa" if hour < 13 else "chiều" if hour < 18 else "tối"
    clock = f"{hour}:{when.minute:02d} {part}"
    date = f"{_IN_SENTENCE[when.weekday()]}, {when:%d/%m/%Y}"
    days = (when.date() - today).days
    if days == 0:
        return f"{clock} nay"
    if days == 1:
        return f"{clock} mai ({date})"
    return f"{clock} {date}"
