"""The seed knowledge base: every required procedure present, complete, sourced and dated."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from knowledge_base.legal_register import load_register
from knowledge_base.loader import SEED_DIR, load_dir
from knowledge_base.records import OnlineLevel, Procedure
from knowledge_base.rules import check_procedure, check_register

ROOT = Path(__file__).resolve().parents[2]
# The product's list (shared/ beside the checkout) wins; tests/data keeps a copy for other checkouts.
REQUIRED = next(p for p in (ROOT.parent / "shared" / "kb" / "required_procedures.yml",
                            ROOT / "tests" / "data" / "required_procedures.yml") if p.exists())
PROCEDURES = {p.id: p for p in load_dir()}
PLACEHOLDER = re.compile(r"\b(TODO|TBD|lorem|placeholder|xxx|\.\.\.)\b|…$", re.IGNORECASE)


def required_ids() -> list[str]:
    return [item["id"] for item in yaml.safe_load(REQUIRED.read_text(encoding="utf-8"))]


def test_every_required_procedure_is_in_the_seed() -> None:
    missing = sorted(set(required_ids()) - set(PROCEDURES))
    assert not missing, f"missing seed files for {missing}"


def test_forty_procedures_or_more() -> None:
    assert len(PROCEDURES) >= 40


@pytest.mark.parametrize("procedure_id", sorted(PROCEDURES))
def test_procedure_is_complete(procedure_id: str) -> None:
    p: Procedure = PROCEDURES[procedure_id]
    assert len(p.aliases) >= 5, "at least 5 aliases as people say it"
    assert len(p.faqs) >= 3, "at least 3 FAQs"
    assert p.source_url.startswith("https://")
    assert dt.date(2025, 7, 1) <= p.checked_on <= dt.date.today()
    assert p.legal_basis and p.documents and p.steps
    assert p.online.level == OnlineLevel.khong or p.online.url
    assert p.who_can_apply and p.result


@pytest.mark.parametrize("procedure_id", sorted(PROCEDURES))
def test_no_placeholder_text(procedure_id: str) -> None:
    raw = (SEED_DIR / f"{procedure_id}.yml").read_text(encoding="utf-8")
    for line in raw.splitlines():
        assert not PLACEHOLDER.search(line.strip()), f"placeholder-like text: {line.strip()!r}"


@pytest.mark.parametrize("procedure_id", sorted(PROCEDURES))
def test_no_district_level_after_the_2025_reform(procedure_id: str) -> None:
    p = PROCEDURES[procedure_id]
    for text in (p.agency, p.where_to_submit, *p.steps):
        lowered = text.lower()
        assert "ubnd cấp huyện" not in lowered and "ủy ban nhân dân cấp huyện" not in lowered, text


def test_temporary_fees_say_when_they_end() -> None:
    for p in PROCEDURES.values():
        for fee in p.fees:
            if fee.valid_until:
                assert fee.valid_until >= dt.date(2025, 1, 1), (p.id, fee.name)


def test_fees_in_force_are_computed_by_date() -> None:
    with_windows = [p for p in PROCEDURES.values() if any(f.valid_until for f in p.fees)]
    assert with_windows, "at least one procedure carries a temporary fee"
    p = with_windows[0]
    during = p.fees_in_force(dt.date(2026, 11, 23))
    after = p.fees_in_force(dt.date(2027, 1, 2))
    assert during != after


@pytest.mark.parametrize("on", [dt.date.today(), dt.date(2027, 1, 2)], ids=["today", "after-the-cut"])
def test_the_seed_meets_the_rules(on: dt.date) -> None:
    """The always-on rules (figures as read, record-page sources, no replaced document in force); the strict
    provenance check is `kb validate --strict-provenance`, on once every fact is traced."""
    register = load_register()
    assert not check_register(register)
    problems = [problem.describe(f"{pid}.yml", pid) for pid, procedure in PROCEDURES.items()
                for problem in check_procedure(procedure, on=on, register=register)]
    assert not problems, "\n".join(problems)
