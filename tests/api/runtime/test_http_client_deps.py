"""httpx (the app's client for Rasa, the action server's client for the app) asks sniffio which event loop runs,
several times per request; anyio no longer brings sniffio, and without it every one of those asks is a failed import
(a search of every folder on sys.path; docs/benchmarks.md, "Less CPU per turn")."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

from httpcore._synchronization import current_async_library


class ImportWatcher:
    """A meta path finder that only records which modules Python had to look for."""

    def __init__(self) -> None:
        self.looked_for: list[str] = []

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        self.looked_for.append(name)
        return None


def test_httpcore_finds_the_event_loop_without_looking_for_a_module() -> None:
    async def ask_twice() -> list[str]:
        return [current_async_library(), current_async_library()]

    asyncio.run(ask_twice())  # the first ask may import sniffio
    watcher = ImportWatcher()
    sys.meta_path.insert(0, watcher)
    try:
        assert asyncio.run(ask_twice()) == ["asyncio", "asyncio"]
    finally:
        sys.meta_path.remove(watcher)
    assert "sniffio" not in watcher.looked_for
