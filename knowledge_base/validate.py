"""Validate seed procedure files: ``python -m knowledge_base.validate [FILE ...]``."""

from __future__ import annotations

import sys
from pathlib import Path

from knowledge_base.loader import SEED_DIR, KnowledgeBaseError, check_unique, load_file


def main(argv: list[str] | None = None) -> int:
    paths = [Path(arg) for arg in (argv if argv is not None else sys.argv[1:])] or sorted(SEED_DIR.glob("*.yml"))
    procedures, failed = [], 0
    for path in paths:
        try:
            procedures.append(load_file(path))
        except KnowledgeBaseError as error:
            failed += 1
            print(error, file=sys.stderr)
    try:
        check_unique(procedures)
    except KnowledgeBaseError as error:
        failed += 1
        print(error, file=sys.stderr)
    print(f"{len(procedures)} valid, {failed} with errors")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
