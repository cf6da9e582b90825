from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ), timeout=120)


def test_create_admin_then_log_in(client) -> None:
    result = run_cli("create-admin", "--username", "quantri", "--full-name", "Quản trị viên", "--password-stdin",
                     stdin="mat-khau-quan-tri-1\n")
    assert result.returncode == 0, result.stderr
    assert "created admin 'quantri'" in result.stdout
    response = client.post("/api/v1/auth/login", json={"username": "quantri", "password": "mat-khau-quan-tri-1"})
    assert response.status_code == 200 and response.json()["user"]["role"] == "admin"


def test_create_admin_refuses_a_weak_password_in_plain_words(migrated) -> None:
    result = run_cli("create-admin", "--username", "yeu", "--password-stdin", stdin="123\n")
    assert result.returncode == 1
    assert "ít nhất 10 ký tự" in result.stderr
