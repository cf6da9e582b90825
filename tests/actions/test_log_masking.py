"""The action server's log holds no personal numbers, whoever logs and however its handlers are set up."""

from __future__ import annotations

import io
import logging

import actions  # noqa: F401 - importing the package installs the masking (as rasa_sdk does when it loads it)
from actions import log_masking


def test_every_record_is_masked_when_made() -> None:
    log_masking.install()  # twice is harmless
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))  # a handler set up by someone else
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        logging.getLogger("rasa_sdk.executor").warning("Received request to run 'action_answer': %s",
                                                       {"text": "CCCD 079 203 004 567, sđt 0912 345 678"})
        logging.getLogger("sanic.access").warning("email an@gmail.com số 0912345678")
        logging.getLogger("actions").warning("broken %s %s", "one")  # a malformed call still logs, masked
    finally:
        root.removeHandler(handler)
    written = stream.getvalue()
    assert "079 203 004 567" not in written and "0912 345 678" not in written and "*********567" in written
    assert "0912345678" not in written and "an@gmail.com" not in written
    assert "broken" in written and "sanic.access" in written
