"""The answer audit of issue 13: render every procedure × every aspect the bot answers (and the overview) on a day,
count the answers that say something is unconfirmed and those quoting an expired fee amount, and list fee rows that
end by a cut-off date with neither a successor row nor `successor: pending`. Pure functions; the CLI is
`scripts/kb_answer_audit.py`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from knowledge_base.answers import answer, money, says_unconfirmed
from knowledge_base.records import Procedure
from knowledge_base.vocabulary import ASPECTS

MAX_UNCONFIRMED_SHARE = 0.05
CUTOFF = dt.date(2026, 12, 31)  # every temporary fee of Thông tư 64/2025/TT-BTC ends that day


@dataclass
class DayAudit:
    on: dt.date
    answers: int = 0
    unconfirmed: list[str] = field(default_factory=list)  # "procedure-id/aspect"
    expired: list[str] = field(default_factory=list)  # "procedure-id/aspect: 57.500 đồng"

    @property
    def unconfirmed_share(self) -> float:
        return len(self.unconfirmed) / self.answers if self.answers else 0.0

    @property
    def passes(self) -> bool:
        return self.unconfirmed_share <= MAX_UNCONFIRMED_SHARE and not self.expired


def _amount_re(amount: int) -> re.Pattern[str]:
    """'5.000 đồng' but not inside '15.000 đồng'."""
    return re.compile(r"(?<![\d.])" + re.escape(money(amount)))


def expired_amounts(procedure: Procedure, on: dt.date) -> list[int]:
    """Amounts of fees that ended before `on` and are not also the amount of a fee in force or announced."""
    current = {f.amount for f in procedure.fees if f.in_force(on) or (f.valid_from and f.valid_from > on)}
    ended = {f.amount for f in procedure.fees if f.valid_until and f.valid_until < on and f.amount}
    return sorted(ended - current)


def audit_day(procedures: Iterable[Procedure], on: dt.date) -> DayAudit:
    result = DayAudit(on)
    for procedure in procedures:
        stale = [(amount, _amount_re(amount)) for amount in expired_amounts(procedure, on)]
        for aspect in (None, *ASPECTS):
            text = answer(procedure, aspect, on).text
            label = f"{procedure.id}/{aspect or 'overview'}"
            result.answers += 1
            if says_unconfirmed(text):
                result.unconfirmed.append(label)
            result.expired += [f"{label}: {money(amount)}" for amount, pattern in stale if pattern.search(text)]
    return result


def orphan_fees(procedures: Iterable[Procedure], cutoff: dt.date = CUTOFF) -> list[str]:
    """Fee rows ending on or before `cutoff` with no successor row (same name and channel, from the next day) and
    no `successor: pending`."""
    found = []
    for procedure in procedures:
        for index, fee in enumerate(procedure.fees):
            if fee.valid_until is None or fee.valid_until > cutoff or fee.successor == "pending":
                continue
            after = fee.valid_until + dt.timedelta(days=1)
            if not any(f.name == fee.name and f.channel == fee.channel and f.valid_from == after
                       for f in procedure.fees):
                found.append(f"{procedure.id}/fees.{index}: {fee.name} (đến {fee.valid_until.isoformat()})")
    return found
