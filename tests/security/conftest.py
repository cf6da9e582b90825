"""tests/security: one test per finding of issue 15, and the attacks (schemathesis, WebSocket fuzzing).

`public_stack` is the real stack as an operator would expose it — the app on every interface (HOST=0.0.0.0): the
session's shared stack, which runs that way (tests/conftest.py), so no second stack is started for these tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def public_stack(stack: Any) -> Any:
    return stack
