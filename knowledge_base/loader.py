"""Read procedure YAML files into records, with errors that name file, record, field and problem."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge_base.records import Procedure

SEED_DIR = Path(__file__).parent / "procedures"


class KnowledgeBaseError(ValueError):
    """Bad content: the message is written for the admin who has to fix it."""


def describe_validation_error(error: ValidationError, *, source: str, record: str) -> str:
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(record)"
        problem = item["msg"]
        if item["type"] == "extra_forbidden":
            problem = "unknown field (check the spelling; see knowledge_base/records.py)"
        elif item["type"] == "missing":
            problem = "required field is missing"
        lines.append(f"{source}: record {record!r}, field {field}: {problem}")
    return "\n".join(lines)


def parse_procedure(data: Any, *, source: str) -> Procedure:
    if not isinstance(data, dict):
        raise KnowledgeBaseError(f"{source}: expected a mapping of fields, got {type(data).__name__}")
    record = str(data.get("id") or "(no id)")
    try:
        return Procedure.model_validate(data)
    except ValidationError as error:
        raise KnowledgeBaseError(describe_validation_error(error, source=source, record=record)) from None


def read_yaml(text: str, *, source: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise KnowledgeBaseError(f"{source}:{where}: not valid YAML: {problem}") from None


def load_file(path: Path) -> Procedure:
    procedure = parse_procedure(read_yaml(path.read_text(encoding="utf-8"), source=str(path)), source=str(path))
    if path.stem != procedure.id:
        raise KnowledgeBaseError(f"{path}: record {procedure.id!r}: the file must be named {procedure.id}.yml")
    return procedure


def check_unique(procedures: Iterable[Procedure]) -> None:
    seen_procedures: set[str] = set()
    seen_faqs: dict[str, str] = {}
    for procedure in procedures:
        if procedure.id in seen_procedures:
            raise KnowledgeBaseError(f"duplicate procedure id {procedure.id!r}")
        seen_procedures.add(procedure.id)
        for faq in procedure.faqs:
            if faq.id in seen_faqs:
                raise KnowledgeBaseError(
                    f"duplicate FAQ id {faq.id!r} in {procedure.id!r} and {seen_faqs[faq.id]!r}"
                )
            seen_faqs[faq.id] = procedure.id


def load_dir(directory: Path = SEED_DIR) -> list[Procedure]:
    procedures = [load_file(path) for path in sorted(directory.glob("*.yml"))]
    check_unique(procedures)
    return procedures
