from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.embedders import CachedEmbedder, HashEmbedder
from knowledge_base.embedding_cache import EmbeddingCache
from knowledge_base.index import BM25, DenseIndex, SearchIndex, build_chunks, build_or_load, content_hash, index_dir
from knowledge_base.index.accents import AccentRestorer
from knowledge_base.index.bm25 import edit_distance, terms
from knowledge_base.index.store import KEEP_INDEXES
from knowledge_base.records import Procedure
from knowledge_base.text import analyze

from .conftest import CountingEmbedder


def test_chunks_cover_title_aliases_sections_and_faqs(procedures: list[Procedure]) -> None:
    chunks = [c for c in build_chunks(procedures) if c.procedure_id == "dang-ky-khai-sinh"]
    sources = {c.source for c in chunks}
    assert {"title", "alias", "section", "faq:dang-ky-khai-sinh-phi"} <= sources
    aspects = {c.aspect for c in chunks}
    assert {"overview", "documents", "fee", "time", "agency", "steps", "online", "legal"} <= aspects
    fee = next(c for c in chunks if c.source == "section" and c.aspect == "fee")
    assert fee.text.startswith("Đăng ký khai sinh.") and "miễn phí" in fee.matched
    faq = [c for c in chunks if c.source.startswith("faq:")]
    assert [c.text for c in faq] == ["Đăng ký khai sinh có mất phí không?", "khai sinh bao nhieu tien"]
    assert {c.aspect for c in faq} == {"fee"} and {c.matched for c in faq} == {"Đăng ký khai sinh có mất phí không?"}
    assert all(len(c.matched) <= 180 for c in chunks)


def test_bm25_ranks_and_uses_bigrams() -> None:
    docs = [["dang", "ky", "khai", "sinh"], ["dang", "ky", "ket", "hon"], ["cap", "the", "can", "cuoc"]]
    bm25 = BM25.fit(docs)
    scores = bm25.scores(bm25.query_terms(["khai", "sinh"]))
    assert int(np.argmax(scores)) == 0 and scores[2] == 0
    assert "khai_sinh" in bm25.vocabulary and terms(["a", "b", "c"]) == ["a", "b", "c", "a_b", "b_c"]
    assert not bm25.scores(bm25.query_terms(["bong", "da"])).any()


def test_bm25_idf_over_groups_ignores_words_every_procedure_has() -> None:
    docs = [["le", "phi", "khai", "sinh"], ["le", "phi", "ket", "hon"], ["ket", "hon"]]
    by_chunk = BM25.fit(docs)
    by_procedure = BM25.fit(docs, groups=[0, 1, 1])
    column = by_chunk.vocabulary["le"]
    assert by_procedure.idf[column] < by_chunk.idf[column]  # in both procedures, though only in 2 of 3 chunks


def test_bm25_corrects_typos_to_the_closest_known_syllable() -> None:
    bm25 = BM25.fit([["tach", "ho"], ["thuc", "hien"], ["thuc", "te"], ["ket", "hon"]])
    assert edit_distance("tahc", "tach") == 1 and edit_distance("tahc", "thuc") == 2
    assert bm25.correct("tahc") == "tach"  # transposition beats the more frequent "thuc"
    assert bm25.correct("hno") == "hon"
    assert bm25.correct("tach") is None and bm25.correct("xy") is None
    query = bm25.query_terms(["tahc", "ho"])
    assert query.corrections == {"tahc": "tach"}
    assert int(np.argmax(bm25.scores(query))) == 0


def test_bm25_save_load(tmp_path: Path) -> None:
    bm25 = BM25.fit([["a", "b"], ["b", "c"]], groups=[0, 1])
    bm25.save(tmp_path, "x")
    loaded = BM25.load(tmp_path, "x")
    query = ["b", "c"]
    assert loaded.vocabulary == bm25.vocabulary
    assert np.allclose(loaded.scores(loaded.query_terms(query)), bm25.scores(bm25.query_terms(query)))


def test_accent_restorer_uses_the_knowledge_base_words() -> None:
    texts = ["làm giấy khai sinh cho con", "cần giấy tờ gì", "thẻ căn cước", "cho con đi học"]
    restorer = AccentRestorer.fit(analyze(t).expanded.split() for t in texts)
    assert restorer.restore(["lam", "giay", "khai", "sinh", "cho", "con", "can", "gi"]) == (
        ["làm", "giấy", "khai", "sinh", "cho", "con", "cần", "gì"]
    )
    assert restorer.restore(["bóng", "da"]) == ["bóng", "da"]  # unknown words and typed accents are kept
    assert restorer.restore([]) == []


