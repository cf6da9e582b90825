"""BM25 over folded syllables and syllable bigrams, as a sparse matrix of precomputed term weights.

Scoring a query is one sparse column slice and a mat-vec: fast enough for 100k chunks. A query syllable
missing from the vocabulary is replaced by its nearest vocabulary syllable (edit distance ≤ 1 on each
side, SymSpell-style), so a typo ("khai sihn", "can cuocc") still finds its procedure.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy import sparse

K1 = 1.2
B = 0.75
MIN_FUZZY_LEN = 3  # shorter syllables are never corrected
FUZZY_WEIGHT = 0.7  # a corrected term counts less than a typed one


def terms(tokens: Sequence[str]) -> list[str]:
    """Unigrams and bigrams (joined by '_') of folded syllables."""
    return [*tokens, *(f"{a}_{b}" for a, b in pairwise(tokens))]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance with adjacent transpositions ("tahc" -> "tach" is 1)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


@dataclass
class QueryTerms:
    columns: np.ndarray  # vocabulary columns of the query terms found
    weights: np.ndarray  # 1.0 typed, FUZZY_WEIGHT corrected
    unigram_idf: np.ndarray  # idf of each query syllable, OOV ones at the maximum idf
    unigram_columns: np.ndarray  # column per query syllable, -1 if unknown
    unigram_weights: np.ndarray  # as weights, for the syllables
    corrections: dict[str, str]


class BM25:
    def __init__(self, vocabulary: dict[str, int], matrix: sparse.csc_matrix, idf: np.ndarray) -> None:
        self.vocabulary = vocabulary
        self.matrix = matrix  # (chunks x terms) BM25 weight of each term in each chunk
        self.idf = idf
        self.max_idf = float(idf.max()) if len(idf) else 1.0
        self._df = np.diff(matrix.indptr)
        self._fuzzy: dict[str, list[str]] | None = None

    @classmethod
    def fit(
        cls, documents: Sequence[Sequence[str]], groups: Sequence[int] | None = None, k1: float = K1, b: float = B
    ) -> BM25:
        """``documents``: folded syllables of each chunk.

        With ``groups`` (the procedure of each chunk), idf counts groups rather than chunks: a word found
        in every procedure ("lệ phí", "ở đâu") weighs nothing, however few chunks hold it.
        """
        vocabulary: dict[str, int] = {}
        rows, cols, tfs, lengths = [], [], [], []
        for row, tokens in enumerate(documents):
            counts = Counter(terms(tokens))
            lengths.append(len(tokens))
            for term, count in counts.items():
                rows.append(row)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                tfs.append(count)
        n_docs = len(documents)
        tf = np.asarray(tfs, dtype=np.float32)
        col = np.asarray(cols, dtype=np.int64)
        row_idx = np.asarray(rows, dtype=np.int64)
        if groups is None:
            df, n_units = np.bincount(col, minlength=len(vocabulary)).astype(np.float32), n_docs
        else:
            group = np.asarray(groups, dtype=np.int64)
            n_units = int(group.max()) + 1 if len(group) else 0
            pairs = np.unique(group[row_idx] * max(len(vocabulary), 1) + col)
            df = np.bincount(pairs % max(len(vocabulary), 1), minlength=len(vocabulary)).astype(np.float32)
        idf = np.log1p((n_units - df + 0.5) / (df + 0.5)).astype(np.float32)
        length = np.asarray(lengths, dtype=np.float32)
        avg = float(length.mean()) if n_docs else 1.0
        norm = k1 * (1 - b + b * length[row_idx] / max(avg, 1e-6))
        weight = idf[col] * tf * (k1 + 1) / (tf + norm)
        matrix = sparse.csc_matrix((weight, (row_idx, col)), shape=(n_docs, len(vocabulary)), dtype=np.float32)
        return cls(vocabulary, matrix, idf)

    # --- typo tolerance ---------------------------------------------------------------------------

    def _fuzzy_index(self) -> dict[str, list[str]]:
        if self._fuzzy is None:
            index: dict[str, list[str]] = {}
            for term in self.vocabulary:
                if "_" in term or len(term) < MIN_FUZZY_LEN:
                    continue
                for key in {term} | _deletes(term):
                    index.setdefault(key, []).append(term)
            self._fuzzy = index
        return self._fuzzy

    def correct(self, token: str) -> str | None:
        """The closest vocabulary syllable (then the most frequent) for an unknown ``token``."""
        if token in self.vocabulary or len(token) < MIN_FUZZY_LEN or not token.isalpha():
            return None
        index = self._fuzzy_index()
        candidates = {c for key in {token} | _deletes(token) for c in index.get(key, ())}
        if not candidates:
            return None
        return min(sorted(candidates), key=lambda c: (edit_distance(token, c), -self._df[self.vocabulary[c]]))

    # --- scoring -----------------------------------------------------------------------------------

    def query_terms(self, tokens: Sequence[str]) -> QueryTerms:
        corrections = {t: c for t in dict.fromkeys(tokens) if (c := self.correct(t))}
        fixed = [corrections.get(t, t) for t in tokens]
        typed = set(tokens)
        weights: dict[int, float] = {}
        for term in terms(fixed):
            column = self.vocabulary.get(term)
            if column is not None:
                w = 1.0 if all(part in typed for part in term.split("_")) else FUZZY_WEIGHT
                weights[column] = max(weights.get(column, 0.0), w)
        uni_cols = np.array([self.vocabulary.get(t, -1) for t in fixed], dtype=np.int64)
        uni_w = np.array([1.0 if t in typed else FUZZY_WEIGHT for t in fixed], dtype=np.float32)
        uni_idf = np.where(uni_cols >= 0, self.idf[np.maximum(uni_cols, 0)], self.max_idf).astype(np.float32)
        return QueryTerms(
            columns=np.fromiter(weights.keys(), dtype=np.int64, count=len(weights)),
            weights=np.fromiter(weights.values(), dtype=np.float32, count=len(weights)),
            unigram_idf=uni_idf,
            unigram_columns=uni_cols,
            unigram_weights=uni_w,
            corrections=corrections,
        )

    def scores(self, query: QueryTerms) -> np.ndarray:
        """BM25 score of every chunk."""
        if not len(query.columns):
            return np.zeros(self.matrix.shape[0], dtype=np.float32)
        return np.asarray(self.matrix[:, query.columns] @ query.weights, dtype=np.float32).ravel()

    # --- persistence --------------------------------------------------------------------------------

    def save(self, directory: Path, name: str = "bm25") -> None:
        sparse.save_npz(directory / f"{name}.npz", self.matrix)
        np.save(directory / f"{name}_idf.npy", self.idf)
        terms_by_column = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        (directory / f"{name}_vocabulary.json").write_text(json.dumps(terms_by_column, ensure_ascii=False))

    @classmethod
    def load(cls, directory: Path, name: str = "bm25") -> BM25:
        terms_by_column = json.loads((directory / f"{name}_vocabulary.json").read_text())
        matrix = sparse.csc_matrix(sparse.load_npz(directory / f"{name}.npz"))  # shares the arrays if csc
        return cls({term: i for i, term in enumerate(terms_by_column)}, matrix, np.load(directory / f"{name}_idf.npy"))
