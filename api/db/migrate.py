"""Run Alembic migrations programmatically (setup, tests, app start)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from api.core.config import ROOT, get_settings


def upgrade(database_url: str | None = None) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = database_url or get_settings().database_url
    command.upgrade(config, "head")
