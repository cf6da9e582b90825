"""The scaled layout's tests: a PostgreSQL and a Redis of their own (never the machine's shared servers)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from api.runtime.scratch_services import ServiceFailed, temporary_postgres, temporary_redis


@pytest.fixture(scope="module")
def own_services() -> Iterator[tuple[str, str]]:
    """(PostgreSQL URL of the app's database, Redis URL), started for this module and removed after it; the same
    server also holds a database `rasa` for the tracker store."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server missing: apt-get install redis-server")
    try:
        with temporary_postgres("tlhc", "rasa") as database_url, temporary_redis() as redis_url:
            yield database_url, redis_url
    except ServiceFailed as error:
        pytest.fail(str(error))
