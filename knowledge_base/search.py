"""Hybrid search: BM25 + dense vectors, fused per procedure, then answer, ask to choose, or admit no answer.

For a question, per procedure:
- ``bm25``: mean of the procedure-level BM25 score (all its chunks as one document) and of its best
  chunk's BM25 score (idf counted over procedures), each divided by the best procedure's;
- ``dense``: mean cosine of its 3 best chunks against the question as embedded: expanded with synonyms,
  typos fixed and, if typed without diacritics, diacritics restored from the knowledge base's own words;
- ``fused = 0.6 * dense (rescaled from [0.80, 0.92] to [0, 1]) + 0.4 * bm25`` ranks the procedures.
Decision: "none" when the best procedure's dense score is under ``none_below`` and its words do not
match strongly either; "clarify" when runners-up are within ``clarify_margin``; else "answer".
Beside it, ``other``: a procedure of the catalogue of others clearly closer in meaning than any guide
(``other_margin``), for the answer policy to point to instead.
Parameters live in ``knowledge_base/data/search.yml``, with how they were tuned.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from knowledge_base.aspects import default_detector
from knowledge_base.embedders import Embedder
from knowledge_base.focus import focus
from knowledge_base.index.bm25 import QueryTerms
from knowledge_base.index.store import SearchIndex
from knowledge_base.other_vectors import OtherVectors
from knowledge_base.text import DATA_DIR, Analysis, analyze, canon_syllable, has_diacritics

CONFIG_FILE = DATA_DIR / "search.yml"
Decision = Literal["answer", "clarify", "none"]
ACCENTED_ENOUGH = 0.3  # share of accented syllables above which a question counts as typed with diacritics


@lru_cache(maxsize=8)
def config_for(embedder_id: str) -> SearchConfig:
    """The shipped search parameters for an embedder (``knowledge_base/data/search.yml``)."""
    return SearchConfig.from_file(embedder_id=embedder_id) if CONFIG_FILE.exists() else SearchConfig()


class SearchResult(BaseModel):
    procedure_id: str
    title: str
    score: float  # confidence in [0, 1]
    matched: str  # the chunk that matched best (an alias, a section, an FAQ question)
    aspect: str  # aspect of that chunk
    source: str = ""  # where that chunk comes from: "title", "alias", "section", "note", "faq:<faq id>"


class OtherMatch(BaseModel):
    """A procedure of the catalogue of others clearly closer in meaning to the question than any guide."""

    entry_id: str
    score: float  # cosine of the question with the entry's nearest phrase
    margin: float  # that cosine minus the best guide's dense score


class SearchResponse(BaseModel):
    query: str
    decision: Decision
    aspect: str | None = None  # what the question asks about: fee, time, documents, agency, online, ...
    results: list[SearchResult] = []
    choice_count: int = 0  # leading results to offer: 1 to answer, 2-3 buttons to clarify, 0 for none
    other: OtherMatch | None = None  # set only when the catalogue of others is compared and one entry is clearly closer

    @property
    def choices(self) -> list[SearchResult]:
        return self.results[: self.choice_count]


@dataclass(frozen=True)
class SearchConfig:
    dense_k: int = 1024  # vectors fetched from faiss per question
    dense_top: int = 3  # a procedure's dense score: mean cosine of its best chunks
    dense_floor: float = 0.80  # cosine mapped to 0 ...
    dense_ceiling: float = 0.92  # ... and to 1 before fusion
    weight_dense: float = 0.6  # fused = w * dense + (1 - w) * bm25
    none_below: float = 0.89  # dense score of the best procedure under which the decision is "none" ...
    lexical_rescue: float = 25.0  # ... unless its procedure-level BM25 score reaches this
    clarify_margin: float = 0.05  # a runner-up this close in fused score -> "clarify"
    asking_weight: float = 0.5  # a long message: weight of its asking sentences' signals against the whole's
    # The catalogue of other procedures, in meaning: an entry is "clearly closer" when its nearest phrase's cosine
    # with the whole message reaches ``other_floor`` and beats the best guide's dense score by ``other_margin``.
    # None: not compared (cosine scales differ between embedders; set per embedder in search.yml).
    other_margin: float | None = None
    other_floor: float = 0.0

    @classmethod
    def from_file(cls, path: Path = CONFIG_FILE, embedder_id: str | None = None) -> SearchConfig:
        """``defaults`` overlaid with the section of ``embedders`` named after the embedder's model id."""
        import yaml

        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        fields = dict(data.get("defaults") or {})
        fields.update((data.get("embedders") or {}).get(embedder_id or "", {}) or {})
        return cls(**fields)


