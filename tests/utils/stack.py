"""The real stack (rasa, actions, app) for tests and benchmarks: `api.runtime.local_stack` plus what tests ask of it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path

import httpx

from api.core.config import Settings
from api.runtime.chat_client import ChatClient
from api.runtime.local_stack import LocalStack, StackFailed, free_port
from api.runtime.local_stack import running_stack as local_stack

__all__ = ["ROOT", "Stack", "StackFailed", "free_port", "running_stack"]

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python")


@dataclass
class Stack(LocalStack):
    client: ChatClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = ChatClient(self.app_url)

    def bot_headers(self) -> dict[str, str]:
        """The stack's bot API token (derived from its secret key), which also shows /readyz's details."""
        return {"Authorization": f"Bearer {Settings(var_dir=self.var_dir).bot_api_token}"}

    def chat(self, sender: str, text: str | None = None, payload: str | None = None) -> dict:
        return self.client.send(sender, text, payload)

    def create_staff(self, username: str, password: str, role: str = "officer", full_name: str = "") -> None:
        """A staff account in this stack's database, made by the real CLI."""
        env = dict(os.environ, VAR_DIR=str(self.var_dir))
        env.pop("DATABASE_URL", None)  # the stack's database, not the test module's
        subprocess.run([PYTHON, "-m", "api.cli", "create-admin", "--username", username, "--role", role,
                        "--full-name", full_name or username, "--password-stdin"], cwd=ROOT, env=env,
                       input=password + "\n", text=True, check=True, capture_output=True)

    def login(self, username: str, password: str) -> str:
        """A bearer token for the staff API."""
        response = httpx.post(f"{self.app_url}/api/v1/auth/login", json={"username": username, "password": password},
                              timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def tokens(self) -> dict[str, str]:
        """The stack's internal tokens, as its launcher derived them (from the secret key in its VAR_DIR)."""
        env = dict(os.environ, VAR_DIR=str(self.var_dir))
        for key in ("DATABASE_URL", "RASA_TOKEN", "ACTION_SERVER_TOKEN", "BOT_API_TOKEN"):
            env.pop(key, None)
        code = ("from api.core.config import Settings; s = Settings(); "
                "print(s.rasa_token, s.action_server_token, s.bot_api_token)")
        rasa, actions, bot = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                                            check=True).stdout.split()
        return {"rasa": rasa, "actions": actions, "bot": bot}

    def child_pids(self) -> dict[str, int]:
        """PIDs of the launcher's children, by the port each listens on."""
        found: dict[str, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                stat_fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, IndexError):
                continue
            if int(stat_fields[1]) != self.launcher_pid:
                continue
            for name, port in self.ports.items():
                if str(port) in cmdline.split():
                    found[name] = int(stat.parent.name)
        return found


@contextmanager
def running_stack(timeout: float = 660, extra_env: dict[str, str] | None = None,
                  scaled: tuple[int, int] | None = None) -> Iterator[Stack]:
    with local_stack(timeout, extra_env, scaled) as base:
        stack = Stack(**{f.name: getattr(base, f.name) for f in fields(LocalStack)})
        try:
            yield stack
        finally:
            stack.client.close()
