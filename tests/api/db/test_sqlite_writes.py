"""SQLite writers of one process take turns in arrival order (api/db/sqlite_writes.py)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from api.db.base import make_engine
from api.db.sqlite_writes import QueuedConnection, WriteQueue


def wait_until(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def waiting(queue: WriteQueue) -> int:
    return len(queue._waiting)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER)"))
    return engine


def queue_of(engine: Engine) -> WriteQueue:
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, QueuedConnection)
        return raw.write_queue


def test_waiters_get_the_lock_in_the_order_they_came() -> None:
    queue = WriteQueue(timeout=5, starve_after=60)
    queue.acquire()
    order: list[int] = []

    def writer(number: int) -> None:
        queue.acquire()
        order.append(number)
        queue.release()

    threads = []
    for number in range(6):
        thread = threading.Thread(target=writer, args=(number,))
        thread.start()
        wait_until(lambda n=number: waiting(queue) == n + 1)  # type: ignore[misc]
        threads.append(thread)
    queue.release()
    for thread in threads:
        thread.join(5)
    assert order == list(range(6))
    assert not queue._held and waiting(queue) == 0


def held_with_a_waiter(queue: WriteQueue, got: list[str]) -> threading.Thread:
    """The queue held by this thread, and a thread in line that notes in `got` when it had the lock."""
    queue.acquire()
    waiter = threading.Thread(target=lambda: (queue.acquire(), got.append("waiter"), queue.release()))
    waiter.start()
    wait_until(lambda: waiting(queue) == 1)
    return waiter


def test_a_free_lock_goes_to_the_running_thread_until_a_waiter_starves() -> None:
    queue = WriteQueue(timeout=5, starve_after=60)
    got: list[str] = []
    waiter = held_with_a_waiter(queue, got)
    queue.release()
    queue.acquire()  # not starving yet: the running thread may take it again at once
    assert got == [] and waiting(queue) == 1
    queue.release()
    waiter.join(5)
    assert got == ["waiter"] and not queue._held


def test_a_starving_waiter_is_handed_the_lock_and_newcomers_queue_behind_it() -> None:
    queue = WriteQueue(timeout=5, starve_after=0.05)
    got: list[str] = []
    waiter = held_with_a_waiter(queue, got)
    time.sleep(0.1)
    queue.release()
    assert queue._held and waiting(queue) == 0  # handed over inside release(), before the waiter even ran
    queue.acquire()  # so this newcomer waits for the waiter
    assert got == ["waiter"]
    queue.release()
    waiter.join(5)


def test_a_writer_waiting_too_long_gets_database_is_locked_and_leaves_the_queue() -> None:
    queue = WriteQueue(timeout=0.2)
    queue.acquire()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        queue.acquire()
    assert waiting(queue) == 0
    queue.release()
    queue.acquire()  # free again
    queue.release()


def test_a_write_transaction_holds_its_turn_until_commit_and_readers_never_wait(engine: Engine) -> None:
    queue = queue_of(engine)
    second_wrote = threading.Event()

    def second_writer() -> None:
        with engine.begin() as other:
            other.execute(text("INSERT INTO t (name, n) VALUES ('b', 2)"))
        second_wrote.set()

    with engine.connect() as first:
        first.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))
        assert queue._held
        thread = threading.Thread(target=second_writer)
        thread.start()
        wait_until(lambda: waiting(queue) == 1)
        with engine.connect() as reader:  # WAL: a reader sees the last commit at once
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0
        assert not second_wrote.is_set()
        first.commit()
    thread.join(5)
    assert second_wrote.is_set()
    assert not queue._held


def test_the_turn_is_given_back_after_a_rollback_a_failed_write_and_a_close(engine: Engine) -> None:
    queue = queue_of(engine)
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))
        connection.rollback()
    assert not queue._held
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))
    assert not queue._held
    connection = engine.raw_connection()
    connection.cursor().execute("INSERT INTO t (name, n) VALUES ('c', 3)")
    connection.invalidate()  # closes the DBAPI connection with its transaction open
    assert not queue._held


def test_a_savepoint_that_ends_the_transaction_gives_the_turn_back(engine: Engine) -> None:
    """SQLAlchemy's begin_nested on pysqlite: a SAVEPOINT outside a transaction starts one, its RELEASE ends it."""
    queue = queue_of(engine)
    with Session(engine) as db:
        db.execute(text("SELECT 1"))
        with db.begin_nested():
            db.execute(text("INSERT INTO t (name, n) VALUES ('s', 1)"))
            assert queue._held
        assert not queue._held  # committed by the RELEASE
        db.execute(text("UPDATE t SET n = 2 WHERE name = 's'"))
        assert queue._held
        db.commit()
    assert not queue._held


def test_many_threads_writing_at_once_all_succeed(engine: Engine) -> None:
    errors: list[SQLAlchemyError] = []

    def writer(number: int) -> None:
        try:
            for turn in range(15):
                with engine.begin() as connection:
                    connection.execute(text("INSERT INTO t (name, n) VALUES (:name, 0)"),
                                       {"name": f"{number}-{turn}"})
                    connection.execute(text("UPDATE t SET n = n + 1 WHERE name = :name"),
                                       {"name": f"{number}-{turn}"})
        except SQLAlchemyError as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*), sum(n) FROM t")).one() == (300, 300)
    assert not queue_of(engine)._held


def test_the_queue_can_be_switched_off(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'plain.db'}", queue_writes=False)
    with engine.connect() as connection:
        assert not isinstance(connection.connection.dbapi_connection, QueuedConnection)


def test_another_process_writing_is_still_waited_for_by_sqlite(engine: Engine, tmp_path: Path) -> None:
    """The queue is per process: a writer from elsewhere (the CLI) holds SQLite's own lock, and the busy timeout
    applies as before (here cut to 0.1 s to see the error)."""
    outsider = sqlite3.connect(tmp_path / "w.db", timeout=0.1)
    outsider.execute("INSERT INTO t (name, n) VALUES ('cli', 1)")  # holds the write lock, uncommitted
    short = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    short.pool.dispose()
    with short.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA busy_timeout = 100")
        with pytest.raises(OperationalError, match="locked"):
            connection.execute(text("INSERT INTO t (name, n) VALUES ('app', 1)"))
        connection.rollback()
        assert not queue_of(short)._held
    outsider.rollback()
    outsider.close()
