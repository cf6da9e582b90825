"""The knowledge-base CLI: same rules as the admin API."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.api.cli.test_cli import run_cli


def test_export_edit_import_history_rollback(client, tmp_path: Path) -> None:
    out = tmp_path / "kb.yml"
    assert run_cli("kb", "export", "--out", str(out)).returncode == 0
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    target = next(p for p in data["procedures"] if p["id"] == "chung-thuc-chu-ky")
    original_time = target["processing_time"]
    target["processing_time"] = "Trong ngày làm việc (đã cập nhật qua CLI)."
    edited = tmp_path / "edited.yml"
    edited.write_text(yaml.safe_dump({"procedures": [target]}, allow_unicode=True), encoding="utf-8")

    result = run_cli("kb", "import", str(edited), "--actor", "nguyen.van.a")
    assert result.returncode == 0, result.stderr
    assert "updated 1" in result.stdout
    again = run_cli("kb", "import", str(edited))
    assert "created 0, updated 0" in again.stdout  # the procedure and its FAQs: all unchanged

    history = run_cli("kb", "history", "chung-thuc-chu-ky").stdout.splitlines()
    assert "nguyen.van.a" in history[0] and "processing_time" in history[0]
    seed_revision = history[-1].split()[0].lstrip("#")
    rolled = run_cli("kb", "rollback", "chung-thuc-chu-ky", seed_revision)
    assert rolled.returncode == 0, rolled.stderr
    assert client.get("/api/v1/procedures/chung-thuc-chu-ky").json()["processing_time"] == original_time


def test_import_of_a_broken_file_fails_in_plain_words(migrated, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("procedures:\n  - id: [x\n", encoding="utf-8")
    result = run_cli("kb", "import", str(broken))
    assert result.returncode == 1
    assert "not valid YAML" in result.stderr


def test_unknown_record_is_reported(migrated) -> None:
    result = run_cli("kb", "history", "khong-ton-tai")
    assert result.returncode == 1 and "khong-ton-tai" in result.stderr


def test_validate_and_review_take_a_date(migrated) -> None:
    validated = run_cli("kb", "validate", "--on", "2027-01-02")
    assert validated.returncode == 0, validated.stderr
    assert "(on 2027-01-02, strict provenance)" in validated.stdout
    reviewed = run_cli("kb", "review", "--on", "2026-12-20", "--days", "30")
    assert reviewed.returncode == 0, reviewed.stderr
    assert reviewed.stdout.rstrip().endswith("to review (on 2026-12-20, next 30 days)")
    assert run_cli("kb", "review", "--on", "20/12/2026").returncode == 1
