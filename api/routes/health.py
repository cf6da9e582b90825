"""Liveness and readiness."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from api.db.base import get_engine
from api.deps import may_see_details

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The app process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _database() -> tuple[bool, str]:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        return True, get_engine().dialect.name
    except Exception as error:  # noqa: BLE001 - readiness reports, never raises
        return False, error.__class__.__name__


async def _action_server(url: str) -> tuple[bool, str]:
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            response = await client.get(f"{url}/health")
        return response.status_code == 200, f"HTTP {response.status_code}"
    except httpx.HTTPError as error:
        return False, f"unreachable: {error.__class__.__name__}"


def _search_index(request: Request) -> tuple[bool, str]:
    index = request.app.state.search.index
    if index is None:
        return False, "building"
    return True, f"{len(index.procedure_ids)} procedures, {len(index.chunks)} chunks"


@router.get("/readyz", summary="Ready to serve: database, Rasa and the action server answer (the checks' details "
                               "only for staff or with the bot API token)")
async def readyz(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    checks = {
        "database": await run_in_threadpool(_database),
        "rasa": await request.app.state.rasa.ready(),
        "action_server": await _action_server(settings.action_server_url),
        "search_index": _search_index(request),
    }
    body = {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()}
    ready = all(ok for ok, _ in checks.values())
    if (telegram := getattr(request.app.state, "telegram", None)) is not None:
        ok, detail = telegram.status()  # reported, not required: a Telegram outage must not stop the other channels
        body["telegram"] = {"ok": ok, "detail": detail, "required": False}
    if (zalo := getattr(request.app.state, "zalo", None)) is not None:
        ok, detail = zalo.status()  # "degraded: …" when its token cannot be refreshed; the other channels go on
        body["zalo"] = {"ok": ok, "detail": detail, "required": False}
    status = 200 if ready else 503
    if not await run_in_threadpool(may_see_details, request):
        return JSONResponse({"ready": ready}, status_code=status)
    return JSONResponse({"ready": ready, "checks": body}, status_code=status)
