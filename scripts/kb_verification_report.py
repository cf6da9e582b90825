"""Write docs/verification.md: per procedure, each fact, our value, the figures as read, source, date read, status.

    .venv/bin/python scripts/kb_verification_report.py                  # today's office date
    .venv/bin/python scripts/kb_verification_report.py --on 2026-12-07 --out /tmp/verification.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.core.config import get_settings  # noqa: E402
from knowledge_base.legal_register import load_register  # noqa: E402
from knowledge_base.loader import SEED_DIR, load_dir  # noqa: E402
from knowledge_base.verification_report import render_report  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--on", type=dt.date.fromisoformat, default=None, help="the report's date (default: today)")
    parser.add_argument("--dir", type=Path, default=SEED_DIR, help="procedure files (default: the seed)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "verification.md")
    args = parser.parse_args(argv)
    text = render_report(load_dir(args.dir), load_register(), args.on or get_settings().today())
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
