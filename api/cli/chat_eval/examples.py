"""Evaluation questions: the JSONL of `knowledge_base.eval` plus optional fields for out-of-scope questions.

One object per line: `{"question", "expected": procedure id | null, "tags": [...]}`; out of scope (`expected` null)
may add `"handler"` (the body that handles it, for people) and `"handler_keywords"` (words of which one must appear
in an honest reply, e.g. `["tòa án"]`). `knowledge_base.eval` ignores the extra fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChatExample:
    question: str
    expected: str | None
    tags: tuple[str, ...] = ()
    handler: str | None = None
    handler_keywords: tuple[str, ...] = ()


class BadExampleFile(ValueError):
    pass


def read_examples(path: Path) -> list[ChatExample]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            examples.append(ChatExample(
                question=row["question"], expected=row.get("expected"), tags=tuple(row.get("tags", ())),
                handler=row.get("handler"), handler_keywords=tuple(row.get("handler_keywords", ())),
            ))
        except (ValueError, KeyError, TypeError) as error:
            raise BadExampleFile(f"{path}:{number}: bad row ({error})") from None
    return examples
