"""The search index: chunks + BM25 + dense vectors, built from procedures, saved under a versioned directory.

Directory: ``<root>/<embedder id>/<content hash>/``. The hash covers the chunks, the normalisation data
and the index version, so an unchanged knowledge base loads instead of rebuilding; with the embedding
cache, a changed one re-embeds only its changed chunks.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from knowledge_base.aspects import ASPECTS_FILE
from knowledge_base.embedders import Embedder, slug
from knowledge_base.index.accents import AccentRestorer
from knowledge_base.index.bm25 import BM25
from knowledge_base.index.chunks import Chunk, build_chunks
from knowledge_base.index.dense import HNSW_FROM, DenseIndex
from knowledge_base.records import Procedure
from knowledge_base.text import DATA_DIR, SYNONYMS_FILE, analyze, fold, normalize

INDEX_VERSION = 3  # 3: synonyms no longer cut a keep_together phrase
# Also embed each chunk without diacritics? Measured on the evaluation set, it changes nothing once
# questions typed without diacritics get them restored (search.py), and it doubles vectors and build time.
FOLDED_VECTORS = False
KEEP_INDEXES = 5  # saved index versions kept per embedder (the newest), for a quick rollback
PHRASES_FILE = DATA_DIR / "common_phrases.yml"
DEFAULT_ROOT = Path(os.environ.get("KB_INDEX_DIR", Path(__file__).resolve().parents[2] / "var" / "index"))


def common_phrases() -> list[list[str]]:
    """Words of everyday phrases (``data/common_phrases.yml``, comma-separated) for the accent restorer."""
    import yaml

    lines = yaml.safe_load(PHRASES_FILE.read_text(encoding="utf-8")).get("phrases", [])
    phrases = (phrase for line in lines for phrase in str(line).split(","))
    return [words for phrase in phrases if (words := normalize(phrase).split())]


def content_hash(chunks: Sequence[Chunk], embedder_id: str, folded_vectors: bool = FOLDED_VECTORS) -> str:
    digest = hashlib.sha256(f"v{INDEX_VERSION}\0{embedder_id}\0{folded_vectors}\0".encode())
    for path in (SYNONYMS_FILE, ASPECTS_FILE, PHRASES_FILE):
        digest.update(path.read_bytes())
    for chunk in chunks:
        digest.update(json.dumps(chunk.to_dict(), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


@dataclass
class SearchIndex:
    chunks: list[Chunk]
    bm25: BM25  # one row per chunk, idf over procedures
    procedure_bm25: BM25  # one row per procedure (all its chunks together)
    dense: DenseIndex
    accents: AccentRestorer
    embedder_id: str
    content_hash: str

    def __post_init__(self) -> None:
        self.procedure_ids: list[str] = list(dict.fromkeys(c.procedure_id for c in self.chunks))
        number = {pid: i for i, pid in enumerate(self.procedure_ids)}
        self.chunk_procedure = np.array([number[c.procedure_id] for c in self.chunks], dtype=np.int64)
        self.titles = {c.procedure_id: c.title for c in self.chunks}
        self._order = np.argsort(self.chunk_procedure, kind="stable")
        self._bounds = np.searchsorted(self.chunk_procedure[self._order], np.arange(len(self.procedure_ids) + 1))
        self.procedure_chunks = [self._order[a:b] for a, b in pairwise(self._bounds)]  # chunk numbers per procedure

    def per_procedure_max(self, chunk_values: np.ndarray) -> np.ndarray:
        """The best value of each procedure's chunks (every procedure has at least one chunk)."""
        if not len(self.procedure_ids):
            return np.zeros(0, dtype=chunk_values.dtype)
        return np.maximum.reduceat(chunk_values[self._order], self._bounds[:-1])

    # --- build -------------------------------------------------------------------------------------

    @classmethod
    def build(cls, procedures: Sequence[Procedure], embedder: Embedder, hnsw_from: int = HNSW_FROM) -> SearchIndex:
        return cls.from_chunks(build_chunks(procedures), embedder, hnsw_from=hnsw_from)

    @classmethod
    def from_chunks(
        cls, chunks: list[Chunk], embedder: Embedder, hnsw_from: int = HNSW_FROM, folded_vectors: bool = FOLDED_VECTORS
    ) -> SearchIndex:
        analyses = [analyze(chunk.text) for chunk in chunks]
        numbers = {pid: i for i, pid in enumerate(dict.fromkeys(c.procedure_id for c in chunks))}
        groups = [numbers[c.procedure_id] for c in chunks]
        per_procedure: list[list[str]] = [[] for _ in numbers]
        for group, analysis in zip(groups, analyses, strict=True):
            per_procedure[group].extend(analysis.tokens)
        texts, owners = [], []
        for number, analysis in enumerate(analyses):
            forms = (analysis.expanded, fold(analysis.expanded)) if folded_vectors else (analysis.expanded,)
            for text in dict.fromkeys(forms):
                texts.append(text)
                owners.append(number)
        vectors = embedder.embed_passages(texts) if texts else np.zeros((0, embedder.dim), np.float32)
        return cls(
            chunks=chunks,
            bm25=BM25.fit([a.tokens for a in analyses], groups=groups),
            procedure_bm25=BM25.fit(per_procedure),
            dense=DenseIndex.build(vectors.reshape(len(texts), -1), np.asarray(owners), hnsw_from=hnsw_from),
            accents=AccentRestorer.fit([*(a.expanded.split() for a in analyses), *common_phrases()]),
            embedder_id=embedder.model_id,
            content_hash=content_hash(chunks, embedder.model_id, folded_vectors),
        )

    # --- persistence -------------------------------------------------------------------------------

    def save(self, directory: Path) -> Path:
        """Write to a temporary sibling, then rename: readers never see a half-written index."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory.parent))
        try:
            self.bm25.save(tmp, "bm25")
            self.procedure_bm25.save(tmp, "procedure_bm25")
            self.dense.save(tmp)
            self.accents.save(tmp / "accents.json")
            with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as out:
                for chunk in self.chunks:
                    out.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
            meta = {
                "version": INDEX_VERSION,
                "embedder": self.embedder_id,
                "content_hash": self.content_hash,
                "chunks": len(self.chunks),
                "vectors": self.dense.size,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
            if directory.exists():
                shutil.rmtree(directory)  # a broken earlier attempt
            try:
                tmp.rename(directory)
            except OSError:
                if not (directory / "meta.json").exists():
                    raise  # else another process saved the same content first
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return directory

    @classmethod
    def load(cls, directory: Path) -> SearchIndex:
        meta = json.loads((directory / "meta.json").read_text())
        if meta.get("version") != INDEX_VERSION:
            raise ValueError(f"{directory}: index version {meta.get('version')}, expected {INDEX_VERSION}")
        with (directory / "chunks.jsonl").open(encoding="utf-8") as lines:
            chunks = [Chunk(**json.loads(line)) for line in lines]
        return cls(
            chunks=chunks,
            bm25=BM25.load(directory, "bm25"),
            procedure_bm25=BM25.load(directory, "procedure_bm25"),
            dense=DenseIndex.load(directory),
            accents=AccentRestorer.load(directory / "accents.json"),
            embedder_id=meta["embedder"],
            content_hash=meta["content_hash"],
        )


def index_dir(root: Path, embedder_id: str, digest: str) -> Path:
    return root / slug(embedder_id) / digest[:16]


def build_or_load(procedures: Sequence[Procedure], embedder: Embedder, root: Path | None = DEFAULT_ROOT) -> SearchIndex:
    """Load the saved index for exactly this content and embedder, or build (and save) it."""
    chunks = build_chunks(procedures)
    if root is None:
        return SearchIndex.from_chunks(chunks, embedder)
    directory = index_dir(root, embedder.model_id, content_hash(chunks, embedder.model_id))
    if (directory / "meta.json").exists():
        try:
            index = SearchIndex.load(directory)
            os.utime(directory)  # recently used: kept by prune()
            return index
        except (OSError, ValueError, KeyError):
            pass  # unreadable or stale: rebuild below
    index = SearchIndex.from_chunks(chunks, embedder)
    index.save(directory)
    prune(directory.parent, keep=KEEP_INDEXES)
    return index


def prune(embedder_dir: Path, keep: int) -> None:
    """Delete all but the ``keep`` most recently written index directories."""
    saved = sorted((d for d in embedder_dir.iterdir() if (d / "meta.json").exists()), key=lambda d: d.stat().st_mtime)
    for old in saved[: max(len(saved) - keep, 0)]:
        shutil.rmtree(old, ignore_errors=True)
