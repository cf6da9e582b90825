"""Engine and session factory: the app's one connection to its database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import CursorResult, Delete, Engine, Update, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from api.core.config import get_settings
from api.db.sqlite_writes import WriteQueue, queued_factory

BUSY_TIMEOUT_S = 30  # how long a SQLite write waits for the lock (this process's other writers, or another's)


class Base(DeclarativeBase):
    pass


def make_engine(url: str, pool_size: int = 10, max_overflow: int = 30, *, queue_writes: bool = True) -> Engine:
    """Pool: `pool_size` connections kept, `max_overflow` more at peaks (together at least the worker threads that
    may use the database at once: a turn holds a connection only for its short writes, never while Rasa works).
    SQLite: this process's write transactions line up for the lock (`queue_writes`, see sqlite_writes)."""
    if url.startswith("sqlite"):
        connect_args: dict[str, object] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}
        if queue_writes:
            connect_args["factory"] = queued_factory(WriteQueue(BUSY_TIMEOUT_S))
        engine = create_engine(url, connect_args=connect_args, pool_size=pool_size, max_overflow=max_overflow)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow)


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, settings.db_pool_size, settings.db_max_overflow,
                       queue_writes=settings.sqlite_queue_writes)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def rows_changed(db: Session, statement: Update | Delete) -> int:
    """Run an UPDATE (or a DELETE) and return how many rows it changed (compare-and-set writes check for 1)."""
    result = db.execute(statement)
    assert isinstance(result, CursorResult)  # what an UPDATE gives; Session.execute is typed as the plain Result
    return result.rowcount
