"""The analytics pages: an admin sees the province's figures and every officer's; an officer sees only their own
(403 on another's page and on the province's exports); CSV exports are safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.core.config import get_settings
from api.db.base import session_scope
from api.db.models import Role, StaffUser, UnansweredQuestion, utcnow
from api.deps import SESSION_COOKIE
from api.domain.spreadsheet import csv_text, safe_cell
from api.services import analytics_counts, staff


class Staff:
    def __init__(self, app: Any, role: Role) -> None:
        with session_scope() as db:
            user = StaffUser(username=f"{role.value}-{uuid.uuid4().hex[:8]}", full_name=f"Cán bộ {role.value}",
                             role=role, password_hash="!")
            db.add(user)
            db.flush()
            issued = staff.open_session(db, user, 60)
            self.id = user.id
        self.client = TestClient(app, base_url="https://testserver")
        self.client.cookies.set(SESSION_COOKIE, issued.token)

    def get(self, path: str) -> Any:
        return self.client.get(path, follow_redirects=False)


@pytest.fixture()
def people(client: TestClient) -> Iterator[dict[str, Staff]]:
    earlier = utcnow() - dt.timedelta(minutes=10)
    with session_scope() as db:  # asked a while ago, and counted since (the counters' refresh)
        db.add(UnansweredQuestion(text='=HYPERLINK("http://x.example") gọi 0912345678', channel="web",
                                  created_at=earlier))
        db.add(UnansweredQuestion(text="@SUM(1+1)", channel="web", created_at=earlier))
        db.flush()
        analytics_counts.refresh(db, get_settings().zone())
    yield {"admin": Staff(client.app, Role.admin), "officer": Staff(client.app, Role.officer),
           "other": Staff(client.app, Role.officer)}


def test_an_admin_sees_the_dashboard_with_charts_and_filters(people: dict[str, Staff]) -> None:
    page = people["admin"].get("/console/analytics?period=7d&channel=web")
    assert page.status_code == 200
    assert "Thống kê phục vụ người dân" in page.text and "<svg" in page.text
    assert "Tải CSV" in page.text and "/console/admin/faqs/new?from_unanswered=" in page.text
    assert "0912345678" not in page.text  # masked
    assert "src=\"http" not in page.text and "href=\"http" not in page.text  # no CDN
    assert people["admin"].get(f"/console/analytics/officers/{people['officer'].id}").status_code == 200
    assert people["admin"].get("/console/analytics?period=2y").status_code == 422


def test_an_officer_sees_only_their_own_numbers(people: dict[str, Staff]) -> None:
    officer, other = people["officer"], people["other"]
    home = officer.get("/console/analytics?period=7d")
    assert home.status_code == 303 and home.headers["location"] == f"/console/analytics/officers/{officer.id}?period=7d"
    assert officer.get(f"/console/analytics/officers/{officer.id}").status_code == 200
    assert officer.get(f"/console/analytics/officers/{officer.id}/export/csat.csv").status_code == 200
    assert officer.get(f"/console/analytics/officers/{other.id}").status_code == 403
    assert officer.get(f"/console/analytics/officers/{other.id}/export/daily.csv").status_code == 403
    assert officer.get("/console/analytics/export/officers.csv").status_code == 403
    assert officer.get("/console/analytics/export/unanswered.csv").status_code == 403


def test_csv_exports_neutralise_formulas_and_mask(people: dict[str, Staff]) -> None:
    response = people["admin"].get("/console/analytics/export/unanswered.csv?period=7d")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    cells = [cell for row in csv.reader(io.StringIO(response.text.lstrip("\ufeff"))) for cell in row]
    assert "'@SUM(1+1)" in cells
    hyperlink = next(c for c in cells if "HYPERLINK" in c)
    assert hyperlink.startswith("'=") and "0912345678" not in hyperlink
    assert people["admin"].get("/console/analytics/export/nothing.csv").status_code == 404


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_every_formula_start_is_neutralised(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert csv_text(["a"], [[value]]).splitlines()[1].startswith(("'", "\"'"))


def test_plain_cells_are_kept() -> None:
    assert [safe_cell(v) for v in ("Hộ chiếu", 12, None, 3.5)] == ["Hộ chiếu", "12", "", "3.5"]
