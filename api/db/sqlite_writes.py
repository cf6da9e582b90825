"""One SQLite writer at a time per process, and none left waiting for long.

SQLite lets one connection write at a time; a connection that finds the write lock taken sleeps and polls
(1, 2, 5 … then every 100 ms) until its busy timeout. Polling is unfair: a transaction that has just arrived polls
every few milliseconds and takes the lock ahead of one that has waited seconds and now polls every 100 ms. With
tens of worker threads writing at once and the GIL stretching each transaction (every SQLite call gives the GIL
away and must win it back), writers starved for up to the whole 30 s timeout (`scripts/bench_sqlite_writes.py`:
p99.9 30 s) and failed with "database is locked" — what the 200-conversation load row showed once.

Here the process's own writers line up instead (`WriteQueue`): a connection about to run the first INSERT, UPDATE,
DELETE or REPLACE of its transaction takes the process's write lock, and gives it back as soon as the transaction
has ended (commit, rollback, a RELEASE that ended it, or a write that failed before starting one). Readers never
wait (WAL). Another process writing the same file (the CLI) is still waited for by SQLite's own busy timeout.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

STARVE_AFTER_S = 0.5  # a writer waiting this long gets the lock handed to it at the next release
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@dataclass(eq=False)
class _Waiter:
    since: float
    turn: threading.Lock = field(default_factory=threading.Lock)
    handed: bool = False  # the lock was handed to this waiter (it holds it now)


class WriteQueue:
    """A lock that is fast while nobody starves and fair when someone does (as Go's sync.Mutex).

    A free lock goes to whoever asks first, the running thread included: the lock is not left idle while a waiter
    wakes up and wins the GIL, the usual way to avoid a lock convoy (a strict queue, tried first, measured the same
    in `scripts/bench_sqlite_writes.py`). Waiters sleep in line and the first is woken at each release to try
    again; once it has waited `starve_after` seconds the lock is handed to it
    directly and newcomers queue behind it, so nobody waits much longer than that plus the writers ahead in line.
    `acquire` gives up after `timeout` seconds with SQLite's own error.
    """

    def __init__(self, timeout: float, starve_after: float = STARVE_AFTER_S) -> None:
        self.timeout, self.starve_after = timeout, starve_after
        self._mutex = threading.Lock()
        self._waiting: deque[_Waiter] = deque()
        self._held = False

    def _starving(self, now: float) -> bool:
        return bool(self._waiting) and now - self._waiting[0].since >= self.starve_after

    def acquire(self) -> None:
        now = time.monotonic()
        with self._mutex:
            if not self._held and not self._starving(now):
                self._held = True
                return
            waiter = _Waiter(now)
            waiter.turn.acquire()
            self._waiting.append(waiter)
        deadline = now + self.timeout
        while True:
            woken = waiter.turn.acquire(timeout=max(0.0, deadline - time.monotonic()))
            with self._mutex:
                if waiter.handed:
                    return
                if woken and not self._held:
                    self._held = True
                    self._waiting.remove(waiter)
                    return
                if not woken:
                    self._waiting.remove(waiter)
                    if not self._held:
                        self._wake_first()  # a wake-up meant for this waiter may have been lost with it
                    raise sqlite3.OperationalError(
                        f"database is locked (waited {self.timeout:.0f} s behind this process's other writers)")
            # woken, but a newcomer took the lock first: wait for the next release, first in line still

    def release(self) -> None:
        with self._mutex:
            if self._starving(time.monotonic()):
                first = self._waiting.popleft()
                first.handed = True  # _held stays True: the lock is the first waiter's now
                if first.turn.locked():
                    first.turn.release()
                return
            self._held = False
            self._wake_first()

    def _wake_first(self) -> None:
        """Let the first waiter try again (the mutex held)."""
        if self._waiting and self._waiting[0].turn.locked():
            self._waiting[0].turn.release()


class _QueuedCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> _QueuedCursor:
        with _queued(self).turn_for(sql):
            super().execute(sql, parameters)
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _QueuedCursor:
        with _queued(self).turn_for(sql):
            super().executemany(sql, seq_of_parameters)
        return self


def _queued(cursor: sqlite3.Cursor) -> QueuedConnection:
    connection = cursor.connection
    assert isinstance(connection, QueuedConnection)  # its cursors are made by QueuedConnection.cursor
    return connection


class QueuedConnection(sqlite3.Connection):
    """A `sqlite3.Connection` whose write transactions take their turn in `write_queue` (set by `queued_factory`)."""

    write_queue: WriteQueue
    _holding = False

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or _QueuedCursor)

    @contextmanager
    def turn_for(self, sql: str) -> Iterator[None]:
        """Around one statement: the first write of a transaction waits for the lock; the lock is given back once
        no transaction is open after it."""
        if not self._holding and _WRITE.match(sql):
            self.write_queue.acquire()
            self._holding = True
        try:
            yield
        finally:
            self._release_if_done()

    def _release_if_done(self) -> None:
        """Give the turn away once no transaction is open (it ended, or the write failed before starting one)."""
        if not self._holding:
            return
        try:
            still_open = self.in_transaction
        except sqlite3.ProgrammingError:  # closed
            still_open = False
        if not still_open:
            self._holding = False
            self.write_queue.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release_if_done()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release_if_done()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release_if_done()  # closing ends the transaction whatever happened


def queued_factory(queue: WriteQueue) -> type[QueuedConnection]:
    """The connection class to pass as `sqlite3.connect(factory=…)`: its connections share `queue`."""
    return type("QueuedConnection", (QueuedConnection,), {"write_queue": queue})

