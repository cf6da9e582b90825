"""What a message asks: its asking sentence(s), and the message without place names.

Citizens write letters: three to six sentences of story (who they are, where they live, what happened), then
the question. Searched whole, the story's words outweigh the question's, so search (``knowledge_base/search.py``)
blends the signals of the whole message with those of its asking sentences (``Focus.asking``).

- Sentences end at ``.``, ``?``, ``!``, ``;``, ``…`` or a line break. A sentence asks when it ends with ``?`` or
  carries a question word ("thế nào", "bao nhiêu", "ở đâu", "gì", "làm sao", "có … không", "được không",
  "xin hỏi"…), typed with or without diacritics; a final "không" / "ko" / "chưa" counts only at a clause's end,
  so a story's "không có lương hưu" does not.
- A message of at most ``SHORT_WORDS`` words, or of one sentence, is its own question.
- Place names never count (every record is national): the provinces (34 since 2025, and the merged ones),
  common city names (``knowledge_base/data/places.yml``) and the capitalised name after "xã", "phường", "huyện",
  "thị trấn"… are dropped; the unit word stays ("công an xã" matters).

Standard library and PyYAML only (the shared normaliser's rule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from knowledge_base.text import DATA_DIR, PhraseTable, fold, normalize

PLACES_FILE = DATA_DIR / "places.yml"
SHORT_WORDS = 22  # a message this short is its own question
PLACE_SECTIONS = ("provinces", "old_provinces", "cities")

_SENTENCE_END = re.compile(r"(?<=[.?!;…])\s+|\n+")
_CLAUSE_END = re.compile(r"[,;:]|\b(hay|hoac|va)\b")
# Question words anywhere in a sentence (folded, normalised text).
_ASKING = re.compile(
    r"\b(the nao|nhu nao|ra sao|lam sao|sao vay|bao nhieu|bao lau|may ngay|may thang|may tuan|khi nao|luc nao"
    r"|o dau|cho nao|noi nao|di dau|den dau|gi|ai|nao|co phai|phai khong|duoc khong|dc khong|duoc ko|dc ko"
    r"|duoc k|dc k|co duoc|xin hoi|cho hoi|muon hoi|can hoi|muon biet|hoi la|hoi ve|tu van)\b")
# Yes/no question words that count only at the end of a clause ("… có cần chờ không, …").
_FINAL = re.compile(r"\b(khong|ko|k|hok|hong|chua|nhi)$")
_UNIT_WORDS = ("tổ dân phố", "thị trấn", "thị xã", "thành phố", "xã", "phường", "huyện", "quận", "thôn", "ấp",
               "xóm", "bản", "tỉnh", "tp")
_UNITS = tuple(tuple(fold(unit).split()) for unit in _UNIT_WORDS)
_EDGE_PUNCT = "()[]\"'“”‘’,.;:?!…"


@dataclass(frozen=True)
class Focus:
    whole: str  # the message without place names
    asking: str  # its asking sentence(s) without place names; ``whole`` when the message is short

    @property
    def narrowed(self) -> bool:
        return self.asking != self.whole


@lru_cache(maxsize=1)
def place_table() -> PhraseTable[bool]:
    import yaml

    data = yaml.safe_load(PLACES_FILE.read_text(encoding="utf-8")) or {}
    names = [str(name) for section in PLACE_SECTIONS for name in data.get(section) or []]
    return PhraseTable((name, True) for name in names)


def _drop_unit_names(text: str) -> str:
    """ "công an xã Mường Phăng" → "công an xã"; "Quận 1" → "Quận": a capitalised name or a number after an
    administrative unit word is dropped (up to four words, stopping after one that ends a clause)."""
    tokens = text.split()
    out: list[str] = []
    i = 0
    while i < len(tokens):
        out.append(tokens[i])
        words = [fold(t.strip(_EDGE_PUNCT).lower()) for t in tokens[i : i + 3]]
        unit = next((u for u in _UNITS if tuple(words[: len(u)]) == u), None)
        if unit is None or tokens[i + len(unit) - 1][-1:] in _EDGE_PUNCT:
            i += 1
            continue
        out.extend(tokens[i + 1 : i + len(unit)])
        i += len(unit)
        for _ in range(4):
            if i >= len(tokens):
                break
            word = tokens[i].lstrip(_EDGE_PUNCT)
            if not word or not (word[0].isupper() or word[0].isdigit()):
                break
            i += 1
            if tokens[i - 1][-1:] in ",.;:?!…)":
                out.append(tokens[i - 1][-1])  # keep the sentence's end
                break
    return " ".join(out)


def strip_places(text: str) -> str:
    """The text without place names (normalised: lower case, no punctuation)."""
    words = normalize(_drop_unit_names(text)).split()
    drop = {i for start, end, _ in place_table().find(words) for i in range(start, end)}
    return " ".join(w for i, w in enumerate(words) if i not in drop)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def asks(sentence: str) -> bool:
    """Does this sentence ask something? (see the module's docstring)"""
    if sentence.rstrip().endswith("?"):
        return True
    folded = fold(normalize(sentence))
    if _ASKING.search(folded):
        return True
    clauses = _CLAUSE_END.split(fold(sentence.lower()))
    return any(_FINAL.search(normalize(clause or "")) for clause in clauses)


def focus(text: str) -> Focus:
    """The message without place names, and its asking sentence(s)."""
    whole = strip_places(text)
    parts = sentences(text)
    if len(parts) < 2 or len(whole.split()) <= SHORT_WORDS:
        return Focus(whole, whole)
    asking = [s for s in parts if asks(s)] or parts[-1:]
    narrowed = strip_places(" . ".join(asking))
    return Focus(whole, narrowed if narrowed else whole)
