"""The catalogue of other public procedures: the ones the assistant has no detailed guide for (not the 40 of
``knowledge_base/procedures``), each with its name, level, the body that handles it and its official record, so that
an out-of-scope question gets an honest pointer instead of the closest guide.

- ``knowledge_base/catalogue/procedures.yml``: administrative procedures read from the national portal's record
  pages (national code, record page, level, agency; ``provenance.as_read`` keeps the record's own words);
- ``knowledge_base/catalogue/courts.yml``: court matters (divorce, inheritance and land disputes, debts…), handled by
  the Tòa án nhân dân khu vực since the 2025 court reform; no national code (not administrative procedures).

``load_catalogue()`` reads and validates the schema; ``check_catalogue`` is the rule set of ``kb validate``
(record pages on gov.vn, post-2025 names, never one of the 40 guides, aliases not shared); ``CatalogueIndex.search``
finds the entry whose name or alias the question contains best (idf-weighted share of the phrase's syllables and
syllable pairs found in the question; story words cost nothing) and returns it with that share, or None;
``names_other_procedure`` says whether a question names a catalogue procedure more clearly than any of the guides
(then the answer policy points to the body that handles it, whatever search would answer).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from knowledge_base import answers
from knowledge_base.loader import KnowledgeBaseError, describe_validation_error, read_yaml
from knowledge_base.records import NATIONAL_CODE_RE, Procedure, check_slug
from knowledge_base.rules import Problem
from knowledge_base.sources import source_problem
from knowledge_base.text import analyze, normalize, syllables
from knowledge_base.vocabulary import HANDOFF_BUTTON

CATALOGUE_DIR = Path(__file__).parent / "catalogue"
CATALOGUE_FILES = ("procedures.yml", "courts.yml")
MIN_SCORE = 0.86  # share of a name's (or alias's) weighted syllables and pairs the question must contain
UNIGRAM_SHARE = 0.25  # of a phrase's weight on its syllables; the rest on its syllable pairs
SURE_SCORE = 0.95  # at or above: the question names the procedure; below: the closest one is offered as such

Level = Literal["commune", "province", "ministry", "other", "court"]
LEVEL_LABELS = {"commune": "cấp xã", "province": "cấp tỉnh", "ministry": "cấp trung ương",
                "other": "đơn vị được giao (không theo cấp hành chính)", "court": "Tòa án"}
# pre-2025 names that must not appear in our own wording (the record's words stay in provenance.as_read)
_OLD_LEVEL_WORDS = re.compile(r"\b(huyện|quận|thị xã|thị trấn)\b")
NonEmpty = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CatalogueProvenance(_Strict):
    """Where the entry was read: the record's page, when, which parts, through which copy, and its own words."""

    source: NonEmpty  # the record's page
    read_on: dt.date
    at: Annotated[str, Field(min_length=1, max_length=120)]
    via: str | None = None  # "<source id>:<path>" when read from a copy listed under `sources`
    as_read: dict[str, str] = Field(default_factory=dict)  # name, code, level, agency, decision as the page gives


class CatalogueSource(_Strict):
    title: NonEmpty
    url: NonEmpty
    copied_before: dt.date | None = None
    read_on: dt.date


class Entry(_Strict):
    id: NonEmpty
    name: NonEmpty  # our short wording
    official_name: str | None = None  # the record's title
    field: NonEmpty
    levels: list[Level] = Field(min_length=1)
    agency: NonEmpty  # the body that handles it, in post-2025 names
    national_code: str | None = None
    no_code_reason: str | None = None
    record_url: NonEmpty  # the official page to link
    aliases: list[NonEmpty] = Field(min_length=1)
    near: list[NonEmpty] = Field(default_factory=list)  # questions for which this is only the closest procedure
    provenance: CatalogueProvenance

    @model_validator(mode="after")
    def _code_or_reason(self) -> Entry:
        check_slug(self.id)
        if self.national_code is not None and not NATIONAL_CODE_RE.match(self.national_code):
            raise ValueError(f"national_code {self.national_code!r}: must look like 1.001234")
        if (self.national_code is None) == (self.no_code_reason is None):
            raise ValueError("give either national_code or no_code_reason (why there is no confirmed code)")
        return self

    @property
    def level_label(self) -> str:
        return ", ".join(LEVEL_LABELS[level] for level in self.levels)

    def phrases(self) -> list[tuple[str, bool]]:
        """(phrase, near): the name, official name and aliases name the procedure; `near` ones only approach it."""
        named = [self.name, *([self.official_name] if self.official_name else []), *self.aliases]
        return [*((text, False) for text in named), *((text, True) for text in self.near)]


class CatalogueFile(_Strict):
    sources: dict[str, CatalogueSource] = Field(default_factory=dict)
    entries: list[Entry] = Field(min_length=1)


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[Entry, ...]
    sources: dict[str, CatalogueSource]
    files: dict[str, str]  # entry id -> file it came from

    def by_id(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)


