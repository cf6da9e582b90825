"""The knowledge-base store: procedures and FAQs in the database, drafts, publishing, revisions, rollback.

The database is the source of truth; `knowledge_base/procedures/*.yml` is the seed loaded on first run.
Every change writes a revision (who, when, diff, full content). Saves name the version they edited:
a save based on an older version is refused (409), never silently lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.core.config import get_settings
from api.core.errors import AppError
from api.db.base import rows_changed
from api.db.models import FaqRow, KbRecord, KbRevision, ProcedureRow, StaffUser, utcnow
from api.services import events, staff
from knowledge_base.formats import Bundle, faq_content, procedure_content
from knowledge_base.legal_register import default_register
from knowledge_base.loader import SEED_DIR, describe_validation_error, load_dir
from knowledge_base.records import Faq, Procedure
from knowledge_base.review import DAYS, ReviewItem, review_items
from knowledge_base.rules import Problem, check_procedure

Row = KbRecord  # a ProcedureRow or a FaqRow


@dataclass(frozen=True)
class Actor:
    """Who changes the knowledge base: a staff account, or a command without one ("cli", "seed")."""

    name: str
    staff_id: int | None = None

    @classmethod
    def of(cls, user: StaffUser) -> Actor:
        return cls(user.username, user.id)


CLI = Actor("cli")
SEED = Actor("seed")
KINDS: dict[str, tuple[type[KbRecord], type[Procedure] | type[Faq]]] = {
    "procedure": (ProcedureRow, Procedure),
    "faq": (FaqRow, Faq),
}
KIND_LABEL = {"procedure": "Thủ tục", "faq": "Câu hỏi thường gặp"}


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def procedure_problems(procedure: Procedure) -> list[Problem]:
    """The knowledge base's rules on the office's date (the same as `kb validate`; strict per the settings)."""
    settings = get_settings()
    return check_procedure(procedure, on=settings.today(), register=default_register(),
                           strict=settings.kb_strict_provenance)


def validate_content(kind: str, content: dict[str, Any]) -> dict[str, Any]:
    """Validate with the schema and the rules; return the normalised content as stored."""
    model = KINDS[kind][1]
    try:
        record = model.model_validate(content)
    except ValidationError as error:
        message = describe_validation_error(error, source=KIND_LABEL[kind], record=str(content.get("id", "?")))
        raise AppError(422, "invalid_record", message) from None
    if isinstance(record, Procedure):
        if record.faqs:
            raise AppError(422, "invalid_record", "FAQs are edited as records of their own (/api/v1/admin/faqs).")
        if problems := procedure_problems(record):
            raise AppError(422, "invalid_record",
                           "\n".join(p.describe(KIND_LABEL[kind], record.id) for p in problems))
        return procedure_content(record)
    return faq_content(record)


def status_of(row: Row) -> str:
    """archived | draft (never published) | published_with_draft | published."""
    if row.archived:
        return "archived"
    if row.published is None:
        return "draft"
    return "published_with_draft" if row.draft is not None else "published"


def diff(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[dict[str, Any]]:
    old, new = old or {}, new or {}
    return [
        {"field": key, "old": old.get(key), "new": new.get(key)}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def get_row(db: Session, kind: str, entity_id: str) -> Row:
    row = db.get(KINDS[kind][0], entity_id)
    if row is None:
        raise AppError(404, "not_found", f"Không có {KIND_LABEL[kind].lower()} mã '{entity_id}'.")
    return row


def _revise(db: Session, kind: str, row: Row, action: str, state: str, before: dict | None, actor: Actor,
            note: str | None = None) -> None:
    """Every write keeps a revision (the content after it, the field diff) and an audit entry, whoever wrote:
    the console, the REST admin API or the CLI."""
    content = row.published if state == "published" else row.draft
    db.add(KbRevision(kind=kind, entity_id=row.id, version=row.version, action=action, state=state,
                      content=content, diff=diff(before, content), actor=actor.name, note=note))
    staff.record(db, actor.staff_id, f"kb.{action}", f"{kind}:{row.id}",
                 {"version": row.version, "state": state, "by": actor.name})
    if state == "published":  # every replica's search index follows (api/services/search_index.py)
        events.after_commit(db, events.KB)


def _compare_and_set(db: Session, kind: str, entity_id: str, expected_version: int, actor: Actor,
                     **values: Any) -> Row:
    """Apply `values` only if the row is still at `expected_version`; bump the version."""
    table = KINDS[kind][0]
    changed = rows_changed(db, update(table)
                           .where(table.id == entity_id, table.version == expected_version)
                           .values(version=expected_version + 1, updated_at=utcnow(), updated_by=actor.name, **values)
                           .execution_options(synchronize_session=False))
    if changed != 1:
        current = db.scalar(select(table.version).where(table.id == entity_id))
        if current is None:
            raise AppError(404, "not_found", f"Không có {KIND_LABEL[kind].lower()} mã '{entity_id}'.")
        raise AppError(409, "version_conflict",
                       f"{KIND_LABEL[kind]} '{entity_id}' đã được người khác sửa (bạn sửa phiên bản "
                       f"{expected_version}, hiện là phiên bản {current}). Tải lại để xem thay đổi, "
                       "rồi lưu lại; nội dung của bạn chưa bị ghi đè.")
    row = db.get(table, entity_id)
    assert row is not None  # the update above matched it
    db.refresh(row)
    return row


def create(db: Session, kind: str, content: dict[str, Any], actor: Actor, publish: bool = False) -> Row:
    content = validate_content(kind, content)
    table = KINDS[kind][0]
    if db.get(table, content["id"]) is not None:
        raise AppError(409, "duplicate_id", f"Mã '{content['id']}' đã tồn tại; hãy chọn mã khác hoặc sửa bản ghi cũ.")
    extra = {"procedure_id": content.get("procedure_id")} if kind == "faq" else {}
    if kind == "faq" and extra["procedure_id"]:
        get_row(db, "procedure", extra["procedure_id"])
    row = table(id=content["id"], version=1, updated_by=actor.name, draft=None if publish else content,
                published=content if publish else None, published_at=utcnow() if publish else None, **extra)
    db.add(row)
    db.flush()
    _revise(db, kind, row, "create", "published" if publish else "draft", None, actor)
    return row


def save_draft(db: Session, kind: str, entity_id: str, content: dict[str, Any], expected_version: int,
               actor: Actor) -> Row:
    content = validate_content(kind, content)
    if content["id"] != entity_id:
        raise AppError(422, "id_mismatch", "Không đổi được mã của bản ghi; hãy tạo bản ghi mới.")
    before = get_row(db, kind, entity_id)
    previous = before.draft or before.published
    row = _compare_and_set(db, kind, entity_id, expected_version, actor, draft=content)
    _revise(db, kind, row, "edit", "draft", previous, actor)
    return row


def publish(db: Session, kind: str, entity_id: str, expected_version: int, actor: Actor) -> Row:
    row = get_row(db, kind, entity_id)
    if row.draft is None:
        raise AppError(409, "nothing_to_publish", "Không có bản nháp nào để xuất bản.")
    before, content = row.published, row.draft
    extra = {"procedure_id": content.get("procedure_id")} if kind == "faq" else {}
    row = _compare_and_set(db, kind, entity_id, expected_version, actor, published=content, draft=None,
                           published_at=utcnow(), archived=False, **extra)
    _revise(db, kind, row, "publish", "published", before, actor)
    return row


def set_archived(db: Session, kind: str, entity_id: str, archived: bool, expected_version: int, actor: Actor) -> Row:
    before = get_row(db, kind, entity_id).published
    row = _compare_and_set(db, kind, entity_id, expected_version, actor, archived=archived)
    _revise(db, kind, row, "archive" if archived else "restore", "published", before if not archived else None,
            actor)
    return row


def history(db: Session, kind: str, entity_id: str) -> list[KbRevision]:
    get_row(db, kind, entity_id)
    query = (select(KbRevision).where(KbRevision.kind == kind, KbRevision.entity_id == entity_id)
             .order_by(KbRevision.id.desc()))
    return list(db.scalars(query))


def rollback(db: Session, kind: str, entity_id: str, revision_id: int, expected_version: int, actor: Actor) -> Row:
    revision = db.get(KbRevision, revision_id)
    if revision is None or revision.kind != kind or revision.entity_id != entity_id or revision.content is None:
        raise AppError(404, "revision_not_found", f"Không có phiên bản lưu số {revision_id} của '{entity_id}'.")
    content = validate_content(kind, revision.content)  # the schema may have changed since
    before = get_row(db, kind, entity_id).published
    row = _compare_and_set(db, kind, entity_id, expected_version, actor, published=content,
                           published_at=utcnow(), archived=False)
    _revise(db, kind, row, "rollback", "published", before, actor, note=f"về phiên bản lưu số {revision_id}")
    return row


# --- bulk: seed, import, export, what the bot uses ---------------------------------------------


def _import_one(db: Session, kind: str, content: dict[str, Any], actor: Actor, publish: bool,
                report: ImportReport) -> None:
    table = KINDS[kind][0]
    row = db.get(table, content["id"])
    label = f"{kind}:{content['id']}"
    if row is None:
        create(db, kind, content, actor, publish=publish)
        report.created.append(label)
        return
    current = row.published if publish else (row.draft or row.published)
    if current == content and not row.archived:
        report.unchanged.append(label)
        return
    if publish:
        before = row.published
        extra = {"procedure_id": content.get("procedure_id")} if kind == "faq" else {}
        row = _compare_and_set(db, kind, row.id, row.version, actor, published=content, published_at=utcnow(),
                               archived=False, **extra)
        _revise(db, kind, row, "import", "published", before, actor)
    else:
        before = row.draft or row.published
        row = _compare_and_set(db, kind, row.id, row.version, actor, draft=content)
        _revise(db, kind, row, "import", "draft", before, actor)
    report.updated.append(label)


def import_bundle(db: Session, bundle: Bundle, actor: Actor, publish: bool = True) -> ImportReport:
    """Idempotent: importing the same content twice changes nothing the second time."""
    report = ImportReport()
    for procedure in bundle.procedures:
        _import_one(db, "procedure", procedure_content(procedure), actor, publish, report)
    for procedure in bundle.procedures:
        for faq in procedure.faqs:
            _import_one(db, "faq", faq_content(faq), actor, publish, report)
    for faq in bundle.faqs:
        _import_one(db, "faq", faq_content(faq), actor, publish, report)
    return report


def seed_if_empty(db: Session, directory: Path = SEED_DIR) -> ImportReport | None:
    if db.scalar(select(ProcedureRow.id).limit(1)) is not None:
        return None
    return import_bundle(db, Bundle(procedures=load_dir(directory)), actor=SEED, publish=True)


def published_faqs_of(db: Session, procedure_id: str) -> list[dict[str, Any]]:
    """The published, non-archived FAQs of one procedure, by id."""
    return list(db.scalars(select(FaqRow.published).where(FaqRow.procedure_id == procedure_id,
                                                          FaqRow.published.is_not(None), FaqRow.archived.is_(False))
                           .order_by(FaqRow.id)))


def published_procedure(db: Session, procedure_id: str) -> Procedure | None:
    """One published, non-archived procedure with its published FAQs (what the bot answers from)."""
    row = db.get(ProcedureRow, procedure_id)
    if row is None or row.published is None or row.archived:
        return None
    return Procedure.model_validate({**row.published, "faqs": published_faqs_of(db, procedure_id)})


def require_published(db: Session, procedure_id: str) -> Procedure:
    """`published_procedure`, or a 404 naming the id."""
    procedure = published_procedure(db, procedure_id[:120])
    if procedure is None:
        raise AppError(404, "not_found", f"Không có thủ tục mã '{procedure_id[:120]}' đang được công bố.")
    return procedure


def published_titles(db: Session, procedure_ids: list[str]) -> dict[str, str]:
    """Titles of the published, non-archived procedures among these ids."""
    rows = db.scalars(select(ProcedureRow).where(ProcedureRow.id.in_(procedure_ids),
                                                 ProcedureRow.published.is_not(None), ProcedureRow.archived.is_(False)))
    return {row.id: str(row.published.get("title", row.id)) for row in rows if row.published}


def published_procedures(db: Session) -> list[Procedure]:
    """What the bot answers from: published, not archived, FAQs nested under their procedure."""
    faqs: dict[str | None, list[dict[str, Any]]] = {}
    for row in db.scalars(select(FaqRow).where(FaqRow.published.is_not(None), FaqRow.archived.is_(False))
                          .order_by(FaqRow.id)):
        if row.published is not None:  # always (filtered above): narrows the type
            faqs.setdefault(row.procedure_id, []).append(row.published)
    query = select(ProcedureRow).where(ProcedureRow.published.is_not(None), ProcedureRow.archived.is_(False))
    return [
        Procedure.model_validate({**row.published, "faqs": faqs.get(row.id, [])})
        for row in db.scalars(query.order_by(ProcedureRow.id))
        if row.published is not None  # always, as above
    ]


def export_bundle(db: Session, state: str = "published") -> Bundle:
    """state="published": what the bot uses; "draft": drafts where they exist, else published."""
    faq_rows = list(db.scalars(select(FaqRow).where(FaqRow.archived.is_(False)).order_by(FaqRow.id)))

    def content(row: Row) -> dict[str, Any] | None:
        return (row.draft or row.published) if state == "draft" else row.published

    nested: dict[str, list[dict[str, Any]]] = {}
    standalone: list[Faq] = []
    for faq_row in faq_rows:
        if (data := content(faq_row)) is None:
            continue
        if data.get("procedure_id"):
            nested.setdefault(data["procedure_id"], []).append(data)
        else:
            standalone.append(Faq.model_validate(data))
    procedures = []
    for row in db.scalars(select(ProcedureRow).where(ProcedureRow.archived.is_(False)).order_by(ProcedureRow.id)):
        if (data := content(row)) is not None:
            procedures.append(Procedure.model_validate({**data, "faqs": nested.get(row.id, [])}))
    return Bundle(procedures=procedures, faqs=standalone)


def review(db: Session, on: dt.date, days: int = DAYS) -> list[ReviewItem]:
    """Facts to review within `days` of `on`, in the content admins edit (drafts where they exist)."""
    return review_items(export_bundle(db, "draft").procedures, default_register(), on, days)
