"""Live updates for the console: GET /console/events, a Server-Sent Events stream for a logged-in staff member.

Events carry no data, only "read again": `queue-changed` (a handoff opened or changed state) and, with
`?conversation=<id>`, `conversation-changed` (a message was stored in that conversation). console.js re-dispatches
them on <body>, where htmx elements listen (`hx-trigger="queue-changed from:body"`). Every 15 s without news a
comment line keeps proxies from closing the connection; the session is re-checked on each round, and when it has
expired (or the staff member logged out) the stream says `session-expired` and ends. No database session is held
while waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from api.db.base import session_scope
from api.deps import SESSION_COOKIE
from api.services import events, staff

router = APIRouter()
HEARTBEAT_SECONDS = 15.0
RETRY_MS = 3000
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no buffering by nginx


def _session_valid(token: str | None) -> bool:
    if not token:
        return False
    with session_scope() as db:
        return staff.resolve_session(db, token) is not None


async def _watch(topic: str, name: str, out: asyncio.Queue[str]) -> None:
    """Forward each signal on `topic` to `out` as the event `name`, until cancelled."""
    bus = events.get_bus()
    while True:
        if await bus.wait([topic], timeout=HEARTBEAT_SECONDS):
            out.put_nowait(name)


def frame(name: str) -> str:
    return f"event: {name}\ndata: \n\n"


async def stream(token: str | None, conversation_id: int | None,
                 heartbeat: float = HEARTBEAT_SECONDS) -> AsyncIterator[str]:
    valid = await asyncio.to_thread(_session_valid, token)
    if not valid:
        yield frame("session-expired")
        return
    pending: asyncio.Queue[str] = asyncio.Queue()
    topics = {events.QUEUE: "queue-changed"}
    if conversation_id is not None:
        topics[events.conversation_topic(conversation_id)] = "conversation-changed"
    watchers = [asyncio.create_task(_watch(topic, name, pending)) for topic, name in topics.items()]
    try:
        await asyncio.sleep(0)  # the watchers subscribe before the client hears it is connected
        yield f"retry: {RETRY_MS}\n: connected\n\n"
        while True:
            try:
                names = {await asyncio.wait_for(pending.get(), heartbeat)}
            except TimeoutError:
                names = set()
            while not pending.empty():  # several signals at once: one event of each kind
                names.add(pending.get_nowait())
            if not await asyncio.to_thread(_session_valid, token):
                yield frame("session-expired")
                return
            if not names:
                yield ": heartbeat\n\n"
            for name in sorted(names, reverse=True):  # queue-changed before conversation-changed
                yield frame(name)
    finally:
        for task in watchers:
            task.cancel()
        for task in watchers:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@router.get("/events")
async def live_events(request: Request,
                      conversation: int | None = Query(None, ge=1, le=2**31 - 1)) -> StreamingResponse:
    """The stream; without a valid session it sends `session-expired` at once (EventSource cannot follow a
    redirect to the login page)."""
    return StreamingResponse(stream(request.cookies.get(SESSION_COOKIE), conversation),
                             media_type="text/event-stream", headers=HEADERS)
