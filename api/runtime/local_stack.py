"""Start the real stack (rasa, actions, app) through the launcher on free ports and in a throw-away VAR_DIR.

Used by `python -m api.cli eval-chat` without `--url`, and by the tests and benchmarks (`tests/utils/stack.py`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from api.core.config import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports (the scaled layout numbers its processes from it)."""
    for _ in range(200):
        first = free_port()
        if first + count > 65535:
            continue
        try:
            with contextlib.ExitStack() as held:
                for port in range(first, first + count):
                    sock = held.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise StackFailed(f"no {count} consecutive free ports")


class StackFailed(RuntimeError):
    pass


@dataclass
class LocalStack:
    app_url: str
    var_dir: Path
    ports: dict[str, int]
    launcher_pid: int
    output: list[str] = field(default_factory=list)  # the launcher's output so far


@contextmanager
def running_stack(timeout: float = 660, extra_env: dict[str, str] | None = None,
                  scaled: tuple[int, int] | None = None) -> Iterator[LocalStack]:
    """The stack, ready (the launcher printed "ready"); stopped with SIGINT (then SIGKILL) on exit.

    `scaled=(replicas, rasa_servers)`: the scaled layout (`serve --scaled`; `extra_env` names its PostgreSQL and
    Redis); `ports` then also holds `app1`…, `rasa1`…, `actions1`… (the app's port is nginx's)."""
    var_dir = Path(tempfile.mkdtemp(prefix="tlhc-stack-"))
    if scaled is None:
        ports = {"app": free_port(), "rasa": free_port(), "actions": free_port()}
        serve_args: list[str] = []
    else:
        replicas, rasa_servers = scaled
        ports = {"app": free_ports(replicas + 1), "rasa": free_ports(rasa_servers + 1),
                 "actions": free_ports(rasa_servers + 1)}
        for name, count in (("app", replicas), ("rasa", rasa_servers), ("actions", rasa_servers)):
            ports.update({f"{name}{i}": ports[name] + i for i in range(1, count + 1)})
        serve_args = ["--scaled", "--replicas", str(replicas), "--rasa-servers", str(rasa_servers)]
    env = dict(os.environ, VAR_DIR=str(var_dir), LOG_JSON="true", APP_PORT=str(ports["app"]),
               RASA_PORT=str(ports["rasa"]), ACTIONS_PORT=str(ports["actions"]))
    # the stack's own databases and addresses, unless the caller names them (never the calling process's)
    for key in ("RASA_URL", "ACTION_SERVER_URL", "APP_URL", "DATABASE_URL", "RASA_TRACKER_URL"):
        env.pop(key, None)
    env.update(extra_env or {})
    subprocess.run([sys.executable, "-m", "api.cli", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    if scaled is not None:  # seeded once, before the replicas start (each would seed an empty database)
        subprocess.run([sys.executable, "-m", "api.cli", "kb", "seed"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--timeout", str(timeout), *serve_args],
                               cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    stack = LocalStack(app_url=f"http://127.0.0.1:{ports['app']}", var_dir=var_dir, ports=ports,
                       launcher_pid=process.pid)
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout
        for line in process.stdout:
            stack.output.append(line.rstrip())
            if "[launcher] ready" in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout + 30
    while not ready.is_set() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    try:
        if not ready.is_set():
            logs = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in (var_dir / "logs").glob("*.log"))
            raise StackFailed("stack did not become ready:\n" + "\n".join(stack.output[-40:]) + "\n" + logs)
        yield stack
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
