"""Test configuration: every test session gets its own var/ directory (SQLite files, secrets)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_VAR = Path(tempfile.mkdtemp(prefix="tlhc-test-"))
os.environ["VAR_DIR"] = str(_VAR)
os.environ.setdefault("LOG_JSON", "true")
os.environ["RASA_PORT"] = "1"  # unit tests never reach a Rasa server; integration tests start their own
os.environ["ACTIONS_PORT"] = "2"

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def var_dir() -> Path:
    return _VAR


@pytest.fixture(scope="session")
def migrated(var_dir: Path) -> None:
    from api.db.migrate import upgrade

    upgrade()


@pytest.fixture()
def client(migrated: None) -> Iterator:
    from fastapi.testclient import TestClient

    from api.main import create_app

    with TestClient(create_app(), base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture()
def db(migrated: None) -> Iterator:
    from api.db.base import session_scope

    with session_scope() as session:
        yield session
