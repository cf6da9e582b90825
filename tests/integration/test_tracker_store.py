"""Rasa keeps each conversation in its SQL tracker store: the citizen's text and the bot's reply are there, under
the conversation's sender, on SQLite (the embedded default) and on PostgreSQL (the scaled mode)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from typing import Any

import psycopg
import pytest

from tests.utils.stack import Stack, running_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVER = "postgresql://postgres@127.0.0.1:5432"
SAID = "cảm ơn bạn nhiều"


def turns(rows: Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    """(event, text) of the user and bot events read from the store's `events` table."""
    found = []
    for kind, data in rows:
        event = json.loads(data) if isinstance(data, str) else data
        found.append((kind, event.get("text") or ""))
    return found


def converse(stack: Stack) -> tuple[str, str]:
    sender = f"tracker-{uuid.uuid4().hex[:8]}"
    reply = stack.chat(sender, SAID)["replies"][0]["text"]
    return f"api:{sender}", reply


def test_sqlite_tracker_store_holds_the_conversation(stack: Stack) -> None:
    sender, reply = converse(stack)
    with sqlite3.connect(stack.var_dir / "rasa_tracker.db") as db:
        rows = db.execute("SELECT type_name, data FROM events WHERE sender_id = ? AND type_name IN ('user', 'bot') "
                          "ORDER BY id", (sender,)).fetchall()
    assert turns(rows) == [("user", SAID), ("bot", reply)]


def test_postgres_tracker_store_holds_the_conversation() -> None:
    name = f"tlhc_tracker_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(f"no PostgreSQL at {SERVER}: {error}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            with running_stack(extra_env={"RASA_TRACKER_URL": f"{SERVER}/{name}"}) as stack:
                sender, reply = converse(stack)
            with psycopg.connect(f"{SERVER}/{name}") as db:
                rows = db.execute("SELECT type_name, data FROM events WHERE sender_id = %s "
                                  "AND type_name IN ('user', 'bot') ORDER BY id", (sender,)).fetchall()
            assert turns(rows) == [("user", SAID), ("bot", reply)]
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
