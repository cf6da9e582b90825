"""The app as assembled: the API's documentation is off in production, the spec stays available in-process."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.core.config import Settings
from api.main import create_app


def test_docs_and_spec_are_public_in_development(client) -> None:
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


def test_docs_and_spec_are_off_in_production(migrated: None) -> None:
    app = create_app(Settings(environment="production", secret_key="k" * 40))
    with TestClient(app, base_url="https://testserver") as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404, path
    assert "/api/v1/chat" in app.openapi()["paths"]  # what schemathesis loads in-process
