"""Search index over procedures: chunks, BM25 (folded syllables + bigrams) and faiss dense vectors."""

from knowledge_base.index.bm25 import BM25
from knowledge_base.index.chunks import Chunk, build_chunks, procedure_chunks
from knowledge_base.index.dense import DenseIndex
from knowledge_base.index.store import DEFAULT_ROOT, SearchIndex, build_or_load, content_hash, index_dir

__all__ = [
    "BM25",
    "DEFAULT_ROOT",
    "Chunk",
    "DenseIndex",
    "SearchIndex",
    "build_chunks",
    "build_or_load",
    "content_hash",
    "index_dir",
    "procedure_chunks",
]
