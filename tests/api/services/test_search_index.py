"""A search index rebuild that fails is logged, remembered for admins and retried until it succeeds."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from api.db.models import Role, utcnow
from api.services.search_index import RebuildFailure, Rebuilds
from knowledge_base.service import SearchService
from tests.api.console.test_officer_pages import Staff


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
    wait(lambda: client.app.state.search.ready, timeout=900)  # the start's own rebuild is over
    rebuilds = client.app.state.index_rebuilds
    rebuilds.failure = RebuildFailure(3, utcnow(), "OSError: No space left on device", utcnow())
    try:
        admin, officer = Staff(client.app, Role.admin), Staff(client.app)
        page = admin.get("/console/admin/procedures").text
        assert "Cập nhật chỉ mục tìm kiếm thất bại" in page and "No space left on device" in page and "lần 3" in page
        assert "Cập nhật chỉ mục tìm kiếm thất bại" not in officer.get("/console/queue").text
    finally:
        rebuilds.failure = None
