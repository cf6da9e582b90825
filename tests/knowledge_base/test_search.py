from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge_base.embedders import HashEmbedder
from knowledge_base.index import SearchIndex
from knowledge_base.records import Procedure
from knowledge_base.search import SearchConfig, Searcher, SearchResult, _top_mean

from .conftest import HASH_CONFIG


@pytest.fixture
def searcher(procedures: list[Procedure], embedder: HashEmbedder) -> Searcher:
    return Searcher(SearchIndex.build(procedures, embedder), embedder, HASH_CONFIG)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Làm giấy khai sinh cho con", "dang-ky-khai-sinh"),
        ("lam giay khai sinh cho con", "dang-ky-khai-sinh"),
        ("đăng ký kết hôn ở đâu", "dang-ky-ket-hon"),
        ("dang ky ket hno o dau", "dang-ky-ket-hon"),  # typo
        ("làm CCCD cho con", "cap-the-can-cuoc"),
        ("lam can cuoc", "cap-the-can-cuoc"),
        ("làm sổ đỏ", "cap-giay-chung-nhan-qsdd-lan-dau"),
        ("xin so do lan dau", "cap-giay-chung-nhan-qsdd-lan-dau"),
    ],
)
def test_finds_the_procedure_with_or_without_diacritics(searcher: Searcher, question: str, expected: str) -> None:
    response = searcher.search(question)
    assert response.results[0].procedure_id == expected
    assert response.decision in {"answer", "clarify"}


def test_results_are_grouped_by_procedure_and_sorted(searcher: Searcher) -> None:
    response = searcher.search("khai sinh", k=10)
    ids = [r.procedure_id for r in response.results]
    assert len(ids) == len(set(ids)) == 4
    assert [r.score for r in response.results] == sorted((r.score for r in response.results), reverse=True)
    assert searcher.search("khai sinh", k=2).results == response.results[:2]


def test_aspect_is_detected_and_picks_the_matching_section(searcher: Searcher) -> None:
    response = searcher.search("đăng ký khai sinh mất bao nhiêu tiền")
    assert response.aspect == "fee"
    assert response.results[0].aspect == "fee"
    time = searcher.search("làm căn cước bao lâu thì có")
    assert time.aspect == "time" and time.results[0].aspect == "time" and "07 ngày" in time.results[0].matched


def test_nothing_to_search_means_none(searcher: Searcher) -> None:
    for question in ("", "   ", "?!😀"):
        response = searcher.search(question)
        assert response.decision == "none" and response.results == [] and response.choices == []


def test_off_topic_question_is_none(searcher: Searcher) -> None:
    response = searcher.search("xyz qwv brrr")
    assert response.decision == "none" and response.choices == []
    assert response.results  # still listed, for the staff console


def test_decide_answer_clarify_none(searcher: Searcher) -> None:
    def results(*scores: float) -> list[SearchResult]:
        return [
            SearchResult(procedure_id=f"p{i}", title="t", score=s, matched="", aspect="") for i, s in enumerate(scores)
        ]

    config = HASH_CONFIG
    good, weak = config.none_below + 0.1, config.none_below - 0.1
    assert searcher.decide(good, 0.0, results(0.9, 0.5)) == ("answer", 1)
    assert searcher.decide(good, 0.0, results(0.9, 0.88, 0.86, 0.5)) == ("clarify", 3)
    assert searcher.decide(good, 0.0, results(0.9, 0.88, 0.5)) == ("clarify", 2)
    assert searcher.decide(weak, 0.0, results(0.9, 0.5)) == ("none", 0)
    assert searcher.decide(weak, config.lexical_rescue, results(0.9, 0.5)) == ("answer", 1)  # strong word match
    assert searcher.decide(good, 0.0, []) == ("none", 0)


def test_questions_without_diacritics_get_them_back_before_embedding(searcher: Searcher) -> None:
    assert searcher.signals("lam giay khai sinh cho con").dense_text.startswith("làm giấy khai sinh")
    typed = "Làm giấy khai sinh cho con trai"  # typed with diacritics: left alone ("con trai" stays)
    assert searcher.signals(typed).dense_text == "làm giấy khai sinh cho con trai"


def test_top_mean_per_group() -> None:
    owners = np.array([0, 1, 0, 2, 3])  # chunk of each vector, best first; chunk 0 appears twice
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5], dtype=np.float32)
    groups = np.array([0, 0, 1, 1])  # procedure of each chunk
    means = _top_mean(owners, scores, groups, 3, top=2)
    assert means == pytest.approx([0.85, 0.55, 0.5])  # group 2 has no chunk: the floor


def test_config_file_defaults_and_embedder_section(tmp_path: Path) -> None:
    path = tmp_path / "search.yml"
    path.write_text("defaults:\n  weight_dense: 0.5\nembedders:\n  m1:\n    none_below: 0.7\n")
    assert SearchConfig.from_file(path, "m1") == SearchConfig(weight_dense=0.5, none_below=0.7)
    assert SearchConfig.from_file(path, "m2") == SearchConfig(weight_dense=0.5)


def test_searcher_refuses_an_index_from_another_embedder(procedures: list[Procedure], embedder: HashEmbedder) -> None:
    index = SearchIndex.build(procedures, embedder)
    with pytest.raises(ValueError, match="index built with"):
        Searcher(index, HashEmbedder(32))


def test_a_catalogue_procedure_clearly_closer_than_any_guide_is_named_beside_the_results(
        procedures: list[Procedure], embedder: HashEmbedder) -> None:
    from dataclasses import replace

    from knowledge_base.catalogue import load_catalogue
    from knowledge_base.other_vectors import OtherVectors

    index = SearchIndex.build(procedures, embedder)
    entries = load_catalogue().entries
    others = OtherVectors.build(entries, embedder)
    lump_sum = next(e for e in entries if e.id == "bhxh-mot-lan")
    compared = Searcher(index, embedder, replace(HASH_CONFIG, other_margin=0.05, other_floor=0.5), others)

    found = compared.search(lump_sum.name)  # the entry's own name: its phrase's cosine is 1
    assert found.other is not None and found.other.entry_id == "bhxh-mot-lan"
    assert found.other.score == pytest.approx(1.0, abs=1e-3) and found.other.margin >= 0.05
    assert compared.search("Làm giấy khai sinh cho con").other is None  # a guide is as close: nothing beside
    assert Searcher(index, embedder, HASH_CONFIG, others).search(lump_sum.name).other is None  # not compared
    too_high = Searcher(index, embedder, replace(HASH_CONFIG, other_margin=0.05, other_floor=1.01), others)
    assert too_high.search(lump_sum.name).other is None
