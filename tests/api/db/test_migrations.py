"""Data migrations on a database as an older release left it."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from api.core.config import ROOT
from api.db.base import make_engine


def migrate(url: str, target: str) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    command.upgrade(config, target)


def test_a_closed_conversation_is_back_with_the_bot(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url, "0009")
    engine = make_engine(url)
    try:
        with engine.begin() as db:
            db.execute(text("INSERT INTO conversations (channel, user_id, mode, created_at, updated_at) "
                            "VALUES ('web', 'k1', 'closed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), "
                            "('web', 'k2', 'waiting', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        migrate(url, "head")
        with engine.connect() as db:
            modes = dict(db.execute(text("SELECT user_id, mode FROM conversations")).tuples().all())
        assert modes == {"k1": "bot", "k2": "waiting"}
    finally:
        engine.dispose()
