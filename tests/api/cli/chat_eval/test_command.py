"""`python -m api.cli eval-chat` end to end against a fake REST channel (no stack): output, JSON, docs, bars."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import cli
from api.cli.chat_eval import docs_section, runner
from api.runtime import chat_client

REPLIES = {
    "mất căn cước": {"text": "Cấp lại thẻ căn cước", "buttons": [
        {"title": "Lệ phí", "payload": '/ask_fee{"procedure_id": "cap-lai-the-can-cuoc"}'}]},
    "tạm trú": {"text": "Bạn muốn hỏi về thủ tục nào dưới đây ạ?", "buttons": [
        {"title": "a", "payload": '/choose_option{"procedure_id": "dang-ky-tam-tru"}'},
        {"title": "b", "payload": '/choose_option{"procedure_id": "gia-han-tam-tru"}'}]},
}
NOTHING = {"text": "Xin lỗi, tôi chưa tìm thấy thông tin phù hợp", "buttons": [{"title": "Gặp cán bộ",
                                                                                  "payload": "/request_human"}]}
ROWS = [
    {"question": "mất căn cước làm lại ở đâu", "expected": "cap-lai-the-can-cuoc", "tags": ["short_title"]},
    {"question": "gia hạn tạm trú", "expected": "gia-han-tam-tru", "tags": ["short_title"]},
    {"question": "ly hôn nộp đơn ở đâu", "expected": None, "tags": ["oos"], "handler": "Tòa án",
     "handler_keywords": ["tòa án"]},
]


@pytest.fixture()
def fake_channel(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """ChatClient talks to an in-process fake of POST /api/v1/chat; returns the requests it got."""
    seen: list[dict] = []

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        reply = next((r for key, r in REPLIES.items() if key in body["text"]), NOTHING)
        return httpx.Response(200, json={"replies": [reply], "mode": "bot", "last_message_id": len(seen)})

    class FakeClient(chat_client.ChatClient):
        def __init__(self, base_url: str, timeout: float = 60) -> None:
            super().__init__(base_url, timeout, transport=httpx.MockTransport(handle))

    monkeypatch.setattr(chat_client, "ChatClient", FakeClient)
    return seen


def eval_file(tmp_path: Path) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\n", encoding="utf-8")
    return path


def test_each_question_in_a_fresh_conversation_and_a_table_by_tag(fake_channel: list[dict], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval-chat", str(eval_file(tmp_path)), "--url", "http://fake", "--failures"])
    assert result.exit_code == 0, result.output
    assert len({body["sender"] for body in fake_channel}) == 3
    lines = result.stdout.splitlines()
    assert lines[1].split()[:4] == ["ALL", "3", "2", "1"] and lines[1].split()[4:6] == ["0.500", "0.500"]
    assert any(line.startswith("oos ") for line in lines) and any(line.startswith("short_title") for line in lines)
    assert "[oos_vague] 'ly hôn nộp đơn ở đâu'" in result.stdout


def test_json_and_bars(fake_channel: list[dict], tmp_path: Path) -> None:
    args = ["eval-chat", str(eval_file(tmp_path)), "--url", "http://fake", "--json"]
    result = CliRunner().invoke(cli, [*args, "--min-right", "0.5", "--max-wrong", "0"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["overall"]["right"] == 0.5 and report["overall"]["oos_vague"] == 1.0
    assert [item["outcome"] for item in report["items"]] == ["right", "clarify_right", "oos_vague"]
    missed = CliRunner().invoke(cli, [*args, "--min-right", "0.92", "--min-oos-honest", "0.95"])
    assert missed.exit_code == 1
    assert "FAIL: right=0.5 < 0.92" in missed.stderr and "FAIL: oos_honest=0.0 < 0.95" in missed.stderr


def test_write_docs(fake_channel: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = tmp_path / "evaluation.md"
    monkeypatch.setattr(docs_section, "EVALUATION_DOC", doc)
    result = CliRunner().invoke(cli, ["eval-chat", str(eval_file(tmp_path)), "--url", "http://fake",
                                      "--write-docs", "fake-set"])
    assert result.exit_code == 0
    text = doc.read_text(encoding="utf-8")
    assert "<!-- eval-chat:fake-set -->" in text and "| **all** | 3 | 2 | 1 | 0.500 |" in text
    assert "--write-docs fake-set`" in text


def test_a_bad_row_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "a", "expected": null}\n{"expected": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval-chat", str(path), "--url", "http://fake"])
    assert result.exit_code == 2 and "bad.jsonl:2: bad row" in result.stderr


def test_a_failed_request_is_retried_once_in_another_conversation(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    class Flaky:
        def send(self, sender: str, text: str | None = None, payload: str | None = None) -> dict:
            calls.append(sender)
            raise chat_client.ChatFailed("POST /api/v1/chat answered 502")

    monkeypatch.setattr(runner.time, "sleep", lambda _: None)
    reading = runner.ask(Flaky(), "eval-x-1", "câu hỏi")  # type: ignore[arg-type]
    assert calls == ["eval-x-1", "eval-x-1-1"]
    assert reading.kind == "none" and reading.error == "ChatFailed: POST /api/v1/chat answered 502"
