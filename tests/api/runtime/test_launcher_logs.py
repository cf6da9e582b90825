"""The launcher writes its children's output to their log files with personal data masked."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from api.runtime.launcher import Child


def test_a_childs_log_lines_are_scrubbed(tmp_path: Path) -> None:
    said = ('{"text": "so cua toi 0912 345 678, cccd 079 203 004 567", "event": "rest.message.received.timeout"}\n'
            "WebSocket /api/v1/widget/ws?key=secret-key-123 [accepted]\n"
            "plain line: lệ phí 115.000 đồng\n")
    log = tmp_path / "rasa.log"
    child = Child("rasa", [sys.executable, "-c", f"import sys; sys.stdout.write({said!r})"], {}, log)
    child.start()
    assert child.process is not None
    child.process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "115.000" not in (log.read_text(encoding="utf-8") if log.exists() else ""):
        time.sleep(0.05)
    written = log.read_text(encoding="utf-8")
    assert "0912 345 678" not in written and "345 678" not in written
    assert "079 203 004 567" not in written and "004 567" not in written
    assert "secret-key-123" not in written
    assert "lệ phí 115.000 đồng" in written  # amounts stay as they are
    assert "rest.message.received.timeout" in written
    assert not any("0912" in line for line in child.tail)
