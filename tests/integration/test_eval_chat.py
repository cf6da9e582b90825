"""`python -m api.cli eval-chat` on a few questions against the real stack (rasa, actions, app)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import cli

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS = [
    {"question": "làm lại căn cước bị mất ở đâu", "expected": "cap-lai-the-can-cuoc", "tags": ["short_title"]},
    {"question": "le phi lam ho chieu bao nhieu", "expected": "cap-ho-chieu-pho-thong", "tags": ["no_diacritics"]},
    {"question": "dự báo thời tiết Hà Nội ngày mai thế nào", "expected": None, "tags": ["oos"]},
]


def test_eval_chat_against_the_real_stack(stack, tmp_path: Path) -> None:
    path = tmp_path / "few.jsonl"
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in ROWS) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval-chat", str(path), "--url", stack.app_url, "--json", "--min-right", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [item["outcome"] for item in report["items"]][:2] == ["right", "right"]
    assert report["items"][2]["kind"] == "none"  # weather: not a procedure, not a clarification
    assert report["overall"]["errors"] == 0 and report["tags"]["oos"]["out_of_scope"] == 1
    assert all(item["reply"] for item in report["items"])
