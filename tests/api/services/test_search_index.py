"""KbSync: a process's search index follows the knowledge base's generation, whoever changed it."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm import Session

from api.services import events, kb_store, search_index
from knowledge_base.service import SearchService

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
