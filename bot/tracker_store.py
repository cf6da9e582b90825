"""Rasa's SQL tracker store, with SQLite tuned for a chat server and, with one Rasa process, the live conversations
remembered between turns (used by the generated endpoints.yml).

Rasa 3.6 opens SQLite with SQLAlchemy 1.4's defaults: a new connection for every read and write, the rollback
journal and a full fsync on every commit — in a profile of the load benchmark, about 40% of Rasa's time per turn.
Here one connection per thread is kept, in WAL mode with `synchronous=NORMAL` (after an operating-system crash the
last few turns may be lost, never the file's consistency; the app's own database is the record of the
conversation). PostgreSQL is left as Rasa configures it.

Each turn Rasa reads the conversation's events back (a query over the session's events, then one to find the
latest session start) and, to save, counts the stored events again to know which are new: about a quarter of
Rasa's CPU per turn. With ``remember_sessions`` (one Rasa server and no Redis lock store: the only writer of its
conversations) the store keeps, for each recently active conversation, the stored events of its current session
exactly as the query would return them, reads from there and writes only the new events. Entries are dropped after
``remember_idle_s`` without a turn and beyond ``remember_max`` conversations; a conversation not remembered is read
from the database as before. Rasa servers that share conversations (the scaled layout, or several launchers with a
Redis lock store) never remember: another server may have written since.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.pool import SingletonThreadPool

from bot import action_response_check

action_response_check.install()  # this module is the one of ours that Rasa imports before it serves, in both modes


def _tune(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@dataclass
class StoredSession:
    """A conversation's stored events since its latest session start, as ``SQLTrackerStore._event_query`` returns
    them, in the order they were written: (timestamp, the event; None for a row Rasa could not read back)."""

    session_start: float | None
    rows: list[tuple[float | None, Event | None]] = field(default_factory=list)
    used_at: float = field(default_factory=time.monotonic)

    @classmethod
    def read(cls, session_start: float | None, rows: list[tuple[float | None, str]]) -> StoredSession:
        """From the database's rows (timestamp, JSON), each event read back as Rasa reads it."""
        return cls(session_start, [(stamp, _event(data)) for stamp, data in rows])

    @property
    def events(self) -> list[Event]:
        return [event for _, event in self.rows if event is not None]

    def add(self, written: list[Event]) -> None:
        """Events just committed: a new session start drops what came before it, as the query's filter
        (timestamp ≥ the latest session start) would. The events are kept as they are (Rasa never changes an
        event once made: it copies one to change it), so the next turn replays them without reading JSON."""
        starts = [event.timestamp for event in written if isinstance(event, SessionStarted)]
        self.rows += [(event.timestamp, event) for event in written]
        if starts:
            self.session_start = max(starts + ([self.session_start] if self.session_start is not None else []))
            self.rows = [(stamp, event) for stamp, event in self.rows
                         if stamp is not None and stamp >= self.session_start]


def _event(data: str) -> Event | None:
    found = deserialise_events([json.loads(data)])
    return found[0] if found else None


class RecentSessions:
    """The remembered sessions, least recently used first; idle ones expire."""

    def __init__(self, max_entries: int, idle_s: float) -> None:
        self.max_entries = max_entries
        self.idle_s = idle_s
        self._sessions: OrderedDict[str, StoredSession] = OrderedDict()

    def get(self, sender_id: str) -> StoredSession | None:
        self._expire()
        stored = self._sessions.get(sender_id)
        if stored is not None:
            stored.used_at = time.monotonic()
            self._sessions.move_to_end(sender_id)
        return stored

    def put(self, sender_id: str, stored: StoredSession) -> None:
        stored.used_at = time.monotonic()
        self._sessions[sender_id] = stored
        self._sessions.move_to_end(sender_id)
        while len(self._sessions) > self.max_entries:
            self._sessions.popitem(last=False)

    def forget(self, sender_id: str) -> None:
        self._sessions.pop(sender_id, None)

    def _expire(self) -> None:
        oldest = time.monotonic() - self.idle_s
        while self._sessions:
            sender_id, stored = next(iter(self._sessions.items()))
            if stored.used_at >= oldest:
                break
            del self._sessions[sender_id]

    def __len__(self) -> int:
        return len(self._sessions)


class TunedSQLTrackerStore(SQLTrackerStore):
    engine: sa.engine.Engine
    sessionmaker: sa.orm.sessionmaker[sa.orm.Session]

    def __init__(self, *args: Any, remember_sessions: bool = False, remember_max: int = 2000,
                 remember_idle_s: float = 900.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=SingletonThreadPool)
            sa.event.listen(self.engine, "connect", _tune)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.recent = RecentSessions(int(remember_max), float(remember_idle_s)) if remember_sessions else None

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        if self.recent is None:
            return await super().retrieve(sender_id)
        stored = self.recent.get(sender_id)
        if stored is None:
            stored = self._read_session(sender_id)
            self.recent.put(sender_id, stored)
        if not (self.domain and stored.rows):
            return None
        return DialogueStateTracker.from_events(sender_id, stored.events, self.domain.slots)

    def _read_session(self, sender_id: str) -> StoredSession:
        with self.session_scope() as session:
            start = (session.query(sa.func.max(self.SQLEvent.timestamp))
                     .filter(self.SQLEvent.sender_id == sender_id,
                             self.SQLEvent.type_name == SessionStarted.type_name).scalar())
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
            return StoredSession.read(start, [(row.timestamp, row.data) for row in rows])

    async def save(self, tracker: DialogueStateTracker) -> None:
        recent = self.recent
        stored = recent.get(tracker.sender_id) if recent is not None else None
        if recent is None or stored is None:
            await super().save(tracker)
            return
        await self.stream_events(tracker)
        written = list(tracker.events)[len(stored.rows):]  # what Rasa's store writes: beyond the stored count
        try:
            with self.session_scope() as session:
                for event in written:
                    data = event.as_dict()
                    session.add(self.SQLEvent(
                        sender_id=tracker.sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                        action_name=data.get("name"), data=json.dumps(data)))
                session.commit()
        except BaseException:
            recent.forget(tracker.sender_id)  # unknown what was written: read it back next time
            raise
        stored.add(written)
