"""Rasa's endpoints.yml, written from the app's settings so that both modes differ only in settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from api.core.config import Settings

TRACKER_STORE = "bot.tracker_store.TunedSQLTrackerStore"  # Rasa's SQL store, SQLite tuned (bot/tracker_store.py)


def tracker_store(url: str, only_writer: bool = True) -> dict[str, Any]:
    """`only_writer`: one Rasa process serves every conversation, so it may remember the live sessions between
    turns instead of reading them back (bot/tracker_store.py); never with several Rasa processes."""
    parsed = make_url(url)
    remember = {"remember_sessions": True} if only_writer else {}
    if parsed.get_backend_name() == "sqlite":
        return {"type": TRACKER_STORE, "dialect": "sqlite", "db": parsed.database, **remember}
    store: dict[str, Any] = {"type": TRACKER_STORE, "dialect": "postgresql", "url": parsed.host, "db": parsed.database,
                             **remember}
    if parsed.port:
        store["port"] = parsed.port
    if parsed.username:
        store["username"] = parsed.username
    if parsed.password:
        store["password"] = parsed.password
    return store


def lock_store(redis_url: str) -> dict[str, Any] | None:
    if not redis_url:
        return None  # in-memory lock store: one Rasa process
    parsed = make_url(redis_url.replace("redis://", "redis+x://", 1))
    store: dict[str, Any] = {"type": "redis", "url": parsed.host or "127.0.0.1", "port": parsed.port or 6379,
                             "db": int(parsed.database or 0), "key_prefix": "tlhc"}
    if parsed.password:
        store["password"] = parsed.password
    return store


def render(settings: Settings, rasa_processes: int = 1) -> dict[str, Any]:
    endpoints: dict[str, Any] = {
        # the token as a header (actions/server.py checks it), never a query parameter that lands in access logs
        "action_endpoint": {"url": f"{settings.action_server_url}/webhook",
                            "headers": {"Authorization": f"Bearer {settings.action_server_token}"}},
        # a Redis lock store means Rasa servers share conversations (several launchers or the scaled layout)
        "tracker_store": tracker_store(settings.rasa_tracker_url,
                                       only_writer=rasa_processes == 1 and not settings.redis_url),
    }
    if lock := lock_store(settings.redis_url):
        endpoints["lock_store"] = lock
    return endpoints


def write(settings: Settings) -> Path:
    path = settings.var_dir / "endpoints.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)  # it holds the action server's token
    path.write_text("# Generated from settings by api/rasa_endpoints.py; do not edit.\n"
                    + yaml.safe_dump(render(settings), sort_keys=False))
    return path
