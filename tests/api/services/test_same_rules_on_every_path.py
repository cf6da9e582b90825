"""Rules that once differed between the console and the REST API now live once, in the services, and hold on both
paths: knowledge-base writes are audited (and by the CLI as "cli"), deactivating an account follows the console's
rules, resolving an unanswered question records its outcome, who and when."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.db.base import session_scope
from api.db.models import AuditEvent, Role, StaffUser, UnansweredQuestion
from api.deps import CSRF_COOKIE
from api.services import kb_store, staff
from tests.api.cli.test_cli import run_cli
from tests.utils.staff import PASSWORD, login, make_staff


def bearer(client: TestClient, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, username)['access_token']}"}


def console(client: TestClient, username: str) -> str:
    client.cookies.clear()
    response = client.post("/console/login", data={"username": username, "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(client.cookies.get(CSRF_COOKIE))


def audit(target: str) -> list[tuple[str, int | None, Any]]:
    with session_scope() as db:
        rows = db.scalars(select(AuditEvent).where(AuditEvent.target == target).order_by(AuditEvent.id))
        return [(e.action, e.actor_id, (e.detail or {}).get("by")) for e in rows]


def user_id(username: str) -> int:
    with session_scope() as db:
        found = db.scalar(select(StaffUser.id).where(StaffUser.username == username))
    assert found is not None
    return found


# --- knowledge-base writes are audited on every path ------------------------------------------------------------

def faq(faq_id: str) -> dict[str, Any]:
    return {"id": faq_id, "procedure_id": "dang-ky-khai-sinh", "question": f"Câu hỏi thử {faq_id}?",
            "answer": "Câu trả lời thử.", "paraphrases": []}


def test_knowledge_base_writes_are_audited_through_rest(client: TestClient) -> None:
    admin = make_staff(Role.admin)
    headers, faq_id = bearer(client, admin), f"thu-rest-{uuid.uuid4().hex[:6]}"
    created = client.post("/api/v1/admin/faqs", headers=headers, json={"record": faq(faq_id), "publish": False})
    assert created.status_code == 201, created.text
    published = client.post(f"/api/v1/admin/faqs/{faq_id}/publish", headers=headers,
                            json={"expected_version": created.json()["version"]})
    assert published.status_code == 200, published.text
    assert audit(f"faq:{faq_id}") == [("kb.create", user_id(admin), admin), ("kb.publish", user_id(admin), admin)]


def test_knowledge_base_writes_are_audited_through_the_console(client: TestClient) -> None:
    admin = make_staff(Role.admin)
    csrf, faq_id = console(client, admin), f"thu-console-{uuid.uuid4().hex[:6]}"
    form = {"csrf_token": csrf, "id": faq_id, "procedure_id": "dang-ky-khai-sinh", "question": f"Câu hỏi {faq_id}?",
            "answer": "Câu trả lời thử.", "paraphrases": "", "action": "publish"}
    saved = client.post("/console/admin/faqs/new", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert audit(f"faq:{faq_id}") == [("kb.create", user_id(admin), admin)]


def test_knowledge_base_writes_are_audited_from_the_cli(client: TestClient) -> None:
    faq_id = f"thu-cli-{uuid.uuid4().hex[:6]}"
    with session_scope() as db:
        row = kb_store.create(db, "faq", faq(faq_id), kb_store.Actor.of(db.get(StaffUser, user_id(
            make_staff(Role.admin)))))
        version = row.version
    result = run_cli("kb", "publish", faq_id, "--kind", "faq")
    assert result.returncode == 0, result.stderr
    assert audit(f"faq:{faq_id}")[-1] == ("kb.publish", None, "cli") and version == 1


# --- deactivating an account: the same rules through REST and the console ---------------------------------------

@pytest.mark.parametrize("path", ["rest", "console"])
def test_deactivation_follows_one_rule_set(client: TestClient, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    admin, officer = make_staff(Role.admin), make_staff(Role.officer)
    officer_headers = bearer(client, officer)  # the officer is logged in somewhere
    if path == "rest":
        headers = bearer(client, admin)

        def deactivate(target: str) -> Any:
            return client.post(f"/api/v1/staff/users/{user_id(target)}/deactivate", headers=headers)
    else:
        csrf = console(client, admin)

        def deactivate(target: str) -> Any:
            return client.post(f"/console/admin/users/{user_id(target)}/deactivate", data={"csrf_token": csrf},
                               follow_redirects=False)

    assert deactivate(admin).status_code == 409  # never oneself
    other_admin = make_staff(Role.admin)
    monkeypatch.setattr(staff, "active_admins", lambda db: 1)  # as if they were the last active admin
    assert deactivate(other_admin).status_code == 409
    monkeypatch.undo()
    assert deactivate(officer).status_code in (200, 303)
    assert client.get("/api/v1/handoffs/queue", headers=officer_headers).status_code == 401  # signed out at once
    assert audit(f"staff_user:{user_id(officer)}")[-1][:2] == ("staff.deactivate", user_id(admin))


# --- resolving an unanswered question records outcome, who and when on both paths --------------------------------

def unanswered(text: str) -> int:
    with session_scope() as db:
        row = UnansweredQuestion(text=text, channel="web")
        db.add(row)
        db.flush()
        return row.id


def handled(question_id: int) -> tuple[bool, str | None, int | None, bool]:
    with session_scope() as db:
        row = db.get(UnansweredQuestion, question_id)
        assert row is not None
        return row.resolved, row.outcome, row.handled_by, row.handled_at is not None


def test_resolving_an_unanswered_question_through_rest_records_outcome_who_and_when(client: TestClient) -> None:
    admin = make_staff(Role.admin)
    question = unanswered(f"câu hỏi chưa trả lời {uuid.uuid4().hex[:6]}")
    resolved = client.post(f"/api/v1/admin/unanswered/{question}/resolve", headers=bearer(client, admin))
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["outcome"] == "dismissed" and resolved.json()["handled_by"] == user_id(admin)
    assert handled(question) == (True, "dismissed", user_id(admin), True)
    answered = unanswered(f"câu hỏi đã có FAQ {uuid.uuid4().hex[:6]}")
    body = {"outcome": "faq", "faq_id": "dang-ky-khai-sinh-o-dau"}
    assert client.post(f"/api/v1/admin/unanswered/{answered}/resolve", headers=bearer(client, admin),
                       json=body).json()["faq_id"] == "dang-ky-khai-sinh-o-dau"
    assert client.post(f"/api/v1/admin/unanswered/{answered}/resolve", headers=bearer(client, admin),
                       json={"outcome": "faq"}).status_code == 422  # an FAQ outcome names the FAQ


def test_resolving_an_unanswered_question_in_the_console_records_outcome_who_and_when(client: TestClient) -> None:
    admin = make_staff(Role.admin)
    question = unanswered(f"câu hỏi chưa trả lời {uuid.uuid4().hex[:6]}")
    csrf = console(client, admin)
    dismissed = client.post(f"/console/admin/unanswered/{question}/dismiss", data={"csrf_token": csrf},
                            follow_redirects=False)
    assert dismissed.status_code in (200, 303)
    assert handled(question) == (True, "dismissed", user_id(admin), True)
