"""The search index: a failed rebuild is logged, shown to admins and retried; `KbSync` keeps a process's index at
the knowledge base's generation, whoever changed it."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from api.db.base import session_scope
from api.db.models import Role, utcnow
from api.services import events, kb_store, search_index
from api.services.search_index import RebuildFailure, Rebuilds
from knowledge_base.service import SearchService
from tests.api.console.test_officer_pages import Staff

PROCEDURE = "dang-ky-ket-hon"


def service() -> SearchService:
    return SearchService.from_spec("hash:64", index_root=None, cache_path=None)


def change_title(db: Session, suffix: str, publish: bool = True) -> None:
    row = kb_store.get_row(db, "procedure", PROCEDURE)
    content = {**row.published, "title": f"{row.published['title']} {suffix}"}
    row = kb_store.save_draft(db, "procedure", PROCEDURE, content, row.version, kb_store.Actor("test"))
    if publish:
        kb_store.publish(db, "procedure", PROCEDURE, row.version, kb_store.Actor("test"))
    db.commit()


def titles(search: SearchService) -> set[str]:
    assert search.index is not None
    return {chunk.title for chunk in search.index.chunks}


def test_rebuilds_only_when_what_the_bot_uses_changed(db: Session) -> None:
    sync = search_index.KbSync(service())
    first = sync.refresh()
    assert first is not None
    first.result(timeout=60)
    assert sync.refresh() is None  # nothing changed
    change_title(db, "nhap", publish=False)
    assert sync.refresh() is None  # a draft is not what the bot uses
    change_title(db, "moi")
    again = sync.refresh()
    assert again is not None
    again.result(timeout=60)
    assert any(title.endswith(" moi") for title in titles(sync.search))


def test_generation_counts_a_revision_committed_after_a_newer_one(db: Session) -> None:
    before = search_index.generation(db)
    change_title(db, "a")
    count, newest = search_index.generation(db)
    assert count == before[0] + 1 and newest > before[1]


def test_the_kb_signal_wakes_the_watcher(db: Session) -> None:
    async def scenario() -> bool:
        bus = events.EventBus()
        sync = search_index.KbSync(service(), poll_s=60)  # the poll alone would take a minute
        done = sync.refresh()
        assert done is not None
        done.result(timeout=60)
        await sync.start(bus)
        await asyncio.sleep(0.1)
        change_title(db, "tin hieu")
        bus.publish(events.KB)  # what the commit publishes (through Redis between replicas)
        try:
            for _ in range(100):
                await asyncio.sleep(0.1)
                if sync.search.index is not None and any(t.endswith("tin hieu") for t in titles(sync.search)):
                    return True
            return False
        finally:
            await sync.stop()

    assert asyncio.run(scenario())


def test_a_publish_signals_the_kb_topic_on_commit(db: Session) -> None:
    class Recording(events.EventBus):
        def __init__(self) -> None:
            super().__init__()
            self.topics: list[str] = []

        def publish(self, *topics: str) -> None:
            self.topics.extend(topics)

    bus, previous = Recording(), events.get_bus()
    events.install(bus)
    try:
        change_title(db, "nhap 2", publish=False)
        assert events.KB not in bus.topics
        change_title(db, "b")
        assert events.KB in bus.topics
    finally:
        events.install(previous)


def wait(condition, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_failed_rebuild_is_logged_shown_and_retried(migrated: None, tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "index"
    blocked.write_text("a file where the index directory should be")  # the disk refuses the index
    search = SearchService.from_spec("hash:32", index_root=blocked, cache_path=None)
    rebuilds = Rebuilds(search, first_retry_s=0.5, max_retry_s=2)
    try:
        with caplog.at_level(logging.ERROR, logger="api.services.search_index"):
            rebuilds.start()
            wait(lambda: rebuilds.problem() is not None)
        failure = rebuilds.problem()
        assert failure is not None and failure.failures >= 1 and failure.next_retry_at > failure.failed_at
        assert any("search index rebuild failed" in r.getMessage() and r.exc_info for r in caplog.records)
        assert not search.ready  # the bot keeps what it had (here: nothing yet)
        wait(lambda: (rebuilds.problem() or failure).failures >= 2)  # retried on its own
        blocked.unlink()  # the disk is fixed: the next retry succeeds
        wait(lambda: rebuilds.problem() is None and search.ready)
    finally:
        rebuilds.close()
        search.close()


def test_admins_see_the_failure_on_console_pages(client) -> None:  # type: ignore[no-untyped-def]
    wait(lambda: client.app.state.search.ready, timeout=900)
    # a rebuild still queued (the app start's) would clear the failure set below when it ends: rebuilds run one at a
    # time, in order, so one more (without the failure bookkeeping) ending means every earlier one has ended
    with session_scope() as db:
        procedures = kb_store.published_procedures(db)
    client.app.state.search.rebuild_in_background(procedures).result(timeout=900)
    rebuilds = client.app.state.index_rebuilds
    rebuilds.failure = RebuildFailure(3, utcnow(), "OSError: No space left on device", utcnow())
    try:
        admin, officer = Staff(client.app, Role.admin), Staff(client.app)
        page = admin.get("/console/admin/procedures").text
        assert "Cập nhật chỉ mục tìm kiếm thất bại" in page and "No space left on device" in page and "lần 3" in page
        assert "Cập nhật chỉ mục tìm kiếm thất bại" not in officer.get("/console/queue").text
    finally:
        rebuilds.failure = None
