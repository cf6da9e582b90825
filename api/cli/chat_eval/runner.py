"""Send each question in a fresh conversation and judge the reply."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

import httpx

from api.cli.chat_eval.classify import Reading, failed_request, judge, read_response
from api.cli.chat_eval.examples import ChatExample
from api.cli.chat_eval.report import Outcome
from api.runtime.chat_client import ChatClient, ChatFailed


def ask(client: ChatClient, sender: str, question: str) -> Reading:
    """The reply to a first message; one retry (in another fresh conversation) if the request fails."""
    error = ""
    for attempt in range(2):
        try:
            return read_response(client.send(f"{sender}-{attempt}" if attempt else sender, question))
        except (ChatFailed, httpx.HTTPError) as failure:
            error = f"{type(failure).__name__}: {failure}"
            time.sleep(2)
    return failed_request(error)


def run(examples: Sequence[ChatExample], client: ChatClient,
        progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    run_id = uuid.uuid4().hex[:8]
    outcomes = []
    for number, example in enumerate(examples, 1):
        started = time.perf_counter()
        reading = ask(client, f"eval-{run_id}-{number}", example.question)
        outcomes.append(Outcome(example, reading, judge(example, reading), time.perf_counter() - started))
        if progress:
            progress(number, len(examples))
    return outcomes
