"""The app's search service over the published knowledge base: made from the settings, rebuilt after a publish.

Every replica serves the same knowledge. Each publish, import, archive or rollback — through any replica's API or
console, or by `python -m api.cli kb …` — adds a "published" revision; its commit signals the `kb` topic on the
events bus (Redis between replicas), and a watcher in every app process (`KbSync`) then compares the knowledge
base's generation (how many published revisions there are, and the newest one's id) with the one its index was
built from, and rebuilds when they differ. The watcher also polls every `POLL_S` seconds, so a lost signal, a CLI
run without Redis, or a replica that was down costs at most that long, never a stale index.

A rebuild that fails (the embedder, the disk, the database) is logged, shown to admins on every console page and
retried after 30 s, 60 s … up to 10 minutes (`Rebuilds`); meanwhile the bot keeps searching the index it had.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.config import Settings
from api.db.base import session_scope
from api.db.models import KbRevision, utcnow
from api.services import events, kb_store
from knowledge_base.index.store import SearchIndex
from knowledge_base.records import Procedure
from knowledge_base.service import SearchService

log = logging.getLogger(__name__)

POLL_S = 2.0  # a replica that missed the signal reloads within this long

Generation = tuple[int, int]


def make_search_service(settings: Settings) -> SearchService:
    return SearchService.from_spec(settings.embedder, index_root=settings.var_dir / "index",
                                   cache_path=settings.cache_dir / "embeddings.sqlite")


def rebuild_in_background(search: SearchService) -> Future[SearchIndex]:
    """Rebuild the index from what is published; searches keep the old one meanwhile."""
    with session_scope() as db:
        procedures = kb_store.published_procedures(db)
    return search.rebuild_in_background(procedures)


@dataclass
class RebuildFailure:
    failures: int
    failed_at: dt.datetime
    error: str
    next_retry_at: dt.datetime


class Rebuilds:
    """Rebuilds of one process's index, with their failures remembered and retried."""

    def __init__(self, search: SearchService, first_retry_s: float = 30.0, max_retry_s: float = 600.0) -> None:
        self.search, self.first_retry_s, self.max_retry_s = search, first_retry_s, max_retry_s
        self.failure: RebuildFailure | None = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._closed = False

    def start(self) -> Future[SearchIndex] | None:
        """A rebuild from what is published now (after a publish, or a retry)."""
        try:
            with session_scope() as db:
                procedures = kb_store.published_procedures(db)
        except Exception as error:  # noqa: BLE001 - the database could not be read: counted as a failed rebuild
            self._failed(error)
            return None
        return self.rebuild(procedures)

    def rebuild(self, procedures: Sequence[Procedure]) -> Future[SearchIndex]:
        """A rebuild from these procedures; its failure is remembered and retried."""
        future = self.search.rebuild_in_background(procedures)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[SearchIndex]) -> None:
        error = future.exception()
        if error is not None:
            self._failed(error)
            return
        with self._lock:
            if self.failure is not None:
                log.info("search index rebuilt after %d failed attempts", self.failure.failures)
            self.failure = None

    def _failed(self, error: BaseException) -> None:
        with self._lock:
            if self._closed:
                return
            failures = (self.failure.failures if self.failure else 0) + 1
            delay = min(self.first_retry_s * 2 ** (failures - 1), self.max_retry_s)
            now = utcnow()
            log.error("search index rebuild failed (attempt %d); retrying in %.0f s", failures, delay,
                      exc_info=(type(error), error, error.__traceback__))
            # shown to admins only once it is in the log (problem() reads it without the lock)
            self.failure = RebuildFailure(failures, now, f"{error.__class__.__name__}: {error}"[:300],
                                          now + dt.timedelta(seconds=delay))
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(delay, self.start)
            self._timer.daemon = True
            self._timer.start()

    def problem(self) -> RebuildFailure | None:
        """The last failure while it is not yet repaired (shown to admins)."""
        return self.failure

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()


def generation(db: Session) -> Generation:
    """What the bot's knowledge is at: (published revisions, newest one's id). Revisions are never deleted, so a
    count that grows catches a revision committed after a newer id was seen."""
    count, newest = db.execute(select(func.count(KbRevision.id), func.max(KbRevision.id))
                               .where(KbRevision.state == "published")).one()
    return int(count or 0), int(newest or 0)


class KbSync:
    """Keeps one process's search index at the knowledge base's current generation."""

    def __init__(self, search: SearchService, poll_s: float = POLL_S, rebuilds: Rebuilds | None = None) -> None:
        self.search = search
        self.poll_s = poll_s
        self.rebuilds = rebuilds or Rebuilds(search)  # a failed rebuild is remembered, shown and retried there
        self._seen: Generation | None = None  # the generation the last rebuild started from
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None

    def refresh(self) -> Future[SearchIndex] | None:
        """Rebuild (in the background) if the knowledge base changed since the last rebuild; thread-safe."""
        with self._lock, session_scope() as db:
            current = generation(db)  # read before the procedures: the index is at least this new
            if current == self._seen:
                return None
            procedures = kb_store.published_procedures(db)
            self._seen = current
            future = self.rebuilds.rebuild(procedures)
        log.info("search index rebuild", extra={"generation": list(current)})
        return future

    def problem(self) -> RebuildFailure | None:
        return self.rebuilds.problem()

    async def start(self, bus: events.EventBus) -> None:
        self._task = asyncio.create_task(self._watch(bus), name="kb-sync")

    async def _watch(self, bus: events.EventBus) -> None:
        while True:
            await bus.wait([events.KB], self.poll_s)
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:  # database away: keep the index we have, try again
                log.warning("knowledge base generation unreadable; retrying", exc_info=True)

    async def stop(self) -> None:
        self.rebuilds.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
