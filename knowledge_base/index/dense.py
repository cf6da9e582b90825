"""Dense vectors of chunks in faiss (inner product on L2-normalised vectors = cosine).

A chunk has one vector, or two with ``store.FOLDED_VECTORS`` (also without diacritics); ``owners`` maps a
vector row to its chunk. Exact search (IndexFlatIP) below ``HNSW_FROM`` vectors, an HNSW graph beyond.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

# Exact search below this many vectors: at 100k (384-d) it costs p95 20 ms per question on 2 cores and
# builds in a second, where HNSW costs 10 ms but 76 s to build, on every publish.
HNSW_FROM = 250_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


class DenseIndex:
    def __init__(self, index: faiss.Index, owners: np.ndarray) -> None:
        self.index = index
        self.owners = owners  # chunk number of each vector row

    @classmethod
    def build(cls, vectors: np.ndarray, owners: np.ndarray, hnsw_from: int = HNSW_FROM) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = vectors.shape[1]
        index: faiss.Index
        if len(vectors) >= hnsw_from:
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return cls(index, np.asarray(owners, dtype=np.int64))

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(cosine, chunk number) of the best ``k`` vectors; a chunk may appear more than once."""
        k = min(k, self.size)
        faiss.omp_set_num_threads(1)  # one question at a time: threads only add overhead (this thread's setting)
        if k == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores, rows = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        keep = rows[0] >= 0
        return scores[0][keep], self.owners[rows[0][keep]]

    def chunk_scores(self, query: np.ndarray, n_chunks: int, k: int) -> np.ndarray:
        """Best cosine per chunk among the top ``k`` vectors; -1 for chunks not reached."""
        scores, owners = self.search(query, k)
        best = np.full(n_chunks, -1.0, dtype=np.float32)
        np.maximum.at(best, owners, scores)
        return best

    def save(self, directory: Path) -> None:
        faiss.write_index(self.index, str(directory / "dense.faiss"))
        np.save(directory / "dense_owners.npy", self.owners)

    @classmethod
    def load(cls, directory: Path) -> DenseIndex:
        index = faiss.read_index(str(directory / "dense.faiss"))
        if isinstance(index, faiss.IndexHNSWFlat):
            index.hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index, np.load(directory / "dense_owners.npy"))
