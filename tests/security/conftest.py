"""tests/security: one test per finding of issue 15, and the attacks (schemathesis, WebSocket fuzzing).

`public_stack` is the real stack as an operator would expose it — the app on every interface (HOST=0.0.0.0) —
started once for the tests here that need real processes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.utils.stack import ROOT, StackFailed, running_stack


@pytest.fixture(scope="session")
def public_stack() -> Iterator[Any]:
    if not (ROOT / ".venv-rasa" / "bin" / "rasa").exists():
        pytest.skip("run scripts/setup.sh first")
    try:
        with running_stack(extra_env={"HOST": "0.0.0.0"}) as running:
            yield running
    except StackFailed as error:
        pytest.fail(str(error))

