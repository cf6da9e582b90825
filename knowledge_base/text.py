"""Vietnamese text normalisation shared by the Rasa tokenizer, the index and the API.

Standard library only (plus PyYAML, imported lazily, to read the synonym dictionary): this module is
imported inside the Rasa venv too.

- ``normalize``: NFC, lower case, one tone placement (``hòa, khỏe, thủy, úy``), punctuation and emoji
  turned into spaces, whitespace collapsed.
- ``fold``: diacritics removed, ``đ`` → ``d``.
- ``expand``: chat shorthand replaced ("ko" → "không"), then abbreviations and everyday words followed by
  their canonical wording (``knowledge_base/data/synonyms.yml``); matching also works on text typed
  without diacritics.
- ``syllables``: folded syllables with one spelling of final ``i``/``y`` (``ký``/``kí`` → ``ki``).
- ``analyze``: all of the above at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Generic, TypeVar

DATA_DIR = Path(__file__).parent / "data"
SYNONYMS_FILE = DATA_DIR / "synonyms.yml"

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng
# Open syllables ending in oa / oe / uy carry the tone on the first vowel here ("hòa", "khỏe", "thủy"),
# the spelling of official documents ("Ủy ban"). "quý" keeps its tone on y: "qu" is a consonant.
_TONE_SHIFT = [
    (re.compile(r"o([àáảãạ])(?!\w)"), "oa"),
    (re.compile(r"o([èéẻẽẹ])(?!\w)"), "oe"),
    (re.compile(r"(?<!q)u([ỳýỷỹỵ])(?!\w)"), "uy"),
]
_Y_FINAL = re.compile(r"^(b|c|ch|d|g|gh|h|k|kh|l|m|n|ng|ngh|nh|p|ph|qu|r|s|t|th|tr|v|x)y$")
_SPACES = re.compile(r"\s+")
T = TypeVar("T")


def _move_tone(match: re.Match[str], pair: str) -> str:
    tone = next(ch for ch in unicodedata.normalize("NFD", match.group(1)) if ch in _TONES)
    return unicodedata.normalize("NFC", pair[0] + tone) + pair[1]


def _keep(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "LNM"


def normalize(text: str) -> str:
    """NFC, lower case, canonical tone placement, punctuation/emoji → space, single spaces."""
    text = unicodedata.normalize("NFC", text).lower()
    text = "".join(ch if _keep(ch) else " " for ch in text)
    for pattern, pair in _TONE_SHIFT:
        text = pattern.sub(partial(_move_tone, pair=pair), text)
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Remove diacritics (``đ`` → ``d``); case and spacing are kept."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "D"))


def has_diacritics(text: str) -> bool:
    return fold(text) != text


@lru_cache(maxsize=1 << 16)
def canon_syllable(syllable: str) -> str:
    """Folded syllable with one spelling of a final i/y after a consonant (ky/ki, ly/li, quy/qui)."""
    syllable = fold(syllable)
    return syllable[:-1] + "i" if _Y_FINAL.match(syllable) else syllable


@lru_cache(maxsize=1 << 16)
def _marks(syllable: str) -> str:
    """The diacritics of a syllable ("" if none): equal marks + equal canonical fold = same syllable."""
    decomposed = unicodedata.normalize("NFD", syllable)
    return "".join(sorted(ch for ch in decomposed if unicodedata.category(ch) == "Mn")) + (
        "đ" if "đ" in syllable else ""
    )


def same_syllable(typed: str, reference: str) -> bool:
    """``typed`` is ``reference``, possibly without its diacritics (``do`` ~ ``đỏ``, not ``đồ`` ~ ``đỏ``)."""
    if canon_syllable(typed) != canon_syllable(reference):
        return False
    marks = _marks(typed)
    return not marks or marks == _marks(reference)


# --- synonyms -----------------------------------------------------------------------------------


class PhraseTable(Generic[T]):
    """Phrases mapped to values, found in a list of normalised words (longest phrase first)."""

    def __init__(self, phrases: Iterable[tuple[str, T]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], T]]] = {}
        for phrase, value in phrases:
            words = tuple(normalize(phrase).split())
            if words:
                self._by_first.setdefault(canon_syllable(words[0]), []).append((words, value))
        for candidates in self._by_first.values():
            candidates.sort(key=lambda item: -len(item[0]))

    def __len__(self) -> int:
        return sum(len(candidates) for candidates in self._by_first.values())

    def match_at(self, words: list[str], start: int) -> tuple[int, T] | None:
        """(length, value) of the longest phrase starting at ``words[start]``."""
        for phrase, value in self._by_first.get(canon_syllable(words[start]), ()):
            span = words[start : start + len(phrase)]
            if len(span) == len(phrase) and all(map(same_syllable, span, phrase)):
                return len(phrase), value
        return None

    def find(self, words: list[str], unsplit: PhraseTable[Any] | None = None) -> list[tuple[int, int, T]]:
        """Non-overlapping (start, end, value) matches, scanning left to right; none whose last word begins a
        phrase of ``unsplit`` ("làm hộ" in "làm hộ chiếu")."""
        found: list[tuple[int, int, T]] = []
        i = 0
        while i < len(words):
            hit = self.match_at(words, i)
            if hit is not None and unsplit is not None and unsplit.match_at(words, i + hit[0] - 1):
                hit = None
            if hit is None:
                i += 1
                continue
            found.append((i, i + hit[0], hit[1]))
            i += hit[0]
        return found


class SynonymDictionary:
    """Chat shorthand replaced ("ko" -> "không"), then synonyms followed by their canonical wording."""

    def __init__(
        self, synonyms: Mapping[str, Iterable[str]], replacements: Mapping[str, Iterable[str]] | None = None,
        keep_together: Iterable[str] = (),
    ) -> None:
        self._synonyms = _table(synonyms)
        self._replacements = _table(replacements or {})
        self._keep_together: PhraseTable[None] = PhraseTable((phrase, None) for phrase in keep_together)

    @classmethod
    def from_file(cls, path: Path = SYNONYMS_FILE) -> SynonymDictionary:
        return cls(read_mapping(path, "synonyms"), read_mapping(path, "replacements", required=False),
                   read_list(path, "keep_together"))

    def __len__(self) -> int:
        return len(self._synonyms) + len(self._replacements)

    def expand_words(self, words: list[str]) -> list[str]:
        replaced = _apply(self._replacements, words, keep=False, unsplit=self._keep_together)
        return _apply(self._synonyms, replaced, keep=True, unsplit=self._keep_together)


def _table(entries: Mapping[str, Iterable[str]]) -> PhraseTable[tuple[str, ...]]:
    return PhraseTable(
        (variant, tuple(normalize(canonical).split()))
        for canonical, variants in entries.items()
        for variant in variants
    )


def _apply(table: PhraseTable[tuple[str, ...]], words: list[str], keep: bool,
           unsplit: PhraseTable[None] | None = None) -> list[str]:
    """Insert each match's canonical words after it (``keep``) or instead of it."""
    out: list[str] = []
    done = 0
    for start, end, canonical in table.find(words, unsplit):
        out.extend(words[done:end] if keep else words[done:start])
        out.extend(canonical)
        done = end
    out.extend(words[done:])
    return out


