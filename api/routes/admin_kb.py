"""Admin API for the knowledge base: CRUD with drafts, publish, history, rollback, import, export."""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from api.core.errors import AppError
from api.db.base import session_scope
from api.db.models import StaffUser
from api.deps import CurrentAdmin, SessionDep, notify_kb_published
from api.schemas import (
    CreateBody,
    ImportReportOut,
    RecordOut,
    RecordSummary,
    RevisionOut,
    RollbackBody,
    SaveBody,
    VersionBody,
)
from api.services import kb_store
from knowledge_base.formats import Format, parse, render
from knowledge_base.loader import KnowledgeBaseError

router = APIRouter(prefix="/api/v1/admin", tags=["admin: knowledge base"])

IMPORT_MAX_BYTES = 20 * 1024 * 1024


def record_out(kind: str, row: kb_store.Row) -> RecordOut:
    return RecordOut(id=row.id, kind=kind, version=row.version, status=kb_store.status_of(row), published=row.published,
                     draft=row.draft, updated_at=row.updated_at, updated_by=row.updated_by,
                     published_at=row.published_at)


def _register(kind: str, path: str) -> None:
    """The same record routes for procedures and FAQs."""
    table = kb_store.KINDS[kind][0]
    tag: list[str | Enum] = [f"admin: {path}"]  # the type FastAPI asks for

    @router.get(f"/{path}", response_model=list[RecordSummary], tags=tag, summary=f"List {path}")
    def list_records(db: SessionDep, _: CurrentAdmin) -> list[RecordSummary]:
        rows = db.query(table).order_by(table.id).all()
        return [RecordSummary(id=r.id, title=str((r.draft or r.published or {}).get("title")
                                                 or (r.draft or r.published or {}).get("question", "")),
                              version=r.version, status=kb_store.status_of(r), updated_at=r.updated_at,
                              updated_by=r.updated_by) for r in rows]

    @router.get(f"/{path}/{{entity_id}}", response_model=RecordOut, tags=tag, summary=f"One record of {path}")
    def get_record(entity_id: str, db: SessionDep, _: CurrentAdmin) -> RecordOut:
        return record_out(kind, kb_store.get_row(db, kind, entity_id))

    @router.post(f"/{path}", response_model=RecordOut, status_code=201, tags=tag, summary="Create (draft by default)")
    def create_record(body: CreateBody, request: Request, db: SessionDep, admin: CurrentAdmin) -> RecordOut:
        row = kb_store.create(db, kind, body.record, kb_store.Actor.of(admin), publish=body.publish)
        out = record_out(kind, row)
        db.commit()
        if body.publish:
            notify_kb_published(request)
        return out

    @router.put(f"/{path}/{{entity_id}}", response_model=RecordOut, tags=tag, summary="Save a draft")
    def save_record(entity_id: str, body: SaveBody, db: SessionDep, admin: CurrentAdmin) -> RecordOut:
        return record_out(kind, kb_store.save_draft(db, kind, entity_id, body.record, body.expected_version,
                                                    kb_store.Actor.of(admin)))

    @router.post(f"/{path}/{{entity_id}}/publish", response_model=RecordOut, tags=tag, summary="Publish the draft")
    def publish_record(entity_id: str, body: VersionBody, request: Request, db: SessionDep,
                       admin: CurrentAdmin) -> RecordOut:
        out = record_out(kind, kb_store.publish(db, kind, entity_id, body.expected_version, kb_store.Actor.of(admin)))
        db.commit()
        notify_kb_published(request)
        return out

    @router.post(f"/{path}/{{entity_id}}/archive", response_model=RecordOut, tags=tag,
                 summary="Withdraw from the bot (kept, can be restored)")
    def archive_record(entity_id: str, body: VersionBody, request: Request, db: SessionDep,
                       admin: CurrentAdmin) -> RecordOut:
        out = record_out(kind, kb_store.set_archived(db, kind, entity_id, True, body.expected_version,
                                                     kb_store.Actor.of(admin)))
        db.commit()
        notify_kb_published(request)
        return out

    @router.post(f"/{path}/{{entity_id}}/restore", response_model=RecordOut, tags=tag, summary="Undo an archive")
    def restore_record(entity_id: str, body: VersionBody, request: Request, db: SessionDep,
                       admin: CurrentAdmin) -> RecordOut:
        out = record_out(kind, kb_store.set_archived(db, kind, entity_id, False, body.expected_version,
                                                     kb_store.Actor.of(admin)))
        db.commit()
        notify_kb_published(request)
        return out

    @router.get(f"/{path}/{{entity_id}}/history", response_model=list[RevisionOut], tags=tag,
                summary="Every change: who, when, what")
    def record_history(entity_id: str, db: SessionDep, _: CurrentAdmin) -> list[RevisionOut]:
        return [RevisionOut.model_validate(r, from_attributes=True) for r in kb_store.history(db, kind, entity_id)]

    @router.post(f"/{path}/{{entity_id}}/rollback", response_model=RecordOut, tags=tag,
                 summary="Publish the content of an earlier revision")
    def rollback_record(entity_id: str, body: RollbackBody, request: Request, db: SessionDep,
                        admin: CurrentAdmin) -> RecordOut:
        row = kb_store.rollback(db, kind, entity_id, body.revision_id, body.expected_version, kb_store.Actor.of(admin))
        out = record_out(kind, row)
        db.commit()
        notify_kb_published(request)
        return out


_register("procedure", "procedures")
_register("faq", "faqs")


def _do_import(text: str, fmt: Format, publish: bool, admin: StaffUser) -> kb_store.ImportReport:
    try:
        bundle = parse(text, fmt, source="tệp nhập")
    except KnowledgeBaseError as error:
        raise AppError(422, "invalid_import", str(error)) from None
    with session_scope() as db:
        return kb_store.import_bundle(db, bundle, actor=kb_store.Actor.of(admin), publish=publish)


@router.post("/kb/import", response_model=ImportReportOut, summary="Import YAML, JSON or the portal layout",
             description="Send the file as the request body. Idempotent: unchanged records are left alone.")
async def import_kb(request: Request, admin: CurrentAdmin, format: Format = Query(Format.yaml),
                    publish: bool = Query(True, description="publish at once, or save as drafts")) -> ImportReportOut:
    raw = await request.body()
    if len(raw) > IMPORT_MAX_BYTES:
        raise AppError(413, "body_too_large", "Tệp nhập quá lớn (tối đa 20 MB).")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AppError(422, "invalid_import", "Tệp nhập phải là văn bản UTF-8.") from None
    report = await run_in_threadpool(_do_import, text, format, publish, admin)
    if publish and report.changed:
        notify_kb_published(request)
    return ImportReportOut(created=report.created, updated=report.updated, unchanged=report.unchanged)


@router.get("/kb/export", response_class=PlainTextResponse, summary="Export YAML, JSON or the portal layout")
def export_kb(db: SessionDep, _: CurrentAdmin, format: Format = Query(Format.yaml),
              state: str = Query("published", pattern="^(published|draft)$")) -> PlainTextResponse:
    text = render(kb_store.export_bundle(db, state), format)
    media = "application/json" if format != Format.yaml else "application/yaml"
    return PlainTextResponse(text, media_type=f"{media}; charset=utf-8",
                             headers={"content-disposition": f'attachment; filename="kb.{format.value}"'})
