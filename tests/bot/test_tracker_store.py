"""Our tracker store, run by the real Rasa runtime (.venv-rasa): remembering the live sessions between turns gives
the same trackers and the same stored rows as Rasa's own SQL store, and Rasa's check of action responses, whose
schema is now checked once, accepts and rejects exactly what jsonschema.validate does."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

pytestmark = [pytest.mark.rasa, pytest.mark.skipif(not RASA_PYTHON.exists(), reason="run scripts/setup.sh first")]


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("trackers")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    result = subprocess.run([str(RASA_PYTHON), str(Path(__file__).with_name("tracker_store_check.py")), str(folder)],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_remembered_sessions_read_back_as_rasa_reads_them(played: dict[str, Any]) -> None:
    assert played["ours"] == played["plain"]
    assert played["remembered"] == 2
    lengths = [len(state["events"]) for state in played["ours"][2:] if state]
    assert 6 in lengths[lengths.index(12):]  # the new session of conversation "a" dropped the old one's events


def test_each_event_is_stored_once_as_rasa_stores_it(played: dict[str, Any]) -> None:
    assert played["ours_rows"] == played["plain_rows"]
    assert len(played["ours_rows"]) == len({tuple(row) for row in played["ours_rows"]}) > 40


def test_a_restarted_rasa_reads_the_same_sessions_from_the_database(played: dict[str, Any]) -> None:
    assert played["after_restart"] == played["plain_last"]


def test_action_responses_checked_as_jsonschema_checks_them(played: dict[str, Any]) -> None:
    outcomes = played["responses"]
    assert [ours == "ok" for ours, _ in outcomes] == [reference == "ok" for _, reference in outcomes]
    assert sum(ours != "ok" for ours, _ in outcomes) >= 3
    for ours, reference in outcomes:
        if ours != "ok":
            assert ours.startswith(reference) and "custom-actions" in ours
