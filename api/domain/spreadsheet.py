"""CSV for spreadsheets, safely: a cell that a spreadsheet would read as a formula (it starts with =, +, -, @, a tab
or a carriage return) is neutralised with a leading apostrophe, so an exported citizen question can never run as a
formula when staff open the file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The table as CSV (UTF-8 with a BOM added by the caller if wanted), every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return out.getvalue()
