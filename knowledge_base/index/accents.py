"""Put the diacritics back on a question typed without them, using the knowledge base's own words.

The dense model reads "làm giấy khai sinh cho con" far better than "lam giay khai sinh cho con". Each
folded syllable has the accented spellings seen in the indexed text; a Viterbi pass picks the sequence
that best fits the bigrams seen there. Syllables typed with diacritics, and words the knowledge base
never uses, are kept as typed.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

from knowledge_base.text import canon_syllable, has_diacritics

BIGRAM_WEIGHT = 2.0
UNIGRAM_WEIGHT = 0.5


class AccentRestorer:
    def __init__(self, unigrams: dict[str, dict[str, int]], bigrams: dict[str, int]) -> None:
        self.unigrams = unigrams  # folded syllable -> {accented spelling: count}
        self.bigrams = bigrams  # "spelling spelling" -> count

    @classmethod
    def fit(cls, documents: Iterable[list[str]]) -> AccentRestorer:
        """``documents``: normalised (accented, lower-case) words of each indexed text."""
        unigrams: defaultdict[str, Counter[str]] = defaultdict(Counter)
        bigrams: Counter[str] = Counter()
        for words in documents:
            for word in words:
                unigrams[canon_syllable(word)][word] += 1
            bigrams.update(f"{a} {b}" for a, b in pairwise(words))
        return cls({key: dict(spellings) for key, spellings in unigrams.items()}, dict(bigrams))

    def _candidates(self, word: str) -> list[str]:
        if has_diacritics(word):
            return [word]
        return list(self.unigrams.get(canon_syllable(word), {})) or [word]

    def restore(self, words: list[str]) -> list[str]:
        if not words:
            return []

        def unigram(word: str) -> float:
            return UNIGRAM_WEIGHT * math.log1p(self.unigrams.get(canon_syllable(word), {}).get(word, 0))

        best = {c: unigram(c) for c in self._candidates(words[0])}
        back: list[dict[str, str]] = []
        for word in words[1:]:
            scores, pointers = {}, {}
            for cand in self._candidates(word):
                prev, score = max(
                    ((p, s + BIGRAM_WEIGHT * math.log1p(self.bigrams.get(f"{p} {cand}", 0))) for p, s in best.items()),
                    key=lambda item: item[1],
                )
                scores[cand], pointers[cand] = score + unigram(cand), prev
            best = scores
            back.append(pointers)
        word = max(best, key=best.__getitem__)
        out = [word]
        for pointers in reversed(back):
            word = pointers[word]
            out.append(word)
        return out[::-1]

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"unigrams": self.unigrams, "bigrams": self.bigrams}, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> AccentRestorer:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["unigrams"], data["bigrams"])
