"""The analytics dashboard in Debian's Chromium: an admin's view of a seeded province (12 months, 3,000
conversations written like the app writes them, counted by the rebuild job) and an officer's own view. The figures
on the page are the service's; the charts are inline SVG and nothing is fetched from another origin.

Screenshots go to test-artifacts/; with UPDATE_DOCS_SCREENSHOTS=1 they also replace docs/console/analytics-*.png
(the "Thống kê" part of docs/console.md).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from api.db.base import session_scope
from api.db.models import Role, StaffUser
from api.deps import SESSION_COOKIE
from api.services import staff
from tests.utils.browser import ROOT, artifact_path
from tests.utils.stack import free_port

sys.path.insert(0, str(ROOT / "scripts"))
import bench_analytics

pytestmark = [pytest.mark.slow]

DOCS = ROOT / "docs" / "console"
VIEWPORT = {"width": 1280, "height": 1000}


def shot(page: Any, name: str) -> None:
    path = artifact_path(f"analytics-{name}.png")
    page.screenshot(path=str(path))
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / f"analytics-{name}.png")


@pytest.fixture(scope="module")
def served(migrated: None) -> Iterator[str]:
    """The seeded province and the app under uvicorn (no background tasks: the pages need none)."""
    from api.core.config import get_settings
    from api.main import create_app
    from api.services import analytics_counts

    bench_analytics.seed(30_000, 3_000, dt.datetime.now(dt.UTC))
    with session_scope() as db:
        analytics_counts.rebuild(db, get_settings().zone())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://localhost:{port}"
    server.should_exit = True
    thread.join(15)


def logged_in(browser: Any, base: str, user_id: int) -> Any:
    with session_scope() as db:
        user = db.get(StaffUser, user_id)
        assert user is not None
        token = staff.open_session(db, user, 60).token
    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base}])
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.outside = []
    page.on("request", lambda request: None if request.url.startswith(base) else page.outside.append(request.url))
    return page


def test_admin_dashboard_and_an_officers_own_view(browser: Any, served: str) -> None:
    from playwright.sync_api import expect

    from api.core.config import get_settings
    from api.services import analytics

    with session_scope() as db:
        admin = StaffUser(username="analytics-admin", full_name="Nguyễn Thị Hoa", role=Role.admin, password_hash="!")
        db.add(admin)
        db.flush()
        admin_id = admin.id
        officer = db.query(StaffUser).filter(StaffUser.username == "bench-officer-0").one()
        officer_id, officer_name = officer.id, officer.full_name
        settings = get_settings()
        expected = analytics.dashboard(db, analytics.filters_for("90d", None, settings.today()), settings.zone(),
                                       settings.office()).summary

    page = logged_in(browser, served, admin_id)
    page.goto(f"{served}/console/analytics?period=90d")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thống kê phục vụ người dân")
    expect(page.locator("#stat-conversations")).to_have_text(str(expected["conversations"]))
    expect(page.locator("#stat-handoffs")).to_have_text(str(expected["handoffs"]))
    expect(page.locator("#chart-conversations svg")).to_be_visible()
    expect(page.locator("#table-unanswered tbody tr").first).to_be_visible()
    shot(page, "01-tong-quan")
    page.get_by_label("Kênh").select_option("telegram")
    page.get_by_role("button", name="Xem").click()
    expect(page).to_have_url(f"{served}/console/analytics?period=90d&channel=telegram")
    assert page.errors == [] and page.outside == []

    page = logged_in(browser, served, officer_id)
    page.goto(f"{served}/console/analytics?period=12m")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Số liệu của {officer_name}")
    expect(page.locator("#chart-conversations svg")).to_be_visible()
    shot(page, "02-can-bo")
    assert page.errors == [] and page.outside == []