def load_file(path: Path) -> CatalogueFile:
    data: Any = read_yaml(path.read_text(encoding="utf-8"), source=str(path))
    try:
        return CatalogueFile.model_validate(data)
    except ValidationError as error:
        raise KnowledgeBaseError(describe_validation_error(error, source=str(path), record="catalogue")) from None


def load_catalogue(directory: Path = CATALOGUE_DIR) -> Catalogue:
    entries: list[Entry] = []
    sources: dict[str, CatalogueSource] = {}
    files: dict[str, str] = {}
    for name in CATALOGUE_FILES:
        path = directory / name
        loaded = load_file(path)
        sources.update(loaded.sources)
        for entry in loaded.entries:
            entries.append(entry)
            files.setdefault(entry.id, str(path))
    return Catalogue(tuple(entries), sources, files)


# --- rules ----------------------------------------------------------------------------------------------------


def _official_host(url: str) -> bool:
    host = urlsplit(url).netloc.lower()
    return urlsplit(url).scheme == "https" and (host == "gov.vn" or host.endswith(".gov.vn"))


def check_entry(entry: Entry, sources: dict[str, CatalogueSource], *, guide_ids: set[str],
                guide_codes: set[str], on: dt.date) -> list[Problem]:
    """What is wrong with one entry (plain Vietnamese, like the knowledge base's rules)."""
    found: list[Problem] = []
    if entry.id in guide_ids:
        found.append(Problem("id", f"“{entry.id}” là thủ tục đã có hướng dẫn chi tiết: bỏ khỏi danh mục."))
    if entry.national_code and entry.national_code in guide_codes:
        found.append(Problem("national_code", f"Mã {entry.national_code} thuộc một thủ tục đã có hướng dẫn chi tiết."))
    if not _official_host(entry.record_url):
        found.append(Problem("record_url", "Phải là trang chính thức https://…gov.vn của thủ tục."))
    elif problem := source_problem(entry.record_url):
        found.append(Problem("record_url", f"Đường dẫn {problem}."))
    prov = entry.provenance
    if problem := source_problem(prov.source):
        found.append(Problem("provenance.source", f"Nguồn “{prov.source}” {problem}."))
    if prov.source != entry.record_url:
        found.append(Problem("provenance.source", "Nguồn phải là chính trang thủ tục được dẫn (record_url)."))
    if prov.read_on > on:
        found.append(Problem("provenance.read_on", f"Ngày đọc {prov.read_on.isoformat()} ở tương lai."))
    if prov.via is not None and prov.via.split(":", 1)[0] not in sources:
        found.append(Problem("provenance.via", f"“{prov.via}”: nguồn bản sao chưa khai báo ở mục sources."))
    read_code = prov.as_read.get("code")
    if entry.national_code and read_code != entry.national_code:
        found.append(Problem("provenance.as_read.code",
                             f"Mã đọc được ({read_code or 'chưa ghi'}) khác mã đang ghi ({entry.national_code})."))
    if not prov.as_read.get("agency"):
        found.append(Problem("provenance.as_read.agency", "Ghi cơ quan thực hiện như trang thủ tục ghi."))
    phrases = [*((f"aliases.{i}", alias) for i, alias in enumerate(entry.aliases)),
               *((f"near.{i}", phrase) for i, phrase in enumerate(entry.near))]
    for where, text in [("name", entry.name), ("agency", entry.agency), *phrases]:
        if _OLD_LEVEL_WORDS.search(normalize(text)):
            found.append(Problem(where, f"“{text}”: dùng tên gọi sau 01/7/2025 (không còn cấp huyện, quận, thị xã)."))
    for where, text in phrases:
        if len(syllables(text)) < 2:
            found.append(Problem(where, f"“{text}”: cách gọi cần ít nhất hai tiếng."))
    return found


def check_catalogue(catalogue: Catalogue, guides: Sequence[Procedure], on: dt.date) -> list[tuple[str, str, Problem]]:
    """Every problem as (file, entry id, problem)."""
    guide_ids = {p.id for p in guides}
    guide_codes = {code for p in guides for code in p.national_codes}
    found: list[tuple[str, str, Problem]] = []
    for entry in catalogue.entries:
        found += [(catalogue.files[entry.id], entry.id, problem) for problem in
                  check_entry(entry, catalogue.sources, guide_ids=guide_ids, guide_codes=guide_codes, on=on)]
    for key, label in [("id", "id"), ("national_code", "mã thủ tục")]:
        counts = Counter(getattr(e, key) for e in catalogue.entries if getattr(e, key))
        for value, count in counts.items():
            if count > 1:
                problem = Problem(key, f"{label} “{value}” lặp lại {count} lần.")
                found.append((str(CATALOGUE_DIR), str(value), problem))
    owners: dict[str, str] = {}
    for entry in catalogue.entries:
        for alias in [*entry.aliases, *entry.near]:
            key = " ".join(syllables(alias))
            if key in owners and owners[key] != entry.id:
                message = f"“{alias}” cũng là cách gọi của “{owners[key]}”: chỉ giữ ở một mục."
                found.append((catalogue.files[entry.id], entry.id, Problem("aliases", message)))
            owners.setdefault(key, entry.id)
    return found


