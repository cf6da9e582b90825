"""Rates overall and by tag, bars, tables and the docs section (no stack)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from api.cli.chat_eval import docs_section
from api.cli.chat_eval.classify import Reading
from api.cli.chat_eval.examples import ChatExample
from api.cli.chat_eval.report import Outcome, markdown_table, missed_bars, summarize, text_table


def outcome(expected: str | None, result: str, *tags: str, seconds: float = 0.1, error: str | None = None) -> Outcome:
    return Outcome(ChatExample("q", expected, tags), Reading("none", (), "", error), result, seconds)


OUTCOMES = [
    outcome("a", "right", "long", seconds=0.2),
    outcome("a", "right", "place"),
    outcome("b", "clarify_right", "long"),
    outcome("b", "wrong", "long", "place"),
    outcome("c", "none", "typo", error="ChatFailed: 502"),
    outcome(None, "oos_honest", "oos"),
    outcome(None, "oos_vague", "oos", "long", seconds=1.0),
    outcome(None, "oos_answered", "oos"),
]


def test_rates_overall_are_shares_of_in_and_out_of_scope_questions() -> None:
    overall = summarize(OUTCOMES)["overall"]
    assert (overall["n"], overall["in_scope"], overall["out_of_scope"]) == (8, 5, 3)
    assert overall["right"] == 0.4 and overall["clarify_right"] == 0.2 and overall["clarify_other"] == 0.0
    assert overall["wrong"] == 0.2 and overall["none"] == 0.2
    assert overall["oos_honest"] == pytest.approx(1 / 3, abs=1e-4) and overall["oos_clarify"] == 0.0
    assert overall["errors"] == 1
    assert overall["p50_ms"] == 100 and overall["p95_ms"] == 1000


def test_rates_by_tag() -> None:
    tags = summarize(OUTCOMES)["tags"]
    assert sorted(tags) == ["long", "oos", "place", "typo"]
    assert tags["long"]["in_scope"] == 3 and tags["long"]["right"] == pytest.approx(1 / 3, abs=1e-4)
    assert tags["long"]["oos_vague"] == 1.0
    assert tags["typo"]["none"] == 1.0 and tags["typo"]["oos_honest"] is None  # no out-of-scope question


def test_missed_bars() -> None:
    overall = summarize(OUTCOMES)["overall"]
    assert missed_bars(overall, {"min_right": 0.4, "max_wrong": 0.2, "max_none": 0.2, "min_oos_honest": 0.3}) == []
    missed = missed_bars(overall, {"min_right": 0.92, "max_wrong": 0.01, "max_none": None, "min_oos_honest": 0.95})
    assert missed == ["right=0.4 < 0.92", "wrong=0.2 > 0.01", "oos_honest=0.3333 < 0.95"]
    assert missed_bars(summarize([])["overall"], {"min_right": 0.5}) == ["right=None < 0.5"]


def test_tables_have_a_row_per_tag() -> None:
    summary = summarize(OUTCOMES)
    text = text_table(summary).splitlines()
    assert text[1].startswith("ALL") and [line.split()[0] for line in text[2:6]] == ["long", "oos", "place", "typo"]
    markdown = markdown_table(summary).splitlines()
    assert markdown[2].startswith("| **all** | 8 | 5 | 3 | 0.400 | 0.200 |")
    assert len(markdown) == 2 + 5


def test_docs_section_is_written_then_replaced(tmp_path: Path) -> None:
    doc = tmp_path / "evaluation.md"
    doc.write_text("# Evaluation\n\nIntro.\n", encoding="utf-8")
    when = dt.datetime(2026, 5, 4, 9, 30)
    docs_section.write_section("main-test", "cmd one", "| a |", path=doc, now=when)
    docs_section.write_section("main-dev", "cmd two", "| b |", path=doc, now=when)
    docs_section.write_section("main-test", "cmd three", "| c |", path=doc, now=when)
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Evaluation\n\nIntro.\n")
    assert text.count("<!-- eval-chat:main-test -->") == 1 and "| a |" not in text
    assert text.index("| c |") < text.index("| b |")  # replaced in place
    assert "_Measured 2026-05-04 09:30 on commit " in text and "`cmd three`" in text
    with pytest.raises(ValueError):
        docs_section.write_section("bad label -->", "cmd", "x", path=doc)
