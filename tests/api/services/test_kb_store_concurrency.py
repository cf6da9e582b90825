"""Two admins save the same record at the same moment: exactly one save wins, the other is refused."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.core.errors import AppError
from api.db.base import get_engine, make_engine
from api.db.migrate import upgrade
from api.services import kb_store
from knowledge_base.formats import Bundle
from knowledge_base.loader import SEED_DIR, load_file

PROCEDURE = "dang-ky-ket-hon"


def save_at_once(factory: sessionmaker[Session], version: int, content: dict) -> list[str]:
    """Two threads save a different note on the same version at the same moment."""
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def save(note: str) -> None:
        with factory() as db:
            barrier.wait()
            try:
                kb_store.save_draft(db, "procedure", PROCEDURE, {**content, "notes": [note]}, version,
                                    kb_store.Actor(note))
                db.commit()
                outcomes.append("saved")
            except AppError as error:
                db.rollback()
                outcomes.append(f"{error.status}")

    threads = [threading.Thread(target=save, args=(f"cán bộ {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def race(factory: sessionmaker[Session], rounds: int = 5) -> None:
    for _ in range(rounds):
        with factory() as db:
            row = kb_store.get_row(db, "procedure", PROCEDURE)
            version, content = row.version, dict(row.draft or row.published)
        assert sorted(save_at_once(factory, version, content)) == ["409", "saved"]
        with factory() as db:
            row = kb_store.get_row(db, "procedure", PROCEDURE)
            assert row.version == version + 1
            revisions = kb_store.history(db, "procedure", PROCEDURE)
            assert revisions[0].actor in ("cán bộ 0", "cán bộ 1")
            assert row.draft["notes"] == [revisions[0].actor]  # the saved one is the one recorded


def test_concurrent_saves_on_sqlite(migrated) -> None:
    from api.db.base import get_sessionmaker

    with get_sessionmaker()() as db:
        kb_store.seed_if_empty(db)
        db.commit()
    assert get_engine().dialect.name == "sqlite"
    race(get_sessionmaker())


@pytest.mark.slow
def test_concurrent_saves_on_postgres(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as db:
        kb_store.import_bundle(db, Bundle(procedures=[load_file(SEED_DIR / f"{PROCEDURE}.yml")]), actor=kb_store.SEED)
        db.commit()
    race(factory)
    engine.dispose()
