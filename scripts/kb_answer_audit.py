"""Answer audit of the knowledge base (issue 13's bars): every procedure × every aspect the bot answers and the
overview, rendered on the office's today and on 2027-01-02.

    .venv/bin/python scripts/kb_answer_audit.py                 # the seed files, today and 2027-01-02
    .venv/bin/python scripts/kb_answer_audit.py --on 2026-12-31 --on 2027-01-02 --list

Prints, per day, how many answers say something is unconfirmed (count and %) and how many quote an expired amount,
then the fee rows ending on or before 31/12/2026 with neither a successor nor `successor: pending`.
Exit status 1 when a bar fails: more than 5% unconfirmed on a day, any expired amount quoted, any such fee row.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.core.config import get_settings  # noqa: E402
from knowledge_base.audit import CUTOFF, MAX_UNCONFIRMED_SHARE, audit_day, orphan_fees  # noqa: E402
from knowledge_base.loader import SEED_DIR, load_dir  # noqa: E402

AFTER_THE_CUT = dt.date(2027, 1, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--on", type=dt.date.fromisoformat, action="append", help="a day to audit (repeatable)")
    parser.add_argument("--dir", type=Path, default=SEED_DIR, help="procedure files (default: the seed)")
    parser.add_argument("--list", action="store_true", help="name the answers that fail")
    args = parser.parse_args(argv)
    procedures = load_dir(args.dir)
    days = args.on or [get_settings().today(), AFTER_THE_CUT]
    ok = True
    for day in days:
        result = audit_day(procedures, day)
        ok &= result.passes
        print(f"{day.isoformat()}: {result.answers} answers; {len(result.unconfirmed)} say something is unconfirmed "
              f"({result.unconfirmed_share:.1%}, bar ≤ {MAX_UNCONFIRMED_SHARE:.0%}); "
              f"{len(result.expired)} quote an expired amount (bar 0)")
        if args.list:
            for label in [*(f"  unconfirmed: {x}" for x in result.unconfirmed),
                          *(f"  expired: {x}" for x in result.expired)]:
                print(label)
    orphans = orphan_fees(procedures, CUTOFF)
    ok &= not orphans
    print(f"fee rows ending on or before {CUTOFF.isoformat()} with no successor and no 'successor: pending': "
          f"{len(orphans)} (bar 0)")
    for orphan in orphans:
        print(f"  {orphan}")
    print("bars met" if ok else "bars NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
