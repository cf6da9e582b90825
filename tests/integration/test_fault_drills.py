"""Fault drills on the real stack (rasa, actions, app through the launcher), under load: Rasa and the action server
killed (-9) and frozen (SIGSTOP), the app killed and restarted by the launcher.

Each time: every citizen message is stored exactly once (REST messages carry client ids and are retried), every
turn gets a reply or the busy notice within the gateway's bound + 1 s, a request for an officer reaches the queue
without waiting for the bot, and the conversation goes on after recovery.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from api.services.gateway import BOT_UNAVAILABLE
from tests.utils.stack import Stack, StackFailed, running_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUEUE_WAIT_S, TURN_TIMEOUT_S = 3.0, 3.0
BOUND = QUEUE_WAIT_S + TURN_TIMEOUT_S + 2.0  # the gateway's bound on one turn, + 2 s (a loaded 2-core machine)
CITIZENS = 6
THINK_SECONDS = 0.5  # between a reply and the next message (a citizen reads)
QUESTIONS = ["làm hộ chiếu cần giấy tờ gì", "lam cccd o dau", "thế lệ phí bao nhiêu?", "mất bao lâu",
             "đăng ký khai sinh cho con", "xin chào", "dang ky tam tru can gi", "cảm ơn"]


@dataclass
class Turn:
    sender: str
    client_id: str
    seconds: float = 0.0
    status: int | None = None  # None: no answer from the app (it was down); retried with the same id
    replies: list[str] = field(default_factory=list)
    retry_after: str | None = None


@dataclass
class Load:
    """Virtual citizens sending messages back to back through REST until stopped."""

    stack: Stack
    turns: list[Turn] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self.threads = [threading.Thread(target=self._citizen, args=(n,), daemon=True) for n in range(CITIZENS)]
        for thread in self.threads:
            thread.start()

    def finish(self) -> list[Turn]:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=BOUND + 30)
        return self.turns

    def _citizen(self, number: int) -> None:
        # Each citizen from its own loopback address, as on the Internet: with the bot down every turn is answered
        # at once, and six citizens behind one address would pass the per-address rate limit (a 429, not a drill).
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{10 + number}")
        with httpx.Client(timeout=30, transport=transport) as http:
            turn_number = 0
            while not self.stop.is_set():
                sender = f"drill-{number}-{uuid.uuid4().hex[:8]}"
                for _ in range(5):  # a conversation of a few messages, then a new one
                    if self.stop.is_set():
                        return
                    text = QUESTIONS[(number + turn_number) % len(QUESTIONS)]
                    turn_number += 1
                    self.turns.append(send(http, self.stack.app_url, sender, text))
                    time.sleep(THINK_SECONDS)


KEYS: dict[str, str] = {}  # each sender's conversation_key (X-Conversation-Key)


def send(http: httpx.Client, url: str, sender: str, text: str | None = None, payload: str | None = None) -> Turn:
    """One message, retried with the same client id while the app does not answer at all (a lost first reply is
    recovered by the keyless retry of the first message)."""
    turn = Turn(sender, uuid.uuid4().hex)
    body = {"sender": sender, "client_msg_id": turn.client_id, **({"payload": payload} if payload else {"text": text})}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            headers = {"X-Conversation-Key": KEYS[sender]} if sender in KEYS else {}
            response = http.post(f"{url}/api/v1/chat", json=body, headers=headers)
        except httpx.TransportError:  # the app is down: try again with the same id, as a client would
            time.sleep(0.5)
            continue
        turn.seconds, turn.status = time.monotonic() - started, response.status_code
        data = response.json()
        if isinstance(data.get("conversation_key"), str):
            KEYS[sender] = data["conversation_key"]
        turn.replies = [r["text"] for r in data.get("replies", [])] if response.status_code == 200 else []
        turn.retry_after = response.headers.get("retry-after")
        return turn
    return turn


def stored_client_ids(stack: Stack) -> list[str]:
    with sqlite3.connect(stack.var_dir / "app.db") as db:
        return [row[0] for row in db.execute(
            "SELECT client_msg_id FROM messages WHERE author = 'citizen' AND client_msg_id IS NOT NULL")]


def handoff_opened(stack: Stack, sender: str) -> bool:
    with sqlite3.connect(stack.var_dir / "app.db") as db:
        return db.execute("SELECT count(*) FROM handoffs h JOIN conversations c ON c.id = h.conversation_id "
                          "WHERE c.channel = 'api' AND c.user_id = ?", (sender,)).fetchone()[0] > 0


def backlog_drained(stack: Stack, timeout: float = 150) -> None:
    """Every message that got the busy notice (or was left pending by a killed app) is answered in the end."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(stack.var_dir / "app.db") as db:
            pending = db.execute("SELECT count(*) FROM messages WHERE turn_state IN ('queued', 'deferred', "
                                 "'running')").fetchone()[0]
        if not pending:
            return
        time.sleep(1)
    raise AssertionError(f"{pending} messages still wait for the bot")


