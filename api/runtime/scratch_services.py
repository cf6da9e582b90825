"""A throw-away PostgreSQL (initdb/pg_ctl in a temporary folder) and Redis, each on a free loopback port.

For the tests and benchmarks of the scaled layout: they never touch the machine's shared servers. PostgreSQL
refuses to run as root; as root the server runs as the `postgres` account (`runuser`), which owns the folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from api.runtime.local_stack import free_port


class ServiceFailed(RuntimeError):
    pass


def postgres_bin(name: str) -> str:
    """A PostgreSQL server program (initdb, pg_ctl …): on PATH, else the newest /usr/lib/postgresql/*/bin."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return candidates[-1]
    found = shutil.which(name)
    if found is None:
        raise ServiceFailed(f"{name} not found: install PostgreSQL's server package")
    return found


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


@contextmanager
def temporary_postgres(database: str = "tlhc", *others: str) -> Iterator[str]:
    """A fresh PostgreSQL cluster; yields the SQLAlchemy URL of `database` (owner `tlhc`, no password); the
    `others` databases are made too (same URL, another name: e.g. Rasa's tracker store)."""
    folder = Path(tempfile.mkdtemp(prefix="tlhc-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    port = free_port()
    try:
        _run(_as_server_user([postgres_bin("initdb"), "-D", str(data), "-U", "tlhc", "-A", "trust", "-E", "UTF8",
                              "--no-locale", "--no-sync"]))
        options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
                   "-c shared_buffers=64MB")
        _run(_as_server_user([postgres_bin("pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-o",
                              options, "-w", "-t", "60", "start"]))
        for name in (database, *others):
            _run([postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "tlhc", name])
        yield f"postgresql+psycopg://tlhc@127.0.0.1:{port}/{database}"
    except subprocess.CalledProcessError as error:
        raise ServiceFailed(f"{error.cmd[0]} failed: {error.stderr or error.stdout}") from error
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_server_user([postgres_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                                            "stop"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def temporary_redis() -> Iterator[str]:
    """A Redis server without persistence; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceFailed("redis-server not found: install Debian's redis-server package")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--maxclients", "2000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        client = redis.Redis(port=port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise ServiceFailed("redis-server did not start") from None
                time.sleep(0.1)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
