"""A real stack for integration tests: rasa, the action server and the app, started by the launcher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.utils.stack import ROOT, Stack, StackFailed, running_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if not (ROOT / ".venv-rasa" / "bin" / "rasa").exists():
        pytest.skip("run scripts/setup.sh first")
    try:
        with running_stack() as running:
            yield running
    except StackFailed as error:
        pytest.fail(str(error))
