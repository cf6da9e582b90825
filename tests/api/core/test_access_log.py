"""The access log: one line per request with its status and time, paths without query strings, probes quiet."""

from __future__ import annotations

import logging

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from api.core.access_log import AccessLogMiddleware


def ok(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok", status_code=201)


def broken(_: Request) -> PlainTextResponse:
    raise RuntimeError("boom")


def app() -> Starlette:
    made = Starlette(routes=[Route("/ok", ok), Route("/readyz", ok), Route("/broken", broken)])
    made.add_middleware(AccessLogMiddleware)
    return made


def lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "api" and r.getMessage() == "request"]


def test_one_line_per_request_with_status_and_time(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="api"), TestClient(app()) as client:
        assert client.get("/ok?key=secret-widget-key").status_code == 201
        client.get("/readyz")
    [line] = lines(caplog)
    assert (line.method, line.path, line.status) == ("GET", "/ok", 201)  # type: ignore[attr-defined]
    assert line.ms >= 0  # type: ignore[attr-defined]
    assert "secret-widget-key" not in str(line.__dict__)


def test_a_request_that_fails_is_logged_as_500(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="api"), TestClient(app(), raise_server_exceptions=False) as client:
        assert client.get("/broken").status_code == 500
    [line] = lines(caplog)
    assert line.status == 500  # type: ignore[attr-defined]
