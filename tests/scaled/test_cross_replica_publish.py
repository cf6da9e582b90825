"""Every replica serves the same knowledge: a change published through one replica's API, or by the CLI, reaches
the search index of another replica within 5 seconds (two app processes on PostgreSQL + Redis of their own).

The changes add a note (one new chunk to embed), as an edit of a section does; a changed title re-embeds every
chunk of the procedure (~50), which takes longer than 5 s on a loaded 2-core machine."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.utils.stack import PYTHON, ROOT, free_port

WITHIN_S = 5.0


def _env(database_url: str, redis_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RASA_TRACKER_URL", "APP_URL")}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, VAR_DIR=str(var_dir), SECRET_KEY="x" * 40,
               RASA_PORT="1", ACTIONS_PORT="2", LOG_JSON="true")
    return env


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([PYTHON, "-m", "api.cli", *args], cwd=ROOT, env=env, input=stdin, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


@contextmanager
def replica(env: dict[str, str], port: int) -> Iterator[str]:
    """One app process (uvicorn), its search index ready; killed on exit."""
    log = (Path(env["VAR_DIR"]) / "app.log").open("wb")
    process = subprocess.Popen([PYTHON, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=ROOT, env={**env, "KB_EMBED_THREADS": "1"}, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, Path(env["VAR_DIR"], "app.log").read_text()[-3000:]
            try:
                if httpx.get(f"{url}/api/v1/search", params={"q": "căn cước"}, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "replica not ready"
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.close()


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
def replicas(own_services: tuple[str, str]) -> Iterator[tuple[str, str, dict[str, str]]]:
    database_url, redis_url = own_services
    with ExitStack() as stack:
        dirs = [Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"tlhc-replica{i}-"))) for i in (1, 2)]
        env_a, env_b = (_env(database_url, redis_url, d) for d in dirs)
        cli(env_a, "migrate")
        cli(env_a, "kb", "seed")
        url_a = stack.enter_context(replica(env_a, free_port()))
        url_b = stack.enter_context(replica(env_b, free_port()))
        yield url_a, url_b, env_a


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


def test_a_replica_that_was_down_starts_at_the_current_knowledge(replicas: tuple[str, str, dict],
                                                                  own_services: tuple[str, str]) -> None:
    _, url_b, env = replicas
    procedure = _procedure(env)
    _import(env, {**procedure, "notes": [*(procedure.get("notes") or []), "Hỏi capybarat trước khi đến."]})
    with tempfile.TemporaryDirectory(prefix="tlhc-replica3-") as var_dir, \
            replica(_env(*own_services, Path(var_dir)), free_port()) as url_c:
        assert any("capybarat" in t for t in texts(url_c, "capybarat"))
    seconds_until(url_b, "capybarat", "capybarat", present=True)