def ready(stack: Stack, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{stack.app_url}/readyz", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError("the stack did not recover:\n" + "\n".join(stack.output[-30:]))


@pytest.fixture(scope="module")
def drill_stack() -> Iterator[Stack]:
    env = {"QUEUE_WAIT_S": str(QUEUE_WAIT_S), "TURN_TIMEOUT_S": str(TURN_TIMEOUT_S), "MAX_TURNS_IN_FLIGHT": "4"}
    try:
        with running_stack(extra_env=env) as stack:
            yield stack
    except StackFailed as error:
        pytest.fail(str(error))


def drill(stack: Stack, fault: Callable[[], None], recover: Callable[[], None], hold: float = 6.0) -> list[Turn]:
    """Load; the fault; an officer request during it; recovery; then the checks every drill shares."""
    load = Load(stack)
    load.start()
    time.sleep(2)
    fault()
    with httpx.Client(timeout=30) as http:
        try:  # the stack recovers even when a check fails, or every later drill would fail with it
            time.sleep(1)
            asker = f"drill-officer-{uuid.uuid4().hex[:8]}"
            officer = send(http, stack.app_url, asker, "Gặp cán bộ", payload="/request_human")
            opened = handoff_opened(stack, asker)
            time.sleep(hold)
        finally:
            recover()
            ready(stack)
            time.sleep(2)
            turns = load.finish()
        # The request skips the bot: it never waits for the frozen or dead one (a turn would wait TURN_TIMEOUT_S).
        # Its 2 s target is a latency to measure on a quiet machine (14–26 ms in these drills there), not a timed
        # assertion on a shared CI machine.
        assert officer.status == 200 and officer.seconds < TURN_TIMEOUT_S, officer
        assert opened, "the request for an officer did not reach the queue"

        assert turns, "no turn was measured"
        answered = [t for t in turns if t.status is not None]
        assert len(answered) == len(turns), [t for t in turns if t.status is None]
        for turn in answered:
            assert turn.seconds <= BOUND, turn
            if turn.status == 503:
                assert turn.retry_after, turn  # the busy notice: the message is kept and answered later
            else:
                assert turn.status == 200 and turn.replies, turn
        ids = stored_client_ids(stack)
        sent = [t.client_id for t in turns]
        assert len(ids) == len(set(ids)), "a message was stored twice"
        assert set(sent) <= set(ids), "a message was lost"
        backlog_drained(stack)

        after = send(http, stack.app_url, turns[-1].sender, "làm hộ chiếu cần giấy tờ gì")
        assert after.status == 200 and after.replies and BOT_UNAVAILABLE not in after.replies, after
        return turns


def signal_child(stack: Stack, name: str, signum: int) -> None:
    """The signal to the child's whole process group (the action server's Sanic runs a worker process)."""
    os.killpg(stack.child_pids()[name], signum)


def restarted(stack: Stack, name: str, old_pid: int) -> Callable[[], None]:
    def wait() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pid = stack.child_pids().get(name)
            if pid and pid != old_pid:
                return
            time.sleep(0.5)
        raise AssertionError(f"the launcher did not restart {name}")

    return wait


@pytest.mark.parametrize("name", ["rasa", "actions"])
def test_frozen(drill_stack: Stack, name: str) -> None:
    turns = drill(drill_stack, lambda: signal_child(drill_stack, name, signal.SIGSTOP),
                  lambda: signal_child(drill_stack, name, signal.SIGCONT))
    assert any(BOT_UNAVAILABLE in t.replies or t.status == 503 for t in turns)  # the freeze was felt, and bounded


@pytest.mark.parametrize("name", ["actions", "rasa", "app"])
def test_killed_and_restarted_by_the_launcher(drill_stack: Stack, name: str) -> None:
    old = drill_stack.child_pids()[name]
    drill(drill_stack, lambda: os.killpg(old, signal.SIGKILL), restarted(drill_stack, name, old), hold=1.0)
