"""Write a labelled section of docs/evaluation.md, replacing the one of the same label (like benchmarks.md's)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

from api.core.config import ROOT

EVALUATION_DOC = ROOT / "docs" / "evaluation.md"
LABEL = re.compile(r"^[\w.-]{1,60}$")


def current_commit() -> str:
    """The short commit of the working tree, or "unknown" outside git."""
    try:
        result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=10)
    except OSError:
        return "unknown"
    return result.stdout.strip() or "unknown"


def write_section(label: str, command: str, body: str, path: Path | None = None,
                  now: dt.datetime | None = None) -> None:
    path = path or EVALUATION_DOC
    if not LABEL.match(label):
        raise ValueError(f"label must be letters, digits, '.', '_' or '-': {label!r}")
    stamp = (now or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    section = (f"<!-- eval-chat:{label} -->\n_Measured {stamp} on commit {current_commit()} with:_ `{command}`\n\n"
               f"{body.strip()}\n<!-- /eval-chat:{label} -->")
    text = path.read_text(encoding="utf-8") if path.exists() else "# Evaluation\n"
    pattern = re.compile(rf"<!-- eval-chat:{re.escape(label)} -->.*?<!-- /eval-chat:{re.escape(label)} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
