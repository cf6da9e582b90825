"""What the knowledge-base admin pages show: list rows and filters, status labels, revisions with a field diff."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.console.admin_kb_forms import LABELS
from api.db.models import KbRevision, ProcedureRow, StaffUser
from api.services import kb_store
from knowledge_base.records import Level, Procedure
from knowledge_base.text import fold, normalize

STATUS_LABELS = {
    "published": "Đã xuất bản",
    "published_with_draft": "Có bản nháp mới",
    "draft": "Bản nháp, chưa xuất bản",
    "archived": "Đã lưu trữ",
}
STATUS_FILTERS = [("", "Mọi trạng thái"), ("published", "Đã xuất bản"), ("draft", "Có bản nháp chưa xuất bản"),
                  ("archived", "Đã lưu trữ")]
ACTION_LABELS = {
    "create": "Tạo mới", "edit": "Lưu nháp", "publish": "Xuất bản", "rollback": "Khôi phục phiên bản cũ",
    "archive": "Lưu trữ (bot ngừng dùng)", "restore": "Dùng lại", "import": "Nhập từ tệp",
}
LEVEL_LABELS = {level.value: level.label for level in Level}


def open_fact_count(content: dict[str, Any]) -> int:
    """How many facts of a procedure are not verified (no provenance, or an `unconfirmed` note)."""
    try:
        return len(Procedure.model_validate(content).open_facts())
    except ValidationError:
        return 0


def working(row: kb_store.Row) -> dict[str, Any]:
    """The content an admin edits: the draft if there is one, else what is published."""
    return row.draft or row.published or {}


def matches_status(status: str, wanted: str) -> bool:
    if wanted == "published":
        return status in ("published", "published_with_draft")
    if wanted == "draft":
        return status in ("draft", "published_with_draft")
    return not wanted or status == wanted


def _folded(text: str) -> str:
    return fold(normalize(text))


def search_text(kind: str, row: kb_store.Row) -> str:
    content = working(row)
    if kind == "procedure":
        parts = [row.id, content.get("title", ""), *(content.get("national_codes") or []), *content.get("aliases", [])]
    else:
        parts = [row.id, content.get("question", ""), *content.get("paraphrases", [])]
    return _folded(" ".join(parts))


def full_names(db: Session) -> dict[str, str]:
    """username -> full name of everyone who may appear as the author of a change."""
    names = db.execute(select(StaffUser.username, StaffUser.full_name)).tuples().all()
    return {"seed": "Dữ liệu ban đầu", **dict(names)}


@dataclass
class ListRow:
    id: str
    title: str
    status: str
    updated_by: str
    updated_at: dt.datetime
    version: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def list_rows(db: Session, kind: str, q: str = "", status: str = "", field_name: str = "", level: str = "",
              procedure: str = "") -> list[ListRow]:
    table = kb_store.KINDS[kind][0]
    wanted = _folded(q).split()
    titles = {}
    if kind == "faq":
        titles = {r.id: working(r).get("title", r.id) for r in db.scalars(select(ProcedureRow))}
    out = []
    for row in db.scalars(select(table).order_by(table.id)):
        content, row_status = working(row), kb_store.status_of(row)
        if not matches_status(row_status, status):
            continue
        if wanted and not all(word in search_text(kind, row) for word in wanted):
            continue
        if kind == "procedure":
            if (field_name and content.get("field") != field_name) or (level and content.get("level") != level):
                continue
            extra = {"field": content.get("field", ""), "level": LEVEL_LABELS.get(content.get("level", ""), ""),
                     "open_facts": open_fact_count(content)}
            title = content.get("title", row.id)
        else:
            procedure_id = content.get("procedure_id")
            if procedure and procedure_id != procedure:
                continue
            extra = {"procedure_id": procedure_id, "procedure": titles.get(procedure_id or "", procedure_id),
                     "paraphrases": len(content.get("paraphrases") or [])}
            title = content.get("question", row.id)
        out.append(ListRow(row.id, title, row_status, row.updated_by, row.updated_at, row.version, extra))
    return out


def procedure_fields(db: Session) -> list[str]:
    found = {working(r).get("field") for r in db.scalars(select(ProcedureRow))}
    return sorted(f for f in found if f)


def procedure_choices(db: Session) -> list[tuple[str, str]]:
    """(id, title) of every procedure that is not archived, for the FAQ's select."""
    rows = db.scalars(select(ProcedureRow).where(ProcedureRow.archived.is_(False)))
    return sorted(((r.id, working(r).get("title", r.id)) for r in rows), key=lambda pair: _folded(pair[1]))


# --- history ------------------------------------------------------------------------------------------------


def _as_lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    if isinstance(value, list | dict):
        return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=100).splitlines()
    return [str(value)]


@dataclass
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any
    lines: list[tuple[str, str]]  # ("add" | "del" | "same", text), for lists and nested parts

    @property
    def scalar(self) -> bool:
        return not self.lines


def field_changes(entries: list[dict[str, Any]]) -> list[FieldChange]:
    changes = []
    for entry in entries:
        old, new = entry.get("old"), entry.get("new")
        lines: list[tuple[str, str]] = []
        if isinstance(old, list | dict) or isinstance(new, list | dict):
            for line in difflib.unified_diff(_as_lines(old), _as_lines(new), lineterm="", n=1):
                if line.startswith(("---", "+++")):
                    continue
                if line.startswith("@@"):
                    lines.append(("gap", "…"))
                else:
                    lines.append(({"+": "add", "-": "del"}.get(line[:1], "same"), line[1:]))
        changes.append(FieldChange(entry["field"], LABELS.get(entry["field"], entry["field"]), old, new, lines))
    return changes


@dataclass
class RevisionView:
    id: int
    version: int
    action: str
    action_label: str
    state: str
    actor: str
    note: str | None
    created_at: dt.datetime
    changes: list[FieldChange]
    has_content: bool
    is_current: bool  # its content is what the bot uses now


def revisions(db: Session, kind: str, row: kb_store.Row) -> list[RevisionView]:
    return [
        RevisionView(r.id, r.version, r.action, ACTION_LABELS.get(r.action, r.action), r.state, r.actor, r.note,
                     r.created_at, field_changes(r.diff or []), r.content is not None,
                     r.content is not None and r.content == row.published and not row.archived)
        for r in kb_store.history(db, kind, row.id)
    ]


def revision_of(db: Session, kind: str, entity_id: str, revision_id: int) -> KbRevision | None:
    revision = db.get(KbRevision, revision_id)
    if revision is None or revision.kind != kind or revision.entity_id != entity_id or revision.content is None:
        return None
    return revision
