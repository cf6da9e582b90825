"""Reply latency through POST /api/v1/chat over 500 mixed questions (real rasa, actions and app).

Run: .venv/bin/python scripts/bench_chat.py [--n 500]
Questions: the retrieval evaluation set (with and without diacritics, out of scope) mixed with
greetings and thanks; each sender asks a few, so follow-ups use the conversation's context.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

from benchlib import ROOT, percentile, write_section

sys.path.insert(0, str(ROOT))
from tests.utils.stack import running_stack

SMALL_TALK = ["xin chào", "chao ban", "cảm ơn nhiều", "ok cam on", "bạn là người hay máy", "tạm biệt"]


def questions(n: int) -> list[str]:
    lines = (ROOT / "tests" / "data" / "retrieval_eval.jsonl").read_text(encoding="utf-8").splitlines()
    pool = [json.loads(line)["question"] for line in lines if line.strip()] + SMALL_TALK * 10
    rng = random.Random(42)
    return [rng.choice(pool) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()
    latencies: list[float] = []
    with running_stack() as stack:
        stack.chat("bench-warmup", "làm hộ chiếu cần gì")
        for i, text in enumerate(questions(args.n)):
            started = time.perf_counter()
            stack.chat(f"bench-chat-{i // 4}", text)
            latencies.append((time.perf_counter() - started) * 1000)
    body = ("| what | value |\n|---|---|\n"
            f"| mixed questions through `POST /api/v1/chat` | {len(latencies)} |\n"
            f"| reply latency p50 | {percentile(latencies, 50):.0f} ms |\n"
            f"| reply latency p95 | {percentile(latencies, 95):.0f} ms |\n"
            f"| reply latency max | {max(latencies):.0f} ms |")
    write_section("chat", f".venv/bin/python scripts/bench_chat.py --n {args.n}", body)
    print(body)


if __name__ == "__main__":
    main()
