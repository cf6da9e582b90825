"""Test configuration: every test session gets its own var/ directory (SQLite files, secrets)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

_VAR = Path(tempfile.mkdtemp(prefix="tlhc-test-"))
os.environ["VAR_DIR"] = str(_VAR)
os.environ.setdefault("LOG_JSON", "true")
os.environ["RASA_PORT"] = "1"  # unit tests never reach a Rasa server; integration tests start their own
os.environ["ACTIONS_PORT"] = "2"
# Tests must not depend on the wall clock: officers are always "at work" unless a test says otherwise.
os.environ["OFFICE_SCHEDULE"] = "mon-sun 00:00-24:00"
os.environ["HOLIDAYS"] = ""

import uuid  # noqa: E402
from typing import Any  # noqa: E402

import anyio._core._fileio  # noqa: E402, F401 - see below
import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

# anyio is a pytest plugin, so pytest rewrites its modules when they are first imported; anyio imports its file
# module lazily, deep inside a request (Starlette's FileResponse), where CPython 3.11.7's parser failed with
# "AST constructor recursion depth mismatch". Imported here, it is rewritten once at a shallow stack.


@pytest.fixture(scope="session")
def var_dir() -> Path:
    return _VAR


def _reset_database_caches() -> None:
    from api.core.config import get_settings
    from api.db.base import get_engine, get_sessionmaker

    if get_engine.cache_info().currsize:
        get_engine().dispose()
    for cached in (get_sessionmaker, get_engine, get_settings):
        cached.cache_clear()


@pytest.fixture(scope="session")
def template_database(var_dir: Path) -> Path:
    """A migrated database with the seed knowledge base, copied for each test module."""
    from api.db.base import session_scope
    from api.db.migrate import upgrade
    from api.services import kb_store

    path = var_dir / "template.db"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    _reset_database_caches()
    upgrade()
    with session_scope() as db:
        kb_store.seed_if_empty(db)
    _reset_database_caches()
    return path


@pytest.fixture(scope="module", autouse=True)
def module_database(request: pytest.FixtureRequest, template_database: Path, var_dir: Path) -> Iterator[Path]:
    """Each test module has a database of its own: what one module stores never reaches another."""
    path = var_dir / f"{request.module.__name__.replace('.', '_')}.db"
    shutil.copyfile(template_database, path)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    _reset_database_caches()
    yield path
    _reset_database_caches()


@pytest.fixture(scope="module")
def migrated(module_database: Path) -> None:
    """The module's database is migrated (kept for the tests that ask for it by name)."""


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


ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A fresh schema on the local PostgreSQL server (the scaled mode, for real)."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:  # noqa: BLE001
        if os.environ.get("CI"):  # CI machines run PostgreSQL: its absence is a failure there
            pytest.fail(f"no PostgreSQL at {ADMIN_URL}: {error}")
        pytest.skip(f"no PostgreSQL at {ADMIN_URL}: {error.__class__.__name__}")
    yield f"{ADMIN_URL}?options=-csearch_path%3D{schema}"
    with engine.connect() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[Any]:
    """The local fake Telegram Bot API server the shared stack's Telegram channel talks to."""
    from tests.utils.fake_telegram import FakeTelegram

    with FakeTelegram() as fake:
        yield fake


@pytest.fixture(scope="session")
def zalo_api() -> Iterator[Any]:
    """The local fake Zalo OpenAPI the shared stack's Zalo channel talks to."""
    from tests.utils.fake_zalo import FakeZalo

    with FakeZalo() as fake:
        yield fake


@pytest.fixture(scope="session")
def stack(telegram_api: Any, zalo_api: Any) -> Iterator[Any]:
    """The real stack (rasa, actions, app), started once per test session for every test that asks for it.
    Its app always runs the Telegram channel, polling the fake Bot API server (`telegram_api`), and the Zalo
    channel, sending through the fake Zalo OpenAPI (`zalo_api`). The app listens on every interface (HOST=0.0.0.0),
    as an operator exposes it: tests/security checks that only the app answers from another host."""
    from tests.utils.stack import ROOT, StackFailed, running_stack

    if not (ROOT / ".venv-rasa" / "bin" / "rasa").exists():
        pytest.skip("run scripts/setup.sh first")
    channels_env = {"TELEGRAM_BOT_TOKEN": telegram_api.token, "TELEGRAM_API_BASE_URL": telegram_api.base_url,
                    **zalo_api.env(), "HOST": "0.0.0.0"}
    try:
        with running_stack(extra_env=channels_env) as running:
            yield running
    except StackFailed as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright; a failure on CI, a skip elsewhere when it is not installed.

    Module scope: Playwright's sync API keeps an event loop running in the test thread while it is open, which
    would break later tests that call asyncio.run()."""
    from tests.utils.browser import CHROMIUM, chromium

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing: scripts/test.sh installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} missing (apt-get install chromium)")
    with chromium() as running:
        yield running
