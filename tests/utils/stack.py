"""Start the real stack (rasa, actions, app) through the launcher on free ports, for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StackFailed(RuntimeError):
    pass


@dataclass
class Stack:
    app_url: str
    var_dir: Path
    ports: dict[str, int]
    launcher_pid: int
    output: list[str] = field(default_factory=list)
    # one keep-alive client, as a channel holds its connection (a new client per call costs ~30 ms: SSL context)
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60))

    def chat(self, sender: str, text: str | None = None, payload: str | None = None) -> dict:
        body = {"sender": sender, **({"text": text} if text else {}), **({"payload": payload} if payload else {})}
        response = self.http.post(f"{self.app_url}/api/v1/chat", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def create_staff(self, username: str, password: str, role: str = "officer", full_name: str = "") -> None:
        """A staff account in this stack's database, made by the real CLI."""
        env = dict(os.environ, VAR_DIR=str(self.var_dir))
        subprocess.run([PYTHON, "-m", "api.cli", "create-admin", "--username", username, "--role", role,
                        "--full-name", full_name or username, "--password-stdin"], cwd=ROOT, env=env,
                       input=password + "\n", text=True, check=True, capture_output=True)

    def login(self, username: str, password: str) -> str:
        """A bearer token for the staff API."""
        response = httpx.post(f"{self.app_url}/api/v1/auth/login", json={"username": username, "password": password},
                              timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def child_pids(self) -> dict[str, int]:
        """PIDs of the launcher's children, by the port each listens on."""
        found: dict[str, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, IndexError):
                continue
            if int(fields[1]) != self.launcher_pid:
                continue
            for name, port in self.ports.items():
                if str(port) in cmdline.split():
                    found[name] = int(stat.parent.name)
        return found


@contextmanager
def running_stack(timeout: float = 660, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    var_dir = Path(tempfile.mkdtemp(prefix="tlhc-stack-"))
    ports = {"app": free_port(), "rasa": free_port(), "actions": free_port()}
    env = dict(os.environ, VAR_DIR=str(var_dir), LOG_JSON="true", APP_PORT=str(ports["app"]),
               RASA_PORT=str(ports["rasa"]), ACTIONS_PORT=str(ports["actions"]), **(extra_env or {}))
    for key in ("RASA_URL", "ACTION_SERVER_URL", "APP_URL"):
        env.pop(key, None)
    subprocess.run([PYTHON, "-m", "api.cli", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    process = subprocess.Popen([PYTHON, "-m", "api.cli", "serve", "--timeout", str(timeout)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    stack = Stack(app_url=f"http://127.0.0.1:{ports['app']}", var_dir=var_dir, ports=ports,
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