# --- search ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    entry: Entry
    score: float  # weighted share of the matched phrase found in the question, in [0, 1]
    matched: str  # the name or alias that matched
    near: bool = False  # the phrase only approaches the procedure (`near`), or was found only in pieces

    @property
    def sure(self) -> bool:
        """The question names this procedure (else it is only the closest one in the catalogue)."""
        return self.score >= SURE_SCORE and not self.near


def _terms(tokens: Sequence[str]) -> list[str]:
    return [*tokens, *(f"{a}_{b}" for a, b in pairwise(tokens))]


def _ends(tokens: Sequence[str]) -> list[tuple[int, str]]:
    """(position where it ends, term) for every syllable and syllable pair, in order."""
    pairs = ((i + 1, f"{a}_{b}") for i, (a, b) in enumerate(pairwise(tokens)))
    return [*enumerate(tokens), *pairs]


@dataclass(frozen=True)
class _Phrase:
    entry: int
    text: str
    near: bool
    tokens: tuple[str, ...]
    weights: dict[str, float]  # term -> weight
    total: float


def _contains(tokens: Sequence[str], phrase: Sequence[str]) -> bool:
    """`phrase` occurs in `tokens` as a run, in order."""
    n = len(phrase)
    return any(tuple(tokens[i:i + n]) == tuple(phrase) for i in range(len(tokens) - n + 1))


