"""NUL characters anywhere in a request are a 422 (never a database error); oversized integers too."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("body", [
    '{"sender": "nul-1", "text": "xin\\u0000 chào"}',
    '{"sender": "nul\\u0000", "text": "xin chào"}',
    '{"sender": "nul-2", "text": "xin chào", "client_msg_id": "a\\U0000"}',
])
def test_a_json_nul_escape_is_refused(client, body: str) -> None:
    response = client.post("/api/v1/chat", content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["error"] == "nul_character"


def test_nul_in_the_query_path_or_a_form_is_refused(client) -> None:
    assert client.get("/api/v1/search", params={"q": "hộ\x00chiếu"}).status_code == 422
    assert client.get("/api/v1/chat/abc%00/messages").status_code == 422
    login = client.post("/console/login", data={"username": "a\x00", "password": "b"})
    assert login.status_code == 422


def test_an_escaped_backslash_is_not_a_nul(client) -> None:
    body = '{"sender": "nul-3", "text": "đường dẫn C:\\\\u0000"}'
    assert client.post("/api/v1/chat", content=body.encode(),
                       headers={"content-type": "application/json"}).status_code == 200
