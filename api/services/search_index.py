"""The app's search service over the published knowledge base: made from the settings, rebuilt after a publish.

A rebuild that fails (the embedder, the disk, the database) is logged, shown to admins on every console page and
retried after 30 s, 60 s … up to 10 minutes; meanwhile the bot keeps searching the index it had."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from api.core.config import Settings
from api.db.base import session_scope
from api.db.models import utcnow
from api.services import kb_store
from knowledge_base.index.store import SearchIndex
from knowledge_base.service import SearchService

log = logging.getLogger(__name__)


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
            future = rebuild_in_background(self.search)
        except Exception as error:  # noqa: BLE001 - the database could not be read: counted as a failed rebuild
            self._failed(error)
            return None
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
            self.failure = RebuildFailure(failures, now, f"{error.__class__.__name__}: {error}"[:300],
                                          now + dt.timedelta(seconds=delay))
            log.error("search index rebuild failed (attempt %d); retrying in %.0f s", failures, delay,
                      exc_info=(type(error), error, error.__traceback__))
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
