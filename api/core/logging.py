"""Structured (JSON lines) logging with personal data masked and query strings (credentials) dropped in every
record."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from api.core.privacy import scrub_log_text

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub_log_text(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = scrub_log_text(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = scrub_log_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub_log_text(super().format(record))


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    plain = MaskingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    handler.setFormatter(JsonFormatter() if json_lines else plain)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # The app writes one line per request itself (api.main's access log, with its duration): uvicorn's access line
    # and httpx's line per outgoing call (every Rasa turn) would only repeat it, at a cost on every turn.
    for name in ("uvicorn.access", "httpx"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
