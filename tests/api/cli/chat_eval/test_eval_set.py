"""The realistic evaluation set (tests/data/chat_eval): its own bars, and that it stays apart from what the bot is
trained or tuned on (Rasa data, test stories, the knowledge base and its data, the retrieval evaluation set)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from api.cli.chat_eval.examples import ChatExample, read_examples
from knowledge_base import eval as retrieval_eval
from knowledge_base.text import fold, has_diacritics, normalize
from tests.utils.near_duplicates import NearDuplicateIndex, tree_texts

ROOT = Path(__file__).resolve().parents[4]
SET_DIR = ROOT / "tests" / "data" / "chat_eval"
DEV, TEST = SET_DIR / "dev.jsonl", SET_DIR / "test.jsonl"
PROCEDURE_IDS = {path.stem for path in (ROOT / "knowledge_base" / "procedures").glob("*.yml")}
TAGS = {"long", "condition", "place", "abbrev", "typo", "short_title", "oos", "diacritics", "no_diacritics"}
ABBREVIATIONS = re.compile(  # on folded, lower-case text
    r"\b(cccd|cmnd|gplx|lltp|hkd|bhyt|bhxh|bhtn|tnhh|ubnd|gks|gcnkh|dkkh|xntthn|gpxd|gcnqsdd|kt3|ct07|dvc|dktt|"
    r"csdl|sdt|tncn|attp|idp|asm|sv|vn|tp hcm|so do|so hong)\b")


def training_and_tuning_files() -> list[Path]:
    extensions = ("yml", "yaml", "json", "jsonl", "csv")  # procedures, their data, any future catalogue
    knowledge_base = [p for ext in extensions for p in ROOT.glob(f"knowledge_base/**/*.{ext}")]
    return sorted({*ROOT.glob("data/**/*.yml"), *ROOT.glob("tests/stories/**/*.yml"), *knowledge_base,
                   ROOT / "tests" / "data" / "retrieval_eval.jsonl"})


def official_record_words() -> set[str]:
    """The catalogue's titles as its official records give them (`official_name`, `as_read.name`): facts read from
    the record, not our writing — a citizen naming a procedure by its official title is not a leak. Everything we
    wrote (our names, aliases) stays checked."""
    words: set[str] = set()
    catalogue = yaml.safe_load((ROOT / "knowledge_base" / "catalogue" / "procedures.yml").read_text("utf-8"))
    for entry in catalogue["entries"]:
        words.update(filter(None, [entry.get("official_name"), (entry.get("provenance") or {}).get("as_read", {})
                                   .get("name")]))
    return words


@pytest.fixture(scope="module")
def dev() -> list[ChatExample]:
    return read_examples(DEV)


@pytest.fixture(scope="module")
def test_part() -> list[ChatExample]:
    return read_examples(TEST)


@pytest.fixture(scope="module")
def everything(dev: list[ChatExample], test_part: list[ChatExample]) -> list[ChatExample]:
    return dev + test_part


def share(examples: list[ChatExample], tag: str) -> float:
    return sum(tag in e.tags for e in examples) / len(examples)


def test_sizes_and_split(dev: list[ChatExample], test_part: list[ChatExample]) -> None:
    assert len(dev) == 100 and len(test_part) >= 150
    inside = [e for e in dev + test_part if e.expected is not None]
    assert len(inside) >= 250 and len(dev + test_part) - len(inside) >= 40
    assert sum(e.expected is None for e in test_part) >= 25  # enough out-of-scope questions to measure on test


def test_procedures_exist_cover_35_and_at_most_8_each(everything: list[ChatExample]) -> None:
    per_procedure = Counter(e.expected for e in everything if e.expected is not None)
    assert set(per_procedure) <= PROCEDURE_IDS, set(per_procedure) - PROCEDURE_IDS
    assert len(per_procedure) >= 35
    assert max(per_procedure.values()) <= 8, per_procedure.most_common(3)


@pytest.mark.parametrize("part", ["dev", "test_part"])
def test_shares_of_what_makes_questions_hard(part: str, request: pytest.FixtureRequest) -> None:
    examples: list[ChatExample] = request.getfixturevalue(part)
    assert share(examples, "long") >= 0.30
    assert share(examples, "condition") >= 0.15
    assert share(examples, "place") >= 0.10
    for tag in ("no_diacritics", "abbrev", "typo", "short_title", "oos"):
        assert share(examples, tag) >= 0.05, tag


def test_tags_say_what_the_question_is(everything: list[ChatExample]) -> None:
    for e in everything:
        words = e.question.split()
        assert set(e.tags) <= TAGS, e.tags
        assert ("oos" in e.tags) == (e.expected is None), e.question
        assert ("no_diacritics" in e.tags) == (not has_diacritics(e.question)) != ("diacritics" in e.tags), e.question
        if "long" in e.tags:
            assert len(words) >= 30, e.question
        if "short_title" in e.tags:
            assert len(words) <= 14, e.question
        if "abbrev" in e.tags:
            assert ABBREVIATIONS.search(fold(normalize(e.question))), e.question


def test_out_of_scope_questions_name_the_body_that_handles_them(everything: list[ChatExample]) -> None:
    for e in everything:
        if e.expected is None:
            assert e.handler and e.handler_keywords, e.question
        else:
            assert not e.handler and not e.handler_keywords, e.question


def test_no_question_twice(everything: list[ChatExample]) -> None:
    folded = Counter(" ".join(fold(normalize(e.question)).split()) for e in everything)
    assert [q for q, n in folded.items() if n > 1] == []


def test_the_retrieval_evaluation_reads_the_set() -> None:
    """`knowledge_base.eval` takes the same files (it ignores the out-of-scope fields)."""
    examples = retrieval_eval.read_examples(TEST)
    assert len(examples) == len(read_examples(TEST)) and any(e.expected is None for e in examples)


def test_no_question_is_in_training_or_tuning_data(everything: list[ChatExample]) -> None:
    files = training_and_tuning_files()
    assert any("procedures" in str(p) for p in files) and any(p.name == "retrieval_eval.jsonl" for p in files)
    official = official_record_words()
    index = NearDuplicateIndex(((source, text) for source, text in tree_texts(ROOT, files) if text not in official),
                               threshold=0.7, run=8)
    leaks = [f"{e.question!r} ~ {m.source}: {m.reference!r} ({m.why})"
             for e in everything for m in index.matches(e.question)]
    assert leaks == []
