"""Every replica serves the same knowledge: a change published through one replica's API, or by the CLI, reaches
the search index of the other replica within 5 seconds (the scaled layout of conftest.py: two app replicas on a
PostgreSQL and a Redis of its own).

The changes add a note (one new chunk to embed), as an edit of a section does; a changed title re-embeds every
chunk of the procedure (~50), which takes longer than 5 s on a loaded 2-core machine."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.utils.stack import PYTHON, ROOT, Stack

WITHIN_S = 5.0


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([PYTHON, "-m", "api.cli", *args], cwd=ROOT, env=env, input=stdin, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def texts(url: str, query: str) -> list[str]:
    """The title and matched text of each search hit."""
    response = httpx.get(f"{url}/api/v1/search", params={"q": query, "k": 5}, timeout=10)
    assert response.status_code == 200, response.text
    return [f"{hit['title']} | {hit['matched']}" for hit in response.json()["results"]]


def seconds_until(url: str, query: str, word: str, present: bool) -> float:
    """How long until the replica's search finds (or stops finding) `word`; fails after WITHIN_S."""
    started = time.monotonic()
    while True:
        found = any(word in text for text in texts(url, query))
        elapsed = time.monotonic() - started
        if found == present:
            return elapsed
        state = "not yet" if present else "still"
        assert elapsed < WITHIN_S, f"{url}: '{word}' {state} searchable after {elapsed:.1f} s"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def replicas(scaled_stack: Stack, own_services: tuple[str, str]) -> tuple[str, str, dict[str, str]]:
    """The layout's two app replicas, asked directly (not through nginx), and the environment of its CLI."""
    database_url, redis_url = own_services
    env = {k: v for k, v in os.environ.items() if k not in ("RASA_TRACKER_URL", "APP_URL")}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, VAR_DIR=str(scaled_stack.var_dir))
    return (f"http://127.0.0.1:{scaled_stack.ports['app1']}", f"http://127.0.0.1:{scaled_stack.ports['app2']}", env)


def _procedure(env: dict[str, str]) -> dict:
    out = Path(env["VAR_DIR"]) / "export.json"
    cli(env, "kb", "export", "--format", "json", "--out", str(out))
    return json.loads(out.read_text())["procedures"][0]


def _import(env: dict[str, str], procedure: dict, *flags: str) -> None:
    path = Path(env["VAR_DIR"]) / "change.json"
    path.write_text(json.dumps({"procedures": [procedure]}, ensure_ascii=False))
    cli(env, "kb", "import", str(path), *flags)


def test_cli_and_api_publish_and_cli_rollback_reach_the_other_replica(replicas: tuple[str, str, dict]) -> None:
    url_a, url_b, env = replicas
    procedure = _procedure(env)
    notes = procedure.get("notes") or []
    assert not any("zebrakhoa" in t for t in texts(url_b, "zebrakhoa"))

    # 1. the CLI imports (publishes) a change: neither replica served it
    _import(env, {**procedure, "notes": [*notes, "Mang theo zebrakhoa khi nộp hồ sơ."]})
    took_cli = seconds_until(url_b, "zebrakhoa", "zebrakhoa", present=True)
    seconds_until(url_a, "zebrakhoa", "zebrakhoa", present=True)

    # 2. a draft published through replica A's admin API reaches replica B
    _import(env, {**procedure, "notes": [*notes, "Mang theo quokkavan khi nộp hồ sơ."]}, "--draft")
    cli(env, "create-admin", "--username", "quantri", "--full-name", "Quản trị", "--password-stdin",
        stdin="mat-khau-dai-123\n")
    token = httpx.post(f"{url_a}/api/v1/auth/login", json={"username": "quantri", "password": "mat-khau-dai-123"},
                       timeout=30).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    record = httpx.get(f"{url_a}/api/v1/admin/procedures/{procedure['id']}", headers=headers, timeout=30).json()
    published = httpx.post(f"{url_a}/api/v1/admin/procedures/{procedure['id']}/publish", headers=headers,
                           json={"expected_version": record["version"]}, timeout=30)
    assert published.status_code == 200, published.text
    took_api = seconds_until(url_b, "quokkavan", "quokkavan", present=True)

    # 3. the CLI rolls back to step 1's revision: B drops the API's change and serves step 1's again
    history = cli(env, "kb", "history", procedure["id"])
    step1 = next(int(m.group(1)) for line in history.splitlines()
                 if (m := re.match(r"#(\d+)\s+v\d+\s+\S+ \S+\s+cli\s+import\s+published", line)))
    cli(env, "kb", "rollback", procedure["id"], str(step1))
    took_rollback = seconds_until(url_b, "quokkavan", "quokkavan", present=False)
    assert any("zebrakhoa" in t for t in texts(url_b, "zebrakhoa"))
    print(f"replica B caught up: CLI import {took_cli:.2f} s, API publish on A {took_api:.2f} s, "
          f"CLI rollback {took_rollback:.2f} s")


def test_a_replica_killed_while_the_knowledge_changes_serves_the_change_after_restart(replicas: tuple[str, str, dict],
                                                                                    scaled_stack: Stack) -> None:
    _, url_b, env = replicas
    os.kill(scaled_stack.child_pids()["app2"], signal.SIGKILL)  # the launcher starts it again after 1 s
    procedure = _procedure(env)
    _import(env, {**procedure, "notes": [*(procedure.get("notes") or []), "Hỏi capybarat trước khi đến."]})
    deadline = time.monotonic() + 180
    while True:
        try:
            if any("capybarat" in t for t in texts(url_b, "capybarat")):
                break
        except (httpx.HTTPError, AssertionError):  # not up yet, or its index not built yet (503)
            pass
        assert time.monotonic() < deadline, "the restarted replica does not serve the change"
        time.sleep(0.5)
