"""Rasa's SQL tracker store, with SQLite tuned for a chat server (used by the generated endpoints.yml).

Rasa 3.6 opens SQLite with SQLAlchemy 1.4's defaults: a new connection for every read and write, the rollback
journal and a full fsync on every commit — in a profile of the load benchmark, about 40% of Rasa's time per turn.
Here one connection per thread is kept, in WAL mode with `synchronous=NORMAL` (after an operating-system crash the
last few turns may be lost, never the file's consistency; the app's own database is the record of the
conversation). PostgreSQL is left as Rasa configures it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.pool import SingletonThreadPool


def _tune(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class TunedSQLTrackerStore(SQLTrackerStore):
    engine: sa.engine.Engine
    sessionmaker: sa.orm.sessionmaker[sa.orm.Session]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=SingletonThreadPool)
            sa.event.listen(self.engine, "connect", _tune)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
