"""The SQLite writers benchmark runs each mode in its own process on its own database and reports every write."""

from __future__ import annotations

import subprocess
import sys

from tests.utils.stack import ROOT


def test_both_modes_store_every_message_and_report_a_row_each() -> None:
    command = [sys.executable, str(ROOT / "scripts" / "bench_sqlite_writes.py"), "--threads", "4", "--duration", "1",
               "--burners", "0", "--think", "0.01"]
    output = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True, timeout=120).stdout
    rows = [line for line in output.splitlines() if line.startswith("| 0 |")]
    assert len(rows) == 2
    assert "in the app's line" in rows[0] and "SQLite's polling" in rows[1]
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        transactions, errors = int(cells[2]), int(cells[-1])
        assert transactions > 0 and errors == 0
