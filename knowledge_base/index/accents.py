"""Put the diacritics back on a question typed without them, using the knowledge base's own words.

The dense model reads "làm giấy khai sinh cho con" far better than "lam giay khai sinh cho con". Each
folded syllable has the accented spellings seen in the indexed text; a Viterbi pass picks the sequence
that best fits the bigrams seen there. Words the knowledge base never uses are kept as typed. A syllable
typed with diacritics is a candidate beside the knowledge base's spellings, with a bonus: it keeps its marks
unless the words around it clearly say otherwise ("giây chứng nhân", "tách khâu": a slip on the phone's
keyboard, mended to "giấy chứng nhận", "tách khẩu").
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
# How much the spelling as typed is trusted against the knowledge base's words and bigrams: a syllable typed
# with diacritics keeps them unless the bigrams around it clearly say otherwise ("giây chứng nhân" -> "giấy
# chứng nhận"); a bare one in a message typed with diacritics is trusted less ("nhung" among accented words is
# usually "những" or "nhưng"). Chosen on tests/data/chat_eval/dev.jsonl and tests/data/retrieval_eval.jsonl
# (docs/evaluation.md): in-scope "none" on dev 0.059 -> 0.024, the retrieval set unchanged.
TYPED_BONUS = 3.0
BARE_BONUS = 1.5


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

    def _candidates(self, word: str, trust_bare: bool) -> list[str]:
        spellings = self.unigrams.get(canon_syllable(word), {})
        if not spellings:
            return [word]
        if has_diacritics(word) or trust_bare:
            return list({word: 0, **spellings})
        return list(spellings)

    def restore(self, words: list[str], trust_bare: bool = False) -> list[str]:
        """The likeliest spellings of ``words``. With ``trust_bare`` (a message typed with diacritics) a bare
        syllable is also a candidate as typed, with a smaller bonus than an accented one ("vay vốn" stays,
        "chua co" between accented words becomes "chưa có")."""
        if not words:
            return []

        def unigram(word: str) -> float:
            return UNIGRAM_WEIGHT * math.log1p(self.unigrams.get(canon_syllable(word), {}).get(word, 0))

        def prior(cand: str, typed: str) -> float:
            if cand != typed:
                return unigram(cand)
            return unigram(cand) + (TYPED_BONUS if has_diacritics(typed) else BARE_BONUS if trust_bare else 0.0)

        best = {c: prior(c, words[0]) for c in self._candidates(words[0], trust_bare)}
        back: list[dict[str, str]] = []
        for word in words[1:]:
            scores, pointers = {}, {}
            for cand in self._candidates(word, trust_bare):
                prev, score = max(
                    ((p, s + BIGRAM_WEIGHT * math.log1p(self.bigrams.get(f"{p} {cand}", 0))) for p, s in best.items()),
                    key=lambda item: item[1],
                )
                scores[cand], pointers[cand] = score + prior(cand, word), prev
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
