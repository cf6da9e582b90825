"""Masking of personal numbers and e-mail addresses in text (pure; shared by the app's logs and analytics and the
action server's log, which may not import the app).

Numbers are read as whole runs: digit groups joined by one space, dot or dash, optionally after "+84" or "(+84)".
A run (or, when the whole run is not one, the longest space-separated stretch of it) is masked when its digits are
- a phone number: 0 and 9 or 10 digits, or 84 / +84 / (+84) and 9 or 10 digits, grouped any way;
- a căn cước number (12 digits: contiguous, 4-4-4 or 3-3-3-3 …) or an old CMND number (9 digits);
and kept when a currency follows ("115.000 đồng", "1 500 000 đ") or when it is part of a longer code ("1.001193",
"108/2026/TT-BCA", "1.001193.000.00.00.H12", dates). Passports: a letter and 7 or 8 digits ("C1234567").
The last three digits stay, so staff can still tell two numbers apart.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# a run of digit groups; not part of a longer number, a slashed number (108/2026/TT-BCA, dates) or a dotted code
_RUN = re.compile(r"(?<![\d/+])(?<!\d[.,-])(?:(?:\(\+?84\)|\+84)[ .-]?)?\d+(?:[ .-]\d+)*(?![\d/]|[.-]\w)")
_CURRENCY = re.compile(r"\s?(?:đồng|đ|vnđ|vnd|₫|triệu|nghìn|ngàn|tỷ|tỉ|k|%)(?!\w)", re.IGNORECASE)
_PASSPORT = re.compile(r"(?<![\w.-])[A-Za-z]\d{7,8}(?![\w-])")


def is_personal_number(run: str) -> bool:
    """Whether a run of digit groups is a phone, căn cước or CMND number."""
    digits = re.sub(r"\D", "", run)
    if run.startswith(("+", "(")):
        return digits.startswith("84") and len(digits) - 2 in (9, 10)
    if digits.startswith("84") and len(digits) - 2 in (9, 10):
        return True
    if digits.startswith("0") and len(digits) in (10, 11):
        return True
    return len(digits) in (9, 12)


def _keep_tail(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return "*" * max(len(digits) - 3, 0) + digits[-3:]


def _mask_run(match: re.Match[str]) -> str:
    run = match.group()
    glued = match.start() > 0 and match.string[match.start() - 1].isalpha()
    if _CURRENCY.match(match.string, match.end()) or (glued and re.search(r"[ .-]", run)):
        return run  # an amount, or a code such as "H62-260101-0001" (a number glued to letters is one if whole)
    if is_personal_number(run):
        return _keep_tail(run)
    groups = run.split(" ")
    out: list[str] = []
    start = 0
    while start < len(groups):
        end = next((e for e in range(len(groups), start, -1) if is_personal_number(" ".join(groups[start:e]))), None)
        if end is None:
            out.append(groups[start])
            start += 1
        else:
            out.append(_keep_tail(" ".join(groups[start:end])))
            start = end
    return " ".join(out)


def mask_pii(text: str) -> str:
    """Replace phone, ID and passport numbers (keeping their last 3 digits) and e-mail addresses."""
    text = _EMAIL.sub("***@***", text)
    text = _RUN.sub(_mask_run, text)
    return _PASSPORT.sub(lambda m: m.group()[0] + _keep_tail(m.group()), text)
