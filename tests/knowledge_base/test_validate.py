"""`kb validate`: every problem names file, record, field and problem; a date and the strict switch are options."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from knowledge_base.validate import validate
from tests.knowledge_base.test_rules import record, temporary

EMPTY_REGISTER = "[]\n"


def write(tmp_path: Path, **changes: object) -> Path:
    procedure = record(**changes)
    path = tmp_path / f"{procedure.id}.yml"
    path.write_text(yaml.safe_dump(procedure.model_dump(mode="json", exclude_none=True), allow_unicode=True),
                    encoding="utf-8")
    return path


@pytest.fixture
def register(tmp_path: Path) -> Path:
    path = tmp_path / "legal_register.yml"
    path.write_text(yaml.safe_dump([
        {"number": "36/2024/QH15", "title": "Luật Trật tự, an toàn giao thông đường bộ",
         "effective_from": "2025-01-01", "source": "https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=1",
         "read_on": "2026-09-15"},
        {"number": "154/2025/TT-BTC", "title": "Thông tư lệ phí giấy phép lái xe", "effective_from": "2026-01-01",
         "source": "https://vbpl.vn/TW/Pages/vbpq-toanvan.aspx?ItemID=2", "read_on": "2026-09-15"},
    ], allow_unicode=True), encoding="utf-8")
    return path


def test_a_wrong_amount_is_named_by_file_record_and_field(tmp_path: Path, register: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    fee = {"name": "Lệ phí", "amount": 135000, "legal_basis": "154/2025/TT-BTC",
           "provenance": {"source": "1.115978", "read_on": "2026-09-15", "at": "Lệ phí", "as_read": {"amount": 115000}}}
    path = write(tmp_path, fees=[fee])
    assert validate([path], on=dt.date(2026, 12, 7), strict=False, register_path=register) == 1
    err = capsys.readouterr().err
    assert f"{path}: record 'doi-bang', field fees.0.provenance.as_read.amount: " in err
    assert "115.000 đồng" in err


def test_strict_and_the_date_are_options(tmp_path: Path, register: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, fees=[temporary(57500)])
    assert validate([path], on=dt.date(2026, 12, 7), strict=False, register_path=register) == 0
    assert validate([path], on=dt.date(2027, 1, 2), strict=True, register_path=register) == 1
    out = capsys.readouterr()
    assert "field fees.0.successor" in out.err and "(on 2027-01-02, strict provenance)" in out.out


def test_an_incomplete_register_fails_only_when_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register = tmp_path / "legal_register.yml"
    register.write_text("- number: 36/2024/QH15\n  title: Luật Trật tự, an toàn giao thông đường bộ\n"
                        "- number: 154/2025/TT-BTC\n  title: Thông tư lệ phí\n", encoding="utf-8")
    path = write(tmp_path)
    assert validate([path], on=dt.date(2026, 12, 7), strict=False, register_path=register) == 0
    assert validate([path], on=dt.date(2026, 12, 7), strict=True, register_path=register) == 1
    assert "record 'legal register', field 36/2024/QH15.source" in capsys.readouterr().err