def test_accent_restorer_mends_slips_of_the_keyboard_and_keeps_real_words() -> None:
    texts = ["xin cấp giấy chứng nhận quyền sử dụng đất"] * 5 + ["cá nhân nộp hồ sơ", "chờ ba mươi giây", "vay vốn"]
    restorer = AccentRestorer.fit(analyze(t).expanded.split() for t in texts)
    # "giây", "nhân" are real spellings, but the bigrams around them say the citizen meant "giấy chứng nhận"
    assert restorer.restore(["cấp", "giây", "chứng", "nhân"], trust_bare=True) == ["cấp", "giấy", "chứng", "nhận"]
    assert restorer.restore(["cá", "nhân", "nộp"], trust_bare=True) == ["cá", "nhân", "nộp"]
    assert restorer.restore(["chờ", "ba", "giây"], trust_bare=True) == ["chờ", "ba", "giây"]
    # in a message typed with diacritics a bare word stays unless its neighbours argue for an accent ...
    assert restorer.restore(["vay", "vốn"], trust_bare=True) == ["vay", "vốn"]
    assert restorer.restore(["cấp", "giay", "chứng", "nhận"], trust_bare=True) == ["cấp", "giấy", "chứng", "nhận"]
    # ... and in a bare message every known word gets its knowledge-base spelling
    assert restorer.restore(["cap", "giay", "chung", "nhan"]) == ["cấp", "giấy", "chứng", "nhận"]


@pytest.mark.parametrize("hnsw_from", [10_000, 1])
def test_dense_index_search_and_round_trip(tmp_path: Path, hnsw_from: int) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    owners = np.repeat(np.arange(20), 2)
    dense = DenseIndex.build(vectors, owners, hnsw_from=hnsw_from)
    scores, found = dense.search(vectors[7], 3)
    assert found[0] == 3 and scores[0] == pytest.approx(1.0, abs=1e-5)
    per_chunk = dense.chunk_scores(vectors[7], 20, 40)
    assert per_chunk.shape == (20,) and int(np.argmax(per_chunk)) == 3
    dense.save(tmp_path)
    loaded = DenseIndex.load(tmp_path)
    assert loaded.size == 40 and np.array_equal(loaded.search(vectors[7], 3)[1], found)


def test_search_index_save_load_round_trip(procedures: list[Procedure], embedder: HashEmbedder, tmp_path: Path) -> None:
    index = SearchIndex.build(procedures, embedder)
    saved = index.save(tmp_path / "idx")
    loaded = SearchIndex.load(saved)
    assert loaded.chunks == index.chunks and loaded.content_hash == index.content_hash
    assert loaded.procedure_ids == index.procedure_ids and loaded.embedder_id == embedder.model_id
    assert loaded.dense.size == index.dense.size
    assert loaded.accents.restore(["khai", "sinh"]) == ["khai", "sinh"]
    tokens = analyze("khai sinh").tokens
    assert np.allclose(
        loaded.bm25.scores(loaded.bm25.query_terms(tokens)), index.bm25.scores(index.bm25.query_terms(tokens))
    )
    assert [len(c) for c in loaded.procedure_chunks] == [len(c) for c in index.procedure_chunks]
    assert sum(len(c) for c in loaded.procedure_chunks) == len(loaded.chunks)


def test_index_directory_is_versioned_by_embedder_and_content(
    procedures: list[Procedure], embedder: HashEmbedder, index_root: Path
) -> None:
    index = build_or_load(procedures, embedder, index_root)
    directory = index_dir(index_root, embedder.model_id, index.content_hash)
    assert directory.parent.name == "hash-64" and (directory / "meta.json").exists()
    assert content_hash(index.chunks, "other-model") != index.content_hash


def test_unchanged_content_loads_and_changes_reembed_only_new_chunks(
    procedures: list[Procedure],
    counting_embedder: CountingEmbedder,
    index_root: Path,
    tmp_path: Path,
    make_procedure: Callable[..., Procedure],
) -> None:
    embedder = CachedEmbedder(counting_embedder, EmbeddingCache(tmp_path / "cache.sqlite"))
    first = build_or_load(procedures, embedder, index_root)
    embedded = len(counting_embedder.passages)
    assert embedded == first.dense.size

    again = build_or_load(procedures, embedder, index_root)  # same content: loaded from disk
    assert again.content_hash == first.content_hash and len(counting_embedder.passages) == embedded

    changed = [*procedures[:-1], make_procedure("cap-giay-chung-nhan-qsdd-lan-dau", "Cấp sổ đỏ lần đầu", ["sổ đỏ"])]
    rebuilt = build_or_load(changed, embedder, index_root)
    new_texts = counting_embedder.passages[embedded:]
    assert rebuilt.content_hash != first.content_hash
    assert new_texts and len(new_texts) < embedded / 2  # only the changed procedure's chunks
    assert all("khai sinh" not in text for text in new_texts)


def test_old_index_versions_are_pruned(
    procedures: list[Procedure], embedder: HashEmbedder, index_root: Path, make_procedure: Callable[..., Procedure]
) -> None:
    for i in range(KEEP_INDEXES + 2):
        extra = make_procedure(f"thu-tuc-{i}", f"Thủ tục số {i}", [f"thủ tục {i}"])
        build_or_load([*procedures, extra], embedder, index_root)
    assert len(list((index_root / "hash-64").iterdir())) == KEEP_INDEXES
