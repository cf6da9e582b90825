"""GET /api/v1/search, and a publish reaching search without a restart."""

from __future__ import annotations

import time
import uuid

import pytest
from limits import RateLimitItemPerMinute

from api.db.models import Role
from tests.utils.staff import auth_headers


def wait_ready(client, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while not client.app.state.search.ready:
        assert time.monotonic() < deadline, "search index not built in time"
        time.sleep(0.2)


@pytest.fixture()
def ready_client(client):
    wait_ready(client)
    return client


def test_search_finds_a_procedure_typed_without_diacritics(ready_client) -> None:
    body = ready_client.get("/api/v1/search", params={"q": "lam ho chieu o dau", "k": 3}).json()
    assert body["results"][0]["procedure_id"] == "cap-ho-chieu-pho-thong"
    assert set(body["results"][0]) == {"procedure_id", "title", "score", "matched", "aspect", "source"}
    assert body["decision"] in ("answer", "clarify")


def test_search_validates_input(ready_client) -> None:
    assert ready_client.get("/api/v1/search", params={"q": "   "}).status_code == 422
    assert ready_client.get("/api/v1/search", params={"q": "a" * 2001}).status_code == 422
    assert ready_client.get("/api/v1/search", params={"q": "hộ chiếu", "k": 0}).status_code == 422
    assert ready_client.get("/api/v1/search").status_code == 422


def test_search_is_rate_limited(ready_client) -> None:
    limits = ready_client.app.state.limits
    limits.search = RateLimitItemPerMinute(3, namespace=f"search-{uuid.uuid4().hex}")
    codes = [ready_client.get("/api/v1/search", params={"q": "khai sinh"}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    limited = ready_client.get("/api/v1/search", params={"q": "khai sinh"})
    assert 1 <= int(limited.headers["retry-after"]) <= 60 and "quá nhiều lần" in limited.json()["message"]


def test_published_faq_is_found_without_restart(ready_client) -> None:
    admin = auth_headers(ready_client, Role.admin)
    faq_id = f"cap-ho-chieu-tre-so-sinh-{uuid.uuid4().hex[:6]}"
    question = "Em bé mới sinh được ba tháng có làm hộ chiếu để đi du lịch cùng bố mẹ được không?"
    record = {"id": faq_id, "procedure_id": "cap-ho-chieu-pho-thong", "question": question,
              "answer": "Được. Cha hoặc mẹ khai tờ khai và nộp hồ sơ thay cho bé.", "paraphrases": []}
    created = ready_client.post("/api/v1/admin/faqs", headers=admin, json={"record": record, "publish": True})
    assert created.status_code == 201
    deadline = time.monotonic() + 30
    while True:
        body = ready_client.get("/api/v1/search", params={"q": question}).json()
        if body["results"] and body["results"][0]["matched"] == question:
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
    assert body["results"][0]["procedure_id"] == "cap-ho-chieu-pho-thong"
