"""The action server's log never holds personal numbers: every record it emits is masked when it is made (a log record
factory, so it covers rasa_sdk's and Sanic's loggers and every handler, whoever configured them)."""

from __future__ import annotations

import logging
from typing import Any

from knowledge_base.privacy import mask_pii


def install() -> None:
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_pii", False):
        return

    def masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: keep what can be kept, masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = mask_pii(message), None
        return record

    masking_factory.masks_pii = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masking_factory)