class CatalogueIndex:
    """Phrases (name, official name, aliases) as folded syllables and syllable pairs, weighted by idf over entries."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = tuple(entries)
        tokenized = [[(text, near, syllables(text)) for text, near in entry.phrases()] for entry in self.entries]
        df = Counter(token for phrases in tokenized for token in {t for _, _, toks in phrases for t in toks})
        n = max(len(self.entries), 1)
        idf = {token: math.log(1 + n / count) for token, count in df.items()}
        self._phrases: list[_Phrase] = []
        for number, phrases in enumerate(tokenized):
            for text, near, tokens in phrases:
                if len(tokens) < 2:
                    continue
                # syllables weigh UNIGRAM_SHARE of the phrase, pairs the rest: scattered words of a long letter
                # do not add up to a name, its words in order do
                unigrams = {t: idf[t] for t in tokens}
                pairs = {f"{a}_{b}": (idf[a] + idf[b]) / 2 for a, b in pairwise(tokens)}
                u_total, p_total = sum(unigrams.values()), sum(pairs.values())
                weights = {t: UNIGRAM_SHARE * w / u_total for t, w in unigrams.items()}
                weights.update({t: (1 - UNIGRAM_SHARE) * w / p_total for t, w in pairs.items()})
                self._phrases.append(_Phrase(number, text, near, tuple(tokens), weights, sum(weights.values())))

    def search(self, query: str, min_score: float = MIN_SCORE) -> Hit | None:
        """The entry whose phrase the question contains best; among equals, a phrase found as a run before one
        found in pieces, then the one found later in the question (a letter's story comes first, its question
        last), then the more specific one. None under `min_score`."""
        typed = syllables(query)
        expanded = analyze(query).tokens
        last: dict[str, int] = {}  # term -> last position (in typed syllables) where it ends
        for end, term in _ends(typed):
            last[term] = end
        for term in _terms(expanded):
            last.setdefault(term, -1)
        best: tuple[float, bool, int, float, int] | None = None
        best_phrase: _Phrase | None = None
        for position, phrase in enumerate(self._phrases):
            found = [term for term in phrase.weights if term in last]
            if not found:
                continue
            matched = sum(phrase.weights[term] for term in found)
            score = round(matched / phrase.total, 6) if phrase.total else 0.0
            run = score == 1.0 and (_contains(typed, phrase.tokens) or _contains(expanded, phrase.tokens))
            key = (score, run, max(last[term] for term in found), matched, -position)
            if best is None or key > best:
                best, best_phrase = key, phrase
        if best is None or best_phrase is None or best[0] < min_score:
            return None
        return Hit(self.entries[best_phrase.entry], best[0], best_phrase.text, best_phrase.near or not best[1])


@lru_cache(maxsize=1)
def default_index() -> CatalogueIndex:
    return CatalogueIndex(load_catalogue().entries)


def search(query: str, min_score: float = MIN_SCORE) -> Hit | None:
    """The catalogue entry the question is about, with its score, or None (the shipped catalogue)."""
    return default_index().search(query, min_score)


def closest_hit(entry_id: str, score: float) -> Hit | None:
    """An entry of the shipped catalogue found close in meaning (not by its words): offered as the closest one."""
    entry = next((e for e in default_index().entries if e.id == entry_id), None)
    return Hit(entry, score, entry.name, near=True) if entry else None


# --- the reply ----------------------------------------------------------------------------------------------------


def reply(hit: Hit) -> answers.Message:
    """An honest pointer: no detailed guide here, who handles it, the official page; the only button is "Gặp cán bộ"
    (never a procedure of the guides: the entry is not one of them)."""
    entry = hit.entry
    agency = entry.agency[0].lower() + entry.agency[1:] if entry.agency.startswith("Cơ ") else entry.agency
    if "court" in entry.levels:
        text = (f"Trợ lý chưa có hướng dẫn chi tiết cho việc “{entry.name}”. Đây là việc do Tòa án giải quyết, không "
                f"phải thủ tục hành chính ở Ủy ban: bạn gửi đơn đến {entry.agency}. Thông tin chính thức về gửi đơn "
                f"đến Tòa án (có thể gửi trực tuyến) trên Cổng Dịch vụ công quốc gia: {entry.record_url}")
    else:
        code = f" (mã {entry.national_code})" if entry.national_code else ""
        opening = (f"Trợ lý chưa có hướng dẫn chi tiết cho thủ tục “{entry.name}”. Thủ tục này"
                   if hit.sure else
                   "Trợ lý chưa có hướng dẫn chi tiết cho việc bạn hỏi. Thủ tục gần nhất trong danh mục là "
                   f"“{entry.name}”, thủ tục này")
        text = (f"{opening} do {agency} giải quyết ({entry.level_label}). Bạn xem hồ sơ, trình tự và nơi nộp "
                f"trên trang chính thức của thủ tục{code} tại Cổng Dịch vụ công quốc gia: {entry.record_url}")
    text += "\nNếu cần hỏi thêm, bạn bấm “Gặp cán bộ”."
    return answers.Message(text=text, buttons=[dict(HANDOFF_BUTTON)])


# --- the catalogue against the guides ---------------------------------------------------------------------------


def _last_end(tokens: Sequence[str], phrase: Sequence[str]) -> int | None:
    """Where the last run of `phrase` in `tokens` ends (exclusive), or None."""
    n = len(phrase)
    ends = [i + n for i in range(len(tokens) - n + 1) if tuple(tokens[i:i + n]) == tuple(phrase)]
    return ends[-1] if ends else None


class GuideNames:
    """The guides' own names (titles and aliases) as folded syllables, to tell whether a question names one of them."""

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:  # (procedure id, title or alias)
        self._by_first: dict[str, list[tuple[str, tuple[str, ...]]]] = {}  # first syllable -> (id, name)
        for pid, phrase in sorted({(pid, tuple(syllables(text))) for pid, text in names}):
            if len(phrase) >= 2:
                self._by_first.setdefault(phrase[0], []).append((pid, phrase))

    def named(self, tokens: Sequence[str]) -> list[tuple[int, int, str]]:
        """(end, length, procedure id) of every guide name the tokens (folded syllables) contain as a run, at its
        last occurrence."""
        last: dict[tuple[str, tuple[str, ...]], int] = {}
        for start, token in enumerate(tokens):
            for pid, phrase in self._by_first.get(token, ()):
                if tuple(tokens[start:start + len(phrase)]) == phrase:
                    last[(pid, phrase)] = start + len(phrase)
        return [(end, len(phrase), pid) for (pid, phrase), end in last.items()]


def names_other_procedure(query: str, guides: GuideNames, index: CatalogueIndex | None = None) -> Hit | None:
    """The catalogue entry a question names (its name, an alias or a `near` phrase, whole and in order), unless the
    question names one of the guides as clearly: later in the message (a letter's story comes first, its question
    last) or with a longer name. None otherwise: then search decides between the guides as usual.

    "Tôi nghỉ việc đã lâu, muốn rút BHXH một lần" → the catalogue's lump sum; "đã thôi quốc tịch…, công an gọi lên
    xóa hộ khẩu" → None (the guide's name comes last)."""
    hit = (index or default_index()).search(query)
    if hit is None or hit.score < SURE_SCORE:
        return None
    typed, own = syllables(query), syllables(hit.matched)
    own_end = _last_end(typed, own)
    if own_end is None:  # found once synonyms were added or a typo fixed: take it as the message's last words
        if _last_end(analyze(query).tokens, own) is None:
            return None
        own_end = len(typed)
    for end, length, _ in guides.named(typed):  # the guides' names as typed (not through synonyms)
        if end > own_end or length > len(own):
            return None
    return hit
