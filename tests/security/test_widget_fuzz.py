"""Fuzzing the widget's WebSocket frames (hypothesis): whatever a client sends, each frame gets exactly one answer —
an `ack`, an `error` with a documented code, or a `pong` — never a server error, and a socket closed by the server
is closed only with a documented code (1000 normal, 1008 too many refused frames, 4400 bad key or cursor).

In-process (TestClient), Rasa unreachable as in every unit test: a message reaches the gateway, is stored and gets
the apology; what is fuzzed is everything before and around that."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.websockets import WebSocketDisconnect

from api.channels.web import ERRORS
from api.services.gateway import REFUSALS

DOCUMENTED_CLOSE_CODES = {1000, 1008, 4400}
DOCUMENTED_ERRORS = set(ERRORS) | set(REFUSALS) | {"message_too_long"}  # the gateway's, with its own text

texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["", " ", "\x00", "xin\x00chào", "làm hộ chiếu", "/request_human", "💥" * 50, "a" * 2001,
                     "\u202e", "<script>alert(1)</script>", "' OR 1=1 --"]),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(), texts)
client_ids = st.one_of(st.uuids().map(str), st.text(max_size=80), st.integers(), st.none(), st.just("a" * 65))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8),
                                                                                                 inner, max_size=4),
                           max_leaves=12)

message_frames = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "ping", "MESSAGE", "typing", "", "ack"])},
    optional={"id": client_ids, "text": st.one_of(texts, json_values), "payload": st.one_of(texts, json_values,
              st.sampled_from(['/ask_fee{"procedure_id": "cap-ho-chieu"}', "/x" * 300, '/rate{"rating": "9"}'])),
              "title": st.one_of(texts, json_values), "extra": json_values},
)
raw_frames = st.one_of(
    message_frames.map(lambda frame: json.dumps(frame, ensure_ascii=False)),
    json_values.map(json.dumps),
    texts,
    st.just("{" * 5000),
    st.just(json.dumps({"type": "message", "id": "big", "text": "x" * 9000})),
)


def answer_to(socket: Any) -> dict[str, Any]:
    """The frame that answers the last one sent (ack, error or pong); typing, message and mode frames are skipped."""
    while True:
        frame = json.loads(socket.receive_text())
        if frame["type"] in ("ack", "error", "pong"):
            return dict(frame)
        assert frame["type"] in ("typing", "message", "mode", "notice"), frame


@pytest.fixture(scope="module")
def app(migrated: None) -> Any:
    from api.main import create_app

    with TestClient(create_app(), base_url="https://testserver") as client:
        yield client


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(frames=st.lists(raw_frames, min_size=1, max_size=6))
def test_every_frame_gets_one_documented_answer(app: TestClient, frames: list[str]) -> None:
    with app.websocket_connect(f"/api/v1/widget/ws?key={uuid.uuid4().hex}") as socket:
        assert json.loads(socket.receive_text()) == {"type": "mode", "mode": "bot"}
        for raw in frames:
            socket.send_text(raw)
            try:
                answer = answer_to(socket)
            except WebSocketDisconnect as closed:
                assert closed.code in DOCUMENTED_CLOSE_CODES, closed
                return
            if answer["type"] == "error":
                assert answer["code"] in DOCUMENTED_ERRORS and answer["code"] != "server_error", answer
                assert answer["message"], answer


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.text(max_size=80), after=st.one_of(st.text(max_size=30), st.integers().map(str)))
def test_any_key_and_cursor_get_a_socket_or_a_documented_refusal(app: TestClient, key: str, after: str) -> None:
    from urllib.parse import urlencode

    with app.websocket_connect("/api/v1/widget/ws?" + urlencode({"key": key, "after": after})) as socket:
        first = json.loads(socket.receive_text())
        if first["type"] == "error":
            assert first["code"] in ("invalid_key", "invalid_after")
            with pytest.raises(WebSocketDisconnect) as closed:
                socket.receive_text()
            assert closed.value.code == 4400
        else:
            assert first["type"] in ("mode", "message")
