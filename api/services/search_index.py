"""The app's search service over the published knowledge base: made from the settings, rebuilt after a publish.

Every replica serves the same knowledge. Each publish, import, archive or rollback — through any replica's API or
console, or by `python -m api.cli kb …` — adds a "published" revision; its commit signals the `kb` topic on the
events bus (Redis between replicas), and a watcher in every app process (`KbSync`) then compares the knowledge
base's generation (how many published revisions there are, and the newest one's id) with the one its index was
built from, and rebuilds when they differ. The watcher also polls every `POLL_S` seconds, so a lost signal, a CLI
run without Redis, or a replica that was down costs at most that long, never a stale index.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from concurrent.futures import Future

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.core.config import Settings
from api.db.base import session_scope
from api.db.models import KbRevision
from api.services import events, kb_store
from knowledge_base.index.store import SearchIndex
from knowledge_base.service import SearchService

log = logging.getLogger(__name__)

POLL_S = 2.0  # a replica that missed the signal reloads within this long

Generation = tuple[int, int]


def make_search_service(settings: Settings) -> SearchService:
    return SearchService.from_spec(settings.embedder, index_root=settings.var_dir / "index",
                                   cache_path=settings.cache_dir / "embeddings.sqlite")


def generation(db: Session) -> Generation:
    """What the bot's knowledge is at: (published revisions, newest one's id). Revisions are never deleted, so a
    count that grows catches a revision committed after a newer id was seen."""
    count, newest = db.execute(select(func.count(KbRevision.id), func.max(KbRevision.id))
                               .where(KbRevision.state == "published")).one()
    return int(count or 0), int(newest or 0)


class KbSync:
    """Keeps one process's search index at the knowledge base's current generation."""

    def __init__(self, search: SearchService, poll_s: float = POLL_S) -> None:
        self.search = search
        self.poll_s = poll_s
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
            future = self.search.rebuild_in_background(procedures)
        future.add_done_callback(lambda done: self._failed(current) if done.exception() else None)
        log.info("search index rebuild", extra={"generation": list(current)})
        return future

    def _failed(self, at: Generation) -> None:
        with self._lock:
            if self._seen == at:
                self._seen = None  # try again at the next signal or poll

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
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
