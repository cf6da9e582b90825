from __future__ import annotations


def test_healthz(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_each_dependency(client) -> None:
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503  # no Rasa nor action server in unit tests
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["rasa"]["ok"] is False
    assert body["checks"]["action_server"]["ok"] is False


def test_assistant_info_is_public(client) -> None:
    body = client.get("/api/v1/assistant").json()
    assert body["name"] == "Trợ lý ảo thủ tục hành chính"
    assert "office_hours" in body
