"""Find near-copies of a text among many reference texts, fast: evaluation questions must not be training data.

Texts are folded (diacritics, case and punctuation removed) and split into words. A question matches a reference
piece (a line or sentence) when their word sets have a Jaccard similarity of at least `threshold`, or when they
share a run of `run` consecutive words. Jaccard candidates come from prefix filtering (a pair with J >= t shares a
word among the rarest |X| - ceil(t·|X|) + 1 words of each set, in one global order), runs from a set of word tuples.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.text import fold, normalize

_ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")  # Rasa "[text](entity)" / "[text]{...}"
_SENTENCE_END = re.compile(r"(?<=[.?!;:])\s+|\n+")


def words(text: str) -> list[str]:
    return fold(normalize(_ENTITY.sub(r"\1", text))).split()


@dataclass(frozen=True)
class Match:
    source: str
    reference: str
    why: str  # "jaccard 0.75" or "8 words in common: ..."


@dataclass(frozen=True)
class _Piece:
    source: str
    text: str
    tokens: frozenset[str]


class NearDuplicateIndex:
    def __init__(self, texts: Iterable[tuple[str, str]], threshold: float = 0.7, run: int = 8) -> None:
        """texts: (source, text) pairs; each text is cut into lines and sentences."""
        self.threshold = Fraction(threshold).limit_denominator(1000)
        self.run = run
        self.pieces: list[_Piece] = []
        runs: dict[tuple[str, ...], int] = {}
        for source, text in texts:
            for part in _SENTENCE_END.split(text):
                tokens = words(part.strip().removeprefix("- "))
                if not tokens:
                    continue
                self.pieces.append(_Piece(source, part.strip(), frozenset(tokens)))
                for start in range(len(tokens) - run + 1):
                    runs.setdefault(tuple(tokens[start:start + run]), len(self.pieces) - 1)
        self.runs = runs
        self.frequency = Counter(token for piece in self.pieces for token in piece.tokens)
        self.by_prefix: dict[str, list[int]] = defaultdict(list)
        for number, piece in enumerate(self.pieces):
            for token in self._prefix(piece.tokens):
                self.by_prefix[token].append(number)

    def _prefix(self, tokens: frozenset[str]) -> list[str]:
        ordered = sorted(tokens, key=lambda token: (self.frequency.get(token, 0), token))  # rarest first
        needed = -(-self.threshold.numerator * len(ordered) // self.threshold.denominator)  # ceil(t·|X|)
        return ordered[:len(ordered) - needed + 1]

    def matches(self, text: str) -> list[Match]:
        tokens = words(text)
        found: list[Match] = []
        token_set = frozenset(tokens)
        candidates = {number for token in self._prefix(token_set) for number in self.by_prefix.get(token, ())}
        for number in sorted(candidates):
            piece = self.pieces[number]
            jaccard = Fraction(len(token_set & piece.tokens), len(token_set | piece.tokens))
            if jaccard >= self.threshold:
                found.append(Match(piece.source, piece.text, f"jaccard {float(jaccard):.2f}"))
        for start in range(len(tokens) - self.run + 1):
            gram = tuple(tokens[start:start + self.run])
            if gram in self.runs:
                piece = self.pieces[self.runs[gram]]
                found.append(Match(piece.source, piece.text, f"{self.run} words in common: {' '.join(gram)}"))
                break
        return found


# --- reading the training and tuning data ----------------------------------------------------------

def strings(value: Any) -> Iterator[str]:
    """Every string inside a YAML/JSON value (keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def file_texts(path: Path) -> Iterator[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yml", ".yaml"):
        yield from strings(yaml.safe_load(text))
    elif path.suffix == ".json":
        yield from strings(json.loads(text))
    elif path.suffix == ".jsonl":
        for line in text.splitlines():
            if line.strip():
                yield from strings(json.loads(line))
    else:
        yield text


def tree_texts(root: Path, paths: Iterable[Path]) -> Iterator[tuple[str, str]]:
    """(path relative to root, text) for every string of the given files."""
    for path in paths:
        for text in file_texts(path):
            yield str(path.relative_to(root)), text