@dataclass
class Signals:
    """One question's signals, per procedure (arrays indexed like ``SearchIndex.procedure_ids``)."""

    analysis: Analysis
    dense_text: str  # what was embedded: expanded, typos fixed, diacritics restored
    vector: np.ndarray  # its embedding
    chunk_dense: np.ndarray  # best cosine of each chunk, -1 if not among the vectors fetched
    chunk_bm25: np.ndarray
    dense: np.ndarray  # mean cosine of the procedure's best ``dense_top`` chunks
    lexical: np.ndarray  # procedure-level BM25 score
    bm25: np.ndarray  # mean of procedure-level BM25 and best chunk BM25, each divided by its maximum

    def blend(self, other: Signals, weight: float) -> Signals:
        """These signals with ``other``'s weighing ``weight`` (a long message's asking sentences)."""

        def mix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return ((1 - weight) * a + weight * b).astype(np.float32)

        return Signals(self.analysis, self.dense_text, self.vector, mix(self.chunk_dense, other.chunk_dense),
                       mix(self.chunk_bm25, other.chunk_bm25), mix(self.dense, other.dense),
                       mix(self.lexical, other.lexical), mix(self.bm25, other.bm25))


def _top_mean(owners: np.ndarray, scores: np.ndarray, groups: np.ndarray, n_groups: int, top: int) -> np.ndarray:
    """Per group, the mean of its ``top`` best scores (``scores`` sorted descending); missing ones count
    as the lowest score fetched."""
    floor = float(scores[-1]) if len(scores) else -1.0
    _, first = np.unique(owners, return_index=True)  # a chunk's first (best) vector
    first.sort()
    group, value = groups[owners[first]], scores[first]
    order = np.argsort(group, kind="stable")
    group, value = group[order], value[order]
    starts = np.searchsorted(group, group)  # index where each element's group begins
    keep = np.arange(len(group)) - starts < top
    total = np.bincount(group[keep], weights=value[keep], minlength=n_groups)
    count = np.bincount(group[keep], minlength=n_groups)
    return ((total + (top - count) * floor) / top).astype(np.float32)


