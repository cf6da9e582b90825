"""The scaled layout's tests share one layout, started by its one command (`serve --scaled`: nginx, two app
replicas, two Rasa servers with an action server each) on a PostgreSQL and a Redis of its own — never the
machine's shared servers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from api.runtime.scratch_services import ServiceFailed, temporary_postgres, temporary_redis
from tests.utils.stack import ROOT, Stack, StackFailed, running_stack


@pytest.fixture(scope="package")
def own_services() -> Iterator[tuple[str, str]]:
    """(PostgreSQL URL of the app's database, Redis URL), started for these tests and removed after them; the
    same server also holds a database `rasa` for the tracker store."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server missing: apt-get install redis-server")
    try:
        with temporary_postgres("tlhc", "rasa") as database_url, temporary_redis() as redis_url:
            yield database_url, redis_url
    except ServiceFailed as error:
        pytest.fail(str(error))


@pytest.fixture(scope="package")
def scaled_stack(own_services: tuple[str, str]) -> Iterator[Stack]:
    if not (ROOT / ".venv-rasa" / "bin" / "rasa").exists():
        pytest.skip("run scripts/setup.sh first")
    if not os.path.exists("/usr/sbin/nginx"):
        pytest.fail("nginx missing: run scripts/install_nginx.sh")
    database_url, redis_url = own_services
    env = {"DATABASE_URL": database_url, "RASA_TRACKER_URL": database_url.rsplit("/", 1)[0] + "/rasa",
           "REDIS_URL": redis_url, "SEARCH_RATE_PER_MINUTE": "100000"}  # the tests poll the search often
    try:
        with running_stack(extra_env=env, scaled=(2, 2)) as stack:
            yield stack
    except StackFailed as error:
        pytest.fail(str(error))
