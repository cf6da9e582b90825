from __future__ import annotations

from api.db.models import Role
from tests.utils.bot import bot_headers
from tests.utils.staff import auth_headers


def test_healthz(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_each_dependency_to_staff_and_the_stack_only(client) -> None:
    public = client.get("/readyz")
    assert public.status_code == 503 and public.json() == {"ready": False}  # no details for anyone
    assert client.get("/readyz", headers={"Authorization": "Bearer devine"}).json() == {"ready": False}
    assert "checks" in client.get("/readyz", headers=auth_headers(client, Role.officer)).json()
    response = client.get("/readyz", headers=bot_headers(client))
    body = response.json()
    assert response.status_code == 503  # no Rasa nor action server in unit tests
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["rasa"]["ok"] is False
    assert body["checks"]["action_server"]["ok"] is False


def test_assistant_info_is_public(client) -> None:
    body = client.get("/api/v1/assistant").json()
    assert body["name"] == "Trợ lý ảo thủ tục hành chính"
    assert "office_hours" in body
