"""Embedded default and scaled mode differ only in settings: the Rasa endpoints follow them."""

from __future__ import annotations

from pathlib import Path

from api.core.config import Settings
from api.runtime.rasa_endpoints import TRACKER_STORE, render


def test_default_is_sqlite_tracker_and_in_memory_locks(tmp_path: Path) -> None:
    endpoints = render(Settings(var_dir=tmp_path, actions_port=5055))
    assert endpoints["tracker_store"] == {"type": TRACKER_STORE, "dialect": "sqlite",
                                          "db": str(tmp_path / "rasa_tracker.db"), "remember_sessions": True}
    assert "lock_store" not in endpoints
    assert endpoints["action_endpoint"]["url"] == "http://127.0.0.1:5055/webhook"


def test_scaled_mode_uses_postgres_and_redis(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, rasa_tracker_url="postgresql://rasa:secret@db.local:5433/tracker",
                        redis_url="redis://127.0.0.1:6379/2")
    endpoints = render(settings)  # Redis locks: Rasa servers share conversations, none may remember a session
    assert endpoints["tracker_store"] == {"type": TRACKER_STORE, "dialect": "postgresql", "url": "db.local",
                                          "db": "tracker",
                                          "port": 5433, "username": "rasa", "password": "secret"}
    assert endpoints["lock_store"] == {"type": "redis", "url": "127.0.0.1", "port": 6379, "db": 2,
                                       "key_prefix": "tlhc"}


def test_rasa_sends_the_action_server_token_as_a_header(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, action_server_token="act-secret", internal_host="10.0.0.7", actions_port=5055)
    action = render(settings)["action_endpoint"]
    assert action == {"url": "http://10.0.0.7:5055/webhook", "headers": {"Authorization": "Bearer act-secret"}}
    assert "token" not in action  # Rasa would send a `token` key as a query parameter, into access logs


def test_written_endpoints_are_private_to_the_owner(tmp_path: Path) -> None:
    from api.runtime.rasa_endpoints import write

    path = write(Settings(var_dir=tmp_path, action_server_token="act-secret"))
    assert path.stat().st_mode & 0o777 == 0o600
    assert "Bearer act-secret" in path.read_text()


def test_only_a_lone_rasa_server_remembers_sessions(tmp_path: Path) -> None:
    assert render(Settings(var_dir=tmp_path))["tracker_store"]["remember_sessions"] is True
    assert "remember_sessions" not in render(Settings(var_dir=tmp_path), rasa_processes=2)["tracker_store"]
    shared = Settings(var_dir=tmp_path, redis_url="redis://127.0.0.1:6379/0")  # another launcher's Rasa may write
    assert "remember_sessions" not in render(shared)["tracker_store"]
