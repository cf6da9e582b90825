"""The load benchmark's pure parts (no stack): question pool, plans, outcome classification, /proc parsing."""

from __future__ import annotations

import asyncio
import random
import sys
from collections import Counter

import httpx
import pytest

from tests.utils.stack import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import bench_load as bl


def test_pool_has_500_distinct_texts_with_and_without_diacritics() -> None:
    pool = bl.build_pool()
    texts = pool.texts()
    assert len(texts) >= 500
    assert len(pool.questions) == len(set(pool.questions))
    folded = [q for q in pool.questions if bl.fold(q) == q]
    assert len(folded) >= 200 and len(pool.questions) - len(folded) >= 200


def test_latency_summary_percentiles() -> None:
    summary = bl.latency_summary([float(ms) for ms in range(1, 101)])
    assert (summary["p50"], summary["p95"], summary["p99"], summary["max"]) == (51.0, 95.0, 99.0, 100.0)
    assert bl.latency_summary([])["p50"] != bl.latency_summary([])["p50"]  # NaN when there is no turn


@pytest.mark.parametrize(("status", "headers", "body", "kind"), [
    (200, {}, {"replies": [{"text": "Lệ phí…"}], "mode": "bot"}, "bot"),
    (200, {}, {"replies": [{"text": "Đã chuyển tới cán bộ"}], "mode": "waiting"}, "handoff"),
    (200, {}, {"replies": [], "mode": "bot"}, "empty_reply"),
    (503, {"Retry-After": "8"}, {"error": "busy"}, "busy"),
    (503, {}, "Service Unavailable", "http_503"),
    (500, {}, "Internal Server Error", "http_500"),
    (429, {"Retry-After": "60"}, {"error": "rate_limited"}, "http_429"),
])
def test_classify_a_response(status: int, headers: dict, body: object, kind: str) -> None:
    assert bl.classify(status, headers, body) == kind
    assert bl.is_error(kind) == (kind not in ("bot", "handoff", "busy"))


def test_classify_a_failed_request() -> None:
    assert bl.classify_exception(asyncio.TimeoutError()) == "timeout"
    assert bl.classify_exception(httpx.ReadTimeout("slow")) == "timeout"
    assert bl.classify_exception(httpx.RemoteProtocolError("closed")) == "dropped"
    assert bl.classify_exception(ConnectionResetError()) == "dropped"


def test_a_clarification_is_answered_by_a_button_or_by_words() -> None:
    pool, state = bl.build_pool(), bl.ConversationState()
    bl.observe(state, {"replies": [{"text": "Bạn hỏi thủ tục nào?", "buttons": [
        {"title": "Cấp đổi", "payload": '/choose_option{"procedure_id": "cap-doi-the-can-cuoc"}'},
        {"title": "Gặp cán bộ", "payload": "/request_human"}]}]})
    plans = [bl.plan_message(random.Random(seed), pool, state) for seed in range(40)]
    assert {p.kind for p in plans} == {"choice_button", "choice_words"}
    assert all(p.payload.startswith("/choose_option") for p in plans if p.kind == "choice_button")


def test_the_mix_without_context_is_mostly_questions() -> None:
    pool, rng = bl.build_pool(), random.Random(1)
    kinds = Counter(bl.plan_message(rng, pool, bl.ConversationState()).kind for _ in range(4000))
    assert kinds["question"] > 0.8 * 4000 and kinds["vague"] < 0.1 * 4000 and 0 < kinds["handoff"] < 0.02 * 4000
    assert "follow_up" not in kinds and "aspect_button" not in kinds


def test_rows_and_proc_stat() -> None:
    rows = bl.parse_rows("1,10,50x300", 60)
    assert [(r.citizens, r.seconds) for r in rows] == [(1, None), (10, 60), (50, 300)]
    stat = "4242 (python3 (x)) S 4200 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 3 0 1 1 1"
    assert bl.parse_stat(stat) == (4200, 300 * 1000 / bl.CLK_TCK)
    assert bl.process_name(["/x/.venv-rasa/bin/python3.10", "/x/.venv-rasa/bin/rasa", "run"]) == "rasa"
    assert bl.process_name(["/x/.venv/bin/python", "-m", "uvicorn", "api.main:app"]) == "app"
    assert bl.local_address(0, True) == "127.0.0.2" and bl.local_address(253, True) == "127.0.0.255"
