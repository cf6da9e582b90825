"""Issue 15: the findings that only real processes show — what reaches the log files, and how many widget sockets one
address may hold. Run against `public_stack` (the launcher's stack with HOST=0.0.0.0)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest
import websockets

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _logs(stack: Any) -> str:
    return "\n".join(path.read_text(errors="replace") for path in sorted((stack.var_dir / "logs").glob("*.log")))


def _ws_url(stack: Any) -> str:
    return stack.app_url.replace("http://", "ws://") + "/api/v1/widget/ws"


async def _widget_turn(stack: Any, key: str, text: str) -> None:
    """Open the widget's socket with its key, send one message and wait for its acknowledgement."""
    async with websockets.connect(f"{_ws_url(stack)}?key={key}") as socket:
        await socket.send(json.dumps({"type": "message", "id": "m1", "text": text}))
        while (frame := json.loads(await asyncio.wait_for(socket.recv(), 60)))["type"] != "ack":
            assert frame["type"] != "error", frame


def test_medium_widget_key_never_reaches_the_logs(public_stack: Any) -> None:
    """The key is the conversation's only credential: not in app.log (uvicorn logs a socket's URL)."""
    key = uuid.uuid4().hex + "Kk"
    asyncio.run(_widget_turn(public_stack, key, "xin chào"))
    time.sleep(1)
    assert key not in _logs(public_stack)


def test_medium_no_unmasked_citizen_text_in_any_log(public_stack: Any) -> None:
    """A citizen's phone and ID numbers appear in no log file (app, Rasa, actions), grouped any way."""
    phone, id_number = "0912 345 678", "079 203 004 567"
    who = f"log-{uuid.uuid4().hex[:8]}"
    public_stack.chat(who, f"tôi muốn làm hộ chiếu, số điện thoại {phone}, căn cước {id_number}")
    asyncio.run(_widget_turn(public_stack, uuid.uuid4().hex, f"làm lại căn cước {id_number} gọi {phone}"))
    time.sleep(1)
    flat = _logs(public_stack).replace(" ", "").replace(".", "").replace("-", "")
    for secret in (phone, id_number):
        assert secret.replace(" ", "")[:7] not in flat, secret


def test_high_widget_sockets_are_capped_per_address(public_stack: Any) -> None:
    """One client opening sockets without end is refused long before it stalls everyone (≤ 100 here)."""

    async def flood() -> int:
        opened: list[Any] = []
        try:
            for count in range(150):
                try:
                    socket = await websockets.connect(f"{_ws_url(public_stack)}?key={uuid.uuid4().hex}",
                                                      open_timeout=10)
                    opened.append(socket)
                    frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
                    if frame.get("type") == "error":
                        return count
                except (websockets.ConnectionClosed, websockets.InvalidStatus, TimeoutError):
                    return count
            return 150
        finally:
            await asyncio.gather(*(s.close() for s in opened), return_exceptions=True)

    assert asyncio.run(flood()) <= 100  # WIDGET_SOCKETS_PER_ADDRESS's default: the 101st is refused
