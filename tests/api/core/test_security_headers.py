"""Security headers under a path prefix: added unless the response set its own, nothing elsewhere."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from api.core.security_headers import SecurityHeadersMiddleware


def page(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def framed(_: Request) -> PlainTextResponse:
    return PlainTextResponse("ok", headers={"X-Frame-Options": "SAMEORIGIN"})


def test_added_under_the_prefix_unless_set_and_nowhere_else() -> None:
    app = Starlette(routes=[Route("/console/page", page), Route("/console/framed", framed), Route("/api", page)])
    app.add_middleware(SecurityHeadersMiddleware, prefix="/console",
                       headers={"X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"})
    with TestClient(app) as client:
        headers = client.get("/console/page").headers
        assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "same-origin"
        assert headers["content-type"].startswith("text/plain")
        framed_headers = client.get("/console/framed").headers
        assert framed_headers.get_list("x-frame-options") == ["SAMEORIGIN"]
        assert framed_headers["referrer-policy"] == "same-origin"
        assert "x-frame-options" not in client.get("/api").headers
