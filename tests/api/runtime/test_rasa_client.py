"""The app's client for Rasa, against a real HTTP server on loopback: Rasa's replies come back as sent, and every
way Rasa can fail (down, frozen, an error status, a body that is not JSON) becomes RasaUnavailable in time."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from api.runtime.rasa_client import RasaClient, RasaUnavailable

Handler = Callable[[bytes], Awaitable[tuple[int, bytes] | None]]


@asynccontextmanager
async def server(handler: Handler) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A one-route HTTP/1.1 server: `handler(request)` gives (status, body), or None to never answer."""
    seen: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length")), 0)
                request = head + await reader.readexactly(length)
                seen.append(request)
                answer = await handler(request)
                if answer is None:
                    await asyncio.sleep(3600)
                    return
                status, body = answer
                writer.write(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                             % (status, len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    listening = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        listening.close()


def test_replies_and_the_token_reach_rasa() -> None:
    async def replies(_request: bytes) -> tuple[int, bytes]:
        return 200, json.dumps([{"recipient_id": "s", "text": "Dạ, chào bạn"}], ensure_ascii=False).encode()

    async def run() -> tuple[list, list[bytes]]:
        async with server(replies) as (url, seen):
            client = RasaClient(url, 5, token="tok-1")
            try:
                got = [await client.send("s", "xin chào"), await client.send("s", "lần hai")]
            finally:
                await client.close()
            return got, seen

    got, seen = asyncio.run(run())
    assert got == [[{"recipient_id": "s", "text": "Dạ, chào bạn"}]] * 2
    assert len(seen) == 2 and b"authorization: bearer tok-1" in seen[0].lower()
    assert json.loads(seen[1].split(b"\r\n\r\n", 1)[1]) == {"sender": "s", "message": "lần hai"}


@pytest.mark.parametrize("answer", [(500, b"{}"), (200, b"<html>not json"), None])
def test_a_failing_or_frozen_rasa_is_unavailable_within_the_timeout(answer: tuple[int, bytes] | None) -> None:
    async def handler(_request: bytes) -> tuple[int, bytes] | None:
        return answer

    async def run() -> float:
        async with server(handler) as (url, _):
            client = RasaClient(url, 5)
            started = time.monotonic()
            try:
                with pytest.raises(RasaUnavailable):
                    await client.send("s", "xin chào", timeout=0.5)
            finally:
                await client.close()
            return time.monotonic() - started

    assert asyncio.run(run()) < 2


def test_rasa_down_is_unavailable_and_not_ready() -> None:
    async def run() -> tuple[bool, str]:
        client = RasaClient("http://127.0.0.1:1", 1)
        try:
            with pytest.raises(RasaUnavailable):
                await client.send("s", "xin chào")
            return await client.ready()
        finally:
            await client.close()

    ready, why = asyncio.run(run())
    assert not ready and why.startswith("unreachable")
