"""Masking of personal data (phone and ID numbers) before text reaches logs or analytics."""

from __future__ import annotations

import re

# Vietnamese mobile/landline numbers: 0xxxxxxxxx or +84xxxxxxxxx, optionally grouped by spaces, dots or dashes.
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){8,10}(?!\d)")
# Căn cước / personal id (12 digits), old CMND (9 digits), passport (a letter and 7 digits).
_ID = re.compile(r"(?<![\w])(?:\d{12}|\d{9}|[A-Za-z]\d{7})(?![\w])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def _keep_tail(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "*" * max(len(digits) - 3, 0) + digits[-3:]


def mask_pii(text: str) -> str:
    """Replace phone, ID numbers and e-mail addresses, keeping the last 3 digits of numbers."""
    text = _EMAIL.sub("***@***", text)
    text = _PHONE.sub(_keep_tail, text)
    return _ID.sub(_keep_tail, text)


def mask_identifier(value: str, keep: int = 3) -> str:
    """A user id shown to staff: all but the last `keep` characters hidden ("*******123")."""
    value = value.strip()
    if len(value) <= keep:
        return "*" * max(len(value), 3)
    return "*" * (len(value) - keep) + value[-keep:]