def _scaled(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else values


class Searcher:
    def __init__(self, index: SearchIndex, embedder: Embedder, config: SearchConfig | None = None,
                 others: OtherVectors | None = None) -> None:
        if embedder.model_id != index.embedder_id:
            raise ValueError(f"index built with {index.embedder_id!r}, embedder is {embedder.model_id!r}")
        self.index = index
        self.embedder = embedder
        self.config = config or config_for(embedder.model_id)
        self.others = others  # the catalogue of other procedures in vectors (compared when other_margin is set)

    # --- signals ------------------------------------------------------------------------------------

    def signals(self, query: str, analysis: Analysis | None = None) -> Signals:
        index, n_proc, c = self.index, len(self.index.procedure_ids), self.config
        analysis = analysis or analyze(query)
        terms, dense_text = self._terms_and_dense_text(analysis)
        chunk_bm25 = index.bm25.scores(terms)
        best_chunk = index.per_procedure_max(chunk_bm25)
        procedure_bm25 = index.procedure_bm25.scores(index.procedure_bm25.query_terms(analysis.tokens))
        bm25 = (_scaled(procedure_bm25) + _scaled(best_chunk)) / 2

        vector = self.embedder.embed_queries([dense_text])[0]
        scores, owners = index.dense.search(vector, c.dense_k)
        chunk_dense = np.full(len(index.chunks), -1.0, np.float32)
        np.maximum.at(chunk_dense, owners, scores)
        dense = _top_mean(owners, scores, index.chunk_procedure, n_proc, c.dense_top)
        return Signals(analysis, dense_text, vector, chunk_dense, chunk_bm25, dense, procedure_bm25, bm25)

    def _terms_and_dense_text(self, analysis: Analysis) -> tuple[QueryTerms, str]:
        """The question's BM25 terms, and the text its embedding is computed from (what ``warm`` embeds ahead)."""
        terms = self.index.bm25.query_terms(analysis.tokens)
        return terms, self._dense_text(analysis, terms.corrections)

    def _dense_text(self, analysis: Analysis, corrections: dict[str, str]) -> str:
        """The expanded question with typos fixed and, when it was typed without diacritics, the diacritics
        put back (when typed with them, syllables the words around show mis-accented or left bare are
        mended): the dense model reads accented Vietnamese much better."""
        typed = analysis.normalized.split()
        words = analysis.expanded.split()
        if typed and sum(map(has_diacritics, typed)) / len(typed) >= ACCENTED_ENOUGH:
            return " ".join(self.index.accents.restore(words, trust_bare=True))
        words = [w if has_diacritics(w) else corrections.get(canon_syllable(w), w) for w in words]
        return " ".join(self.index.accents.restore(words))

    def fuse(self, s: Signals) -> np.ndarray:
        c = self.config
        dense = np.clip((s.dense - c.dense_floor) / (c.dense_ceiling - c.dense_floor), 0, 1)
        return c.weight_dense * dense + (1 - c.weight_dense) * s.bm25

    # --- search -------------------------------------------------------------------------------------

    @staticmethod
    def _readings(query: str) -> tuple[Analysis, Analysis | None]:
        """The whole message's analysis, and its asking sentences' when a long message has some of its own."""
        focused = focus(query)
        analysis = analyze(focused.whole)
        return analysis, analyze(focused.asking) if focused.narrowed else None

    @staticmethod
    def _aspect(analysis: Analysis, asking: Analysis | None) -> str | None:
        return default_detector().detect((analysis if asking is None else asking).expanded, expanded=True)

    @classmethod
    def asked_aspect(cls, query: str) -> str | None:
        """The aspect ``search(query)`` reports (fee, time, documents, …), without searching."""
        return cls._aspect(*cls._readings(query))

    def warm(self, query: str) -> None:
        """Embed what ``search(query)`` will embed, ahead of it: the vectors wait in the embedder's cache."""
        analysis, asking = self._readings(query)
        if self.index.procedure_ids and analysis.tokens:
            readings = [analysis] + ([asking] if asking is not None and asking.tokens else [])
            self.embedder.embed_queries([self._terms_and_dense_text(a)[1] for a in readings])

    def search(self, query: str, k: int = 5) -> SearchResponse:
        """Place names ignored; a long message's asking sentences weigh ``asking_weight`` against the whole."""
        analysis, asking = self._readings(query)
        aspect = self._aspect(analysis, asking)
        if not self.index.procedure_ids or not analysis.tokens:
            return SearchResponse(query=query, decision="none", aspect=aspect)
        whole = s = self.signals(analysis.text, analysis)
        if asking is not None and asking.tokens:
            s = s.blend(self.signals(asking.text, asking), self.config.asking_weight)
        fused = self.fuse(s)
        order = np.argsort(-fused, kind="stable")[:k]
        results = [self._result(int(p), float(fused[p]), s, aspect) for p in order]
        best = int(order[0])
        decision, count = self.decide(float(s.dense[best]), float(s.lexical[best]), results)
        return SearchResponse(query=query, decision=decision, aspect=aspect, results=results, choice_count=count,
                              other=self._other(whole))

    def _other(self, s: Signals) -> OtherMatch | None:
        """The catalogue entry clearly closer to the whole message than any guide, if any."""
        c = self.config
        if self.others is None or c.other_margin is None or not len(s.dense):
            return None
        closest = self.others.closest(s.vector)
        if closest is None:
            return None
        entry_id, score = closest
        margin = score - float(s.dense.max())
        if score < c.other_floor or margin < c.other_margin:
            return None
        return OtherMatch(entry_id=entry_id, score=round(score, 4), margin=round(margin, 4))

    def decide(self, dense: float, lexical: float, results: list[SearchResult]) -> tuple[Decision, int]:
        """The decision and how many leading results to offer: "none" when the best procedure is not
        close enough in meaning (nor strongly matched by words), "clarify" when runners-up are within
        the margin of fused score, else "answer"."""
        c = self.config
        if not results or (dense < c.none_below and lexical < c.lexical_rescue):
            return "none", 0
        close = [r for r in results[1:3] if results[0].score - r.score < c.clarify_margin]
        return ("clarify", 1 + len(close)) if close else ("answer", 1)

    def _result(self, procedure: int, score: float, s: Signals, aspect: str | None) -> SearchResult:
        index = self.index
        mine = index.procedure_chunks[procedure]
        top_bm25 = float(s.chunk_bm25.max()) or 1.0
        chunk_score = np.clip(s.chunk_dense[mine], 0, 1) + s.chunk_bm25[mine] / top_bm25
        if aspect is not None:
            wanted = np.array([index.chunks[i].aspect == aspect for i in mine])
            chunk_score = np.where(wanted, chunk_score + 10.0, chunk_score)
        best = index.chunks[int(mine[int(np.argmax(chunk_score))])]
        pid = index.procedure_ids[procedure]
        return SearchResult(
            procedure_id=pid,
            title=index.titles[pid],
            score=round(score, 4),
            matched=best.matched,
            aspect=best.aspect,
            source=best.source,
        )