def _section(path: Path, key: str) -> Any:
    """The value under ``key`` in a YAML data file, None when absent (PyYAML imported lazily)."""
    import yaml

    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data.get(key) if isinstance(data, dict) else None


def read_mapping(path: Path, key: str, required: bool = True) -> dict[str, list[str]]:
    """``key: {name: [phrases]}`` from a YAML data file."""
    entries = _section(path, key)
    if entries is None and not required:
        return {}
    if not isinstance(entries, dict):
        raise TypeError(f"{path}: expected a mapping under {key!r}: name -> [phrases]")
    return {str(name): [str(v) for v in (values or [])] for name, values in entries.items()}


def read_list(path: Path, key: str) -> list[str]:
    """``key: [phrases]`` from a YAML data file, empty when absent."""
    entries = _section(path, key)
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise TypeError(f"{path}: expected a list of phrases under {key!r}")
    return [str(entry) for entry in entries]


@lru_cache(maxsize=1)
def default_dictionary() -> SynonymDictionary:
    return SynonymDictionary.from_file()


# --- public helpers -------------------------------------------------------------------------------


def expand(text: str, dictionary: SynonymDictionary | None = None) -> str:
    """Normalised text with the canonical wording inserted after each abbreviation / everyday phrase."""
    dictionary = dictionary or default_dictionary()
    return " ".join(dictionary.expand_words(normalize(text).split()))


def syllables(text: str) -> list[str]:
    """Folded, canonical syllables of ``text`` (no synonym expansion)."""
    return [canon_syllable(word) for word in normalize(text).split()]


@dataclass(frozen=True)
class Analysis:
    text: str  # as typed
    normalized: str
    expanded: str  # normalised + synonyms
    folded: str  # expanded, without diacritics
    tokens: tuple[str, ...]  # canonical folded syllables of ``expanded``


def analyze(text: str, dictionary: SynonymDictionary | None = None) -> Analysis:
    normalized = normalize(text)
    dictionary = dictionary or default_dictionary()
    words = dictionary.expand_words(normalized.split())
    expanded = " ".join(words)
    return Analysis(
        text=text,
        normalized=normalized,
        expanded=expanded,
        folded=fold(expanded),
        tokens=tuple(canon_syllable(word) for word in words),
    )
