from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.embedders import HashEmbedder
from knowledge_base.records import Procedure
from knowledge_base.service import WARM_BACKLOG, IndexNotReadyError, SearchService

from .conftest import HASH_CONFIG, CountingEmbedder


@pytest.fixture
def service(embedder: HashEmbedder, index_root: Path, tmp_path: Path) -> Iterator[SearchService]:
    service = SearchService(embedder, index_root=index_root, cache_path=tmp_path / "cache.sqlite", config=HASH_CONFIG)
    yield service
    service.close()


def test_search_before_the_first_rebuild_raises(service: SearchService) -> None:
    assert not service.ready and service.index is None
    with pytest.raises(IndexNotReadyError):
        service.search("khai sinh")


def test_rebuild_then_search(service: SearchService, procedures: list[Procedure]) -> None:
    index = service.rebuild(procedures)
    assert service.ready and service.index is index
    assert service.search("lam giay khai sinh").results[0].procedure_id == "dang-ky-khai-sinh"


def test_from_spec_without_disk(procedures: list[Procedure]) -> None:
    service = SearchService.from_spec("hash:32", index_root=None, cache_path=None, config=HASH_CONFIG)
    service.rebuild(procedures)
    assert service.search("kết hôn").results[0].procedure_id == "dang-ky-ket-hon"


def test_background_rebuild_swaps_the_index(
    service: SearchService, procedures: list[Procedure], make_procedure: Callable[..., Procedure]
) -> None:
    service.rebuild(procedures)
    extra = make_procedure("dang-ky-tam-tru", "Đăng ký tạm trú", ["khai báo tạm trú phòng trọ"])
    future = service.rebuild_in_background([*procedures, extra])
    index = future.result(timeout=30)
    assert service.index is index
    assert service.search("dang ky tam tru phong tro").results[0].procedure_id == "dang-ky-tam-tru"


def test_searches_keep_working_while_the_index_is_swapped(
    service: SearchService, procedures: list[Procedure], make_procedure: Callable[..., Procedure]
) -> None:
    """Readers never see a half-built index: every answer comes from the old or the new one."""
    service.rebuild(procedures)
    extra = make_procedure("dang-ky-tam-tru", "Đăng ký tạm trú", ["khai báo tạm trú phòng trọ"])
    variants = [procedures, [*procedures, extra]]
    errors: list[BaseException] = []
    seen: set[int] = set()
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                response = service.search("khai sinh", k=10)
                seen.add(len(response.results))
                assert response.results[0].procedure_id == "dang-ky-khai-sinh"
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for i in range(6):
        service.rebuild(variants[i % 2])
    time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert seen <= {4, 5}
    assert service.index is not None and len(service.index.procedure_ids) == 5


def test_an_older_rebuild_never_replaces_a_newer_one(
    service: SearchService, procedures: list[Procedure], make_procedure: Callable[..., Procedure]
) -> None:
    """Two publishes in quick succession: whichever build gets the lock first, the last publish wins."""
    extra = make_procedure("dang-ky-tam-tru", "Đăng ký tạm trú", ["tạm trú"])
    with service._rebuild:  # hold builds back until both are waiting
        older = threading.Thread(target=service.rebuild, args=(procedures,))
        older.start()
        time.sleep(0.05)
        newer = threading.Thread(target=service.rebuild, args=([*procedures, extra],))
        newer.start()
        time.sleep(0.05)
    older.join(timeout=30)
    newer.join(timeout=30)
    assert service.index is not None and len(service.index.procedure_ids) == 5


LETTER = ("Vợ tôi mới sinh cháu được hai tuần, nhà tôi ở xa ủy ban và tôi lại hay đi làm ca đêm nên chưa lo được "
          "giấy tờ cho cháu. Tôi muốn làm giấy khai sinh cho con thì cần mang những gì?")


def test_a_question_warmed_ahead_is_embedded_once_whoever_gets_there_first(procedures: list[Procedure]) -> None:
    needed = CountingEmbedder(HashEmbedder(64))  # what each search embeds, without warming
    plain = SearchService(needed, index_root=None, cache_path=None, config=HASH_CONFIG)
    plain.rebuild(procedures)
    inner = CountingEmbedder(HashEmbedder(64))
    service = SearchService(inner, index_root=None, cache_path=None, config=HASH_CONFIG)
    assert not service.warm_in_background("lam giay khai sinh cho con o dau")  # no index yet: nothing to warm for
    service.rebuild(procedures)
    for question in ("lam giay khai sinh cho con o dau", LETTER):
        needed.queries.clear()
        plain.search(question)
        inner.queries.clear()
        assert service.warm_in_background(question)
        found = service.search(question)  # at once: the warm-up may still be running
        deadline = time.monotonic() + 10
        while service._warming and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sorted(inner.queries) == sorted(needed.queries)  # each text once, none that search does not need
        assert found == plain.search(question)
    assert len(needed.queries) == 2  # the letter: the whole and its asking sentence
    plain.close()
    service.close()


def test_warming_never_queues_more_than_its_backlog(procedures: list[Procedure]) -> None:
    gate = threading.Event()

    class Held(CountingEmbedder):
        def embed_queries(self, texts: list[str]) -> np.ndarray:
            gate.wait(10)
            return super().embed_queries(texts)

    service = SearchService(Held(HashEmbedder(64)), index_root=None, cache_path=None, config=HASH_CONFIG)
    service.rebuild(procedures)
    started = [service.warm_in_background(f"đăng ký kết hôn lần thứ {n}") for n in range(WARM_BACKLOG + 2)]
    assert started == [True] * WARM_BACKLOG + [False, False]  # under load the turns' own searches come first
    gate.set()
    deadline = time.monotonic() + 10
    while service._warming and time.monotonic() < deadline:
        time.sleep(0.01)
    assert service.warm_in_background("đăng ký kết hôn ở đâu")
    service.close()
    assert not service.warm_in_background("đăng ký kết hôn ở đâu")  # the app is stopping: the turn goes on without
    assert service._warming == 0
