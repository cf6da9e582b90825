"""Validate the knowledge base files: ``python -m knowledge_base.validate [FILE ...] [--on DATE]
[--strict-provenance]`` (also ``python -m api.cli kb validate``). Every problem names file, record, field and
problem; the rules are those of the admin editor (`knowledge_base.rules`). The catalogue of other procedures
(`knowledge_base/catalogue/`) is checked too, against the procedures validated (never one of the guides)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from knowledge_base.catalogue import CATALOGUE_DIR, check_catalogue, load_catalogue
from knowledge_base.legal_register import REGISTER_FILE, load_register
from knowledge_base.loader import SEED_DIR, KnowledgeBaseError, check_unique, load_file
from knowledge_base.records import Procedure
from knowledge_base.rules import Problem, check_procedure, check_register

OFFICE_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def office_today() -> dt.date:
    return dt.datetime.now(OFFICE_ZONE).date()


def validate(paths: list[Path], *, on: dt.date, strict: bool, register_path: Path = REGISTER_FILE,
             catalogue_dir: Path | None = CATALOGUE_DIR) -> int:
    """Print every problem; return the number of files (and the register, the catalogue) with problems."""
    try:
        register = load_register(register_path)
    except KnowledgeBaseError as error:
        print(error, file=sys.stderr)
        return 1
    register_failed = _report(register_path, "legal register", check_register(register, strict=strict))
    failed = 0
    procedures: list[Procedure] = []
    for path in paths:
        try:
            procedure = load_file(path)
        except KnowledgeBaseError as error:
            failed += 1
            print(error, file=sys.stderr)
            continue
        procedures.append(procedure)
        failed += _report(path, procedure.id, check_procedure(procedure, on=on, register=register, strict=strict))
    try:
        check_unique(procedures)
    except KnowledgeBaseError as error:
        register_failed += 1
        print(error, file=sys.stderr)
    catalogue_note, catalogue_failed = _validate_catalogue(catalogue_dir, procedures, on)
    mode = "strict provenance" if strict else "without the strict provenance check"
    register_note = ", the legal register has problems" if register_failed else ""
    print(f"{len(paths) - failed} valid, {failed} with errors{register_note}{catalogue_note} "
          f"(on {on.isoformat()}, {mode})")
    return failed + register_failed + catalogue_failed


def _validate_catalogue(directory: Path | None, guides: list[Procedure], on: dt.date) -> tuple[str, int]:
    """(note for the summary line, 1 if the catalogue has problems else 0); no directory: not checked."""
    if directory is None:
        return "", 0
    try:
        catalogue = load_catalogue(directory)
    except KnowledgeBaseError as error:
        print(error, file=sys.stderr)
        return ", the catalogue could not be read", 1
    problems = check_catalogue(catalogue, guides, on)
    for path, entry_id, problem in problems:
        print(problem.describe(path, entry_id), file=sys.stderr)
    if problems:
        return f", the catalogue has {len(problems)} problems", 1
    return f"; catalogue: {len(catalogue.entries)} entries valid", 0


def _report(path: Path, record: str, problems: list[Problem]) -> int:
    for problem in problems:
        print(problem.describe(str(path), record), file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_base.validate", description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, help="procedure files (default: the seed directory)")
    parser.add_argument("--on", type=dt.date.fromisoformat, default=None, help="validation date (default: today)")
    parser.add_argument("--strict-provenance", action="store_true", help="every fact traced, every number registered")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(SEED_DIR.glob("*.yml"))
    return 1 if validate(paths, on=args.on or office_today(), strict=args.strict_provenance) else 0


if __name__ == "__main__":
    raise SystemExit(main())
