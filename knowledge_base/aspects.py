"""Which part of a procedure a question asks about (fee, time, documents…), from keywords.

Standard library + lazy PyYAML, like ``knowledge_base.text``: usable from the Rasa venv too.
Keywords live in ``knowledge_base/data/aspects.yml``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from knowledge_base.text import DATA_DIR, PhraseTable, expand, read_mapping
from knowledge_base.vocabulary import ASPECTS

ASPECTS_FILE = DATA_DIR / "aspects.yml"


class AspectDetector:
    def __init__(self, keywords: dict[str, list[str]]) -> None:
        unknown = set(keywords) - set(ASPECTS)
        if unknown:
            raise ValueError(f"unknown aspects {sorted(unknown)}; expected some of {ASPECTS}")
        self._order = [name for name in keywords]
        self._table = PhraseTable((phrase, name) for name, phrases in keywords.items() for phrase in phrases)

    @classmethod
    def from_file(cls, path: Path = ASPECTS_FILE) -> AspectDetector:
        return cls(read_mapping(path, "aspects"))

    def detect_all(self, text: str, expanded: bool = False) -> list[str]:
        """Aspects mentioned in ``text`` (after synonym expansion: "mất bn tiền"; pass ``expanded=True``
        if it already is), in priority order."""
        found = {name for _, _, name in self._table.find((text if expanded else expand(text)).split())}
        return [name for name in self._order if name in found]

    def residue(self, text: str) -> list[str]:
        """The normalised words of ``text`` outside its aspect phrases ("làm online được không" → làm được không)."""
        words = expand(text).split()
        inside = {i for start, end, _ in self._table.find(words) for i in range(start, end)}
        return [w for i, w in enumerate(words) if i not in inside]

    def detect(self, text: str, expanded: bool = False) -> str | None:
        found = self.detect_all(text, expanded)
        return found[0] if found else None


@lru_cache(maxsize=1)
def default_detector() -> AspectDetector:
    return AspectDetector.from_file()


def detect_aspect(text: str) -> str | None:
    """The main aspect asked about, or None for a general question."""
    return default_detector().detect(text)
