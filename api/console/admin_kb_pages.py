"""Admin pages of the knowledge base: procedures and FAQs (list, create, edit, draft, publish, history, rollback,
archive) and the preview of the citizen-facing answer. The same routes serve both kinds (`KindPages`).

Saves name the version the admin edited (compare-and-set in api.services.kb_store): a conflicting save re-renders the
form with the admin's text kept, says who saved meanwhile and offers to overwrite (the other version stays in
the history). After a publish the app's hook reloads the search index, so the bot uses the change in seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from api.console import admin_kb_forms as forms
from api.console import admin_kb_views as views
from api.console.admin_access import ADMIN_ONLY, as_int
from api.console.web import ConsoleAdmin, render
from api.core.errors import AppError
from api.db.models import UnansweredQuestion
from api.deps import SessionDep, notify_kb_published
from api.services import kb_store, unanswered
from knowledge_base import answers, vocabulary
from knowledge_base.records import Procedure

router = APIRouter(prefix="/admin", dependencies=ADMIN_ONLY)

NOTICES = {
    "created": "Đã tạo bản nháp. Bot chưa dùng nội dung này cho đến khi bạn xuất bản.",
    "saved": "Đã lưu bản nháp. Bot vẫn dùng bản đã xuất bản cho đến khi bạn xuất bản bản nháp này.",
    "published": "Đã xuất bản. Bot sẽ dùng nội dung mới sau vài giây.",
    "unchanged": "Không có thay đổi nào so với bản đang lưu.",
    "archived": "Đã lưu trữ: bot ngừng dùng nội dung này. Bạn có thể dùng lại bất cứ lúc nào.",
    "restored": "Đã dùng lại: bot dùng lại bản đã xuất bản.",
    "rolled-back": "Đã khôi phục và xuất bản nội dung của phiên bản đã chọn.",
    "imported": "Đã nhập tệp YAML thành bản nháp. Xem lại rồi bấm “Lưu và xuất bản” để bot dùng.",
}


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form as plain strings (already parsed, and cached, by the CSRF check)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormData = Annotated[dict[str, str], Depends(form_data)]


@dataclass(frozen=True)
class Upload:
    data: bytes | None  # None: no file chosen
    version: str


async def uploaded_file(request: Request) -> Upload:
    """The editor's YAML upload (field `file`) and the version the page showed."""
    form = await request.form()
    file, version = form.get("file"), form.get("version")
    data = await file.read(forms.YAML_MAX_BYTES + 1) if isinstance(file, UploadFile) and file.filename else None
    return Upload(data, version if isinstance(version, str) else "")


UploadedFile = Annotated[Upload, Depends(uploaded_file)]


@dataclass(frozen=True)
class KindPages:
    kind: str  # procedure | faq
    path: str  # procedures | faqs
    noun: str  # "thủ tục"
    template: str  # the editor template
    values: Callable[[dict[str, Any] | None], dict[str, str]]

    @property
    def base(self) -> str:
        return f"/console/admin/{self.path}"

    def url(self, entity_id: str, suffix: str = "") -> str:
        return f"{self.base}/{entity_id}{suffix}"

    def parse(self, db: Session, form: dict[str, str]) -> forms.FormResult:
        if self.kind == "procedure":
            return forms.procedure_from_form(form)
        return forms.faq_from_form(form, {pid for pid, _ in views.procedure_choices(db)})


PROCEDURES = KindPages("procedure", "procedures", "thủ tục", "admin/procedure_edit.html", forms.procedure_values)
FAQS = KindPages("faq", "faqs", "câu hỏi thường gặp", "admin/faq_edit.html", forms.faq_values)


def _choices(db: Session, spec: KindPages) -> dict[str, Any]:
    if spec.kind == "procedure":
        return {"levels": forms.LEVEL_CHOICES, "online_levels": forms.ONLINE_CHOICES, "kinds": forms.KIND_CHOICES,
                "fields": views.procedure_fields(db), "channel_choices": forms.CHANNEL_CHOICES,
                "required_choices": forms.REQUIRED_CHOICES, "successor_choices": forms.SUCCESSOR_CHOICES,
                "provenance_groups": forms.PROVENANCE_GROUPS, "unconfirmed_fields": forms.UNCONFIRMED_FIELDS}
    return {"procedures": views.procedure_choices(db)}


def _form_helpers(values: dict[str, str], errors: forms.Errors) -> dict[str, Any]:
    """What the editor templates ask of the form: the rows of a list, whether a part has problems, their names."""
    return {"rows_of": lambda group: forms.row_numbers(values, group),
            "has_errors": lambda prefix: any(key == prefix or key.startswith(prefix + forms.SEP) for key in errors),
            "labels": {**forms.LABELS, **forms.error_labels(errors)}}


def editor(request: Request, db: Session, spec: KindPages, row: kb_store.Row | None, *,
           values: dict[str, str] | None = None, errors: forms.Errors | None = None, status_code: int = 200,
           **extra: Any) -> Response:
    """The editor page: `values` are what the admin typed (kept on every error), else the stored content."""
    values = values if values is not None else spec.values(views.working(row) if row else None)
    context: dict[str, Any] = {
        "spec": spec, "row": row, "errors": errors or {}, "values": values,
        "status": kb_store.status_of(row) if row else None, "names": views.full_names(db), **_choices(db, spec),
        **_form_helpers(values, errors or {}), **extra,
    }
    if row is not None:
        context["status_label"] = views.STATUS_LABELS[kb_store.status_of(row)]
        if row.draft is not None and row.published is not None:
            context["draft_changes"] = [forms.LABELS.get(d["field"], d["field"])
                                        for d in kb_store.diff(row.published, row.draft)]
    return render(request, spec.template, context, status_code=status_code)


def _conflict(db: Session, spec: KindPages, entity_id: str, content: dict[str, Any] | None) -> dict[str, Any]:
    """Who saved meanwhile, and which fields differ between their version and what the admin typed."""
    row = kb_store.get_row(db, spec.kind, entity_id)
    differing = [forms.LABELS.get(d["field"], d["field"]) for d in kb_store.diff(views.working(row), content)]
    return {"version": row.version, "by": views.full_names(db).get(row.updated_by, row.updated_by),
            "at": row.updated_at, "fields": differing}


def _redirect(url: str, notice: str) -> Response:
    return RedirectResponse(f"{url}?msg={notice}", status_code=303)


def register(spec: KindPages) -> None:
    """List, create, edit, history and rollback routes of one kind."""

    @router.get(f"/{spec.path}", name=f"admin_{spec.path}")
    def list_page(request: Request, db: SessionDep, _: ConsoleAdmin, q: str = "", status: str = "",
                  field: str = "", level: str = "", procedure: str = "") -> Response:
        rows = views.list_rows(db, spec.kind, q, status, field, level, procedure)
        total = db.query(kb_store.KINDS[spec.kind][0]).count()
        context = {"spec": spec, "rows": rows, "total": total, "q": q, "status": status, "field": field,
                   "level": level, "procedure": procedure, "status_filters": views.STATUS_FILTERS,
                   "names": views.full_names(db), **_choices(db, spec)}
        partial = request.headers.get("hx-target") == "kb-results"
        return render(request, "admin/_kb_results.html" if partial else "admin/kb_list.html", context)

    @router.get(f"/{spec.path}/new")
    def new_page(request: Request, db: SessionDep, _: ConsoleAdmin, from_unanswered: int | None = None) -> Response:
        values, source = spec.values(None), None
        if from_unanswered is not None and spec.kind == "faq":
            source = db.get(UnansweredQuestion, from_unanswered)
            if source is not None:
                known = {pid for pid, _ in views.procedure_choices(db)}
                values.update({"paraphrases-0-text": source.text})
                values.update(question=source.text, id=forms.suggest_id(source.text),
                              procedure_id=source.best_candidate if source.best_candidate in known else "")
        return editor(request, db, spec, None, values=values, source=source)

    @router.post(f"/{spec.path}/new")
    def create(request: Request, db: SessionDep, admin: ConsoleAdmin, form: FormData) -> Response:
        result = spec.parse(db, form)
        source_id = form.get("from_unanswered", "")
        source = db.get(UnansweredQuestion, int(source_id)) if source_id.isdigit() else None
        if not result.ok:
            return editor(request, db, spec, None, values=result.values, errors=result.errors, status_code=422,
                          source=source)
        publish = form.get("action") == "publish"
        assert result.content is not None
        try:
            row = kb_store.create(db, spec.kind, result.content, kb_store.Actor.of(admin), publish=publish)
        except AppError as error:
            key = "id" if error.code == "duplicate_id" else "procedure_id" if error.code == "not_found" else "form"
            return editor(request, db, spec, None, values=result.values, errors={key: [error.message]},
                          status_code=error.status, source=source)
        if spec.kind == "faq":
            unanswered.mark_from_faq(db, admin, source_id, row.id)
        db.commit()
        if publish:
            notify_kb_published(request)
        return _redirect(spec.url(row.id), "published" if publish else "created")

    @router.get(f"/{spec.path}/{{entity_id}}")
    def edit_page(request: Request, entity_id: str, db: SessionDep, _: ConsoleAdmin, msg: str = "") -> Response:
        row = kb_store.get_row(db, spec.kind, entity_id)
        return editor(request, db, spec, row, notice=NOTICES.get(msg))

    @router.post(f"/{spec.path}/{{entity_id}}")
    def save(request: Request, entity_id: str, db: SessionDep, admin: ConsoleAdmin, form: FormData) -> Response:
        row = kb_store.get_row(db, spec.kind, entity_id)
        result = spec.parse(db, {**form, "id": entity_id})
        if not result.ok:
            return editor(request, db, spec, row, values=result.values, errors=result.errors, status_code=422,
                          version=form.get("version"))
        assert result.content is not None
        publish = form.get("action") == "publish"
        version = as_int(form.get("overwrite_version") or form.get("version"))
        changed, published = result.content != views.working(row), False
        try:
            if changed:
                row = kb_store.save_draft(db, spec.kind, entity_id, result.content, version, kb_store.Actor.of(admin))
                version = row.version
            if publish and row.draft is not None:
                row = kb_store.publish(db, spec.kind, entity_id, version, kb_store.Actor.of(admin))
                published = True
        except AppError as error:
            db.rollback()
            current = kb_store.get_row(db, spec.kind, entity_id)
            if error.code != "version_conflict":
                return editor(request, db, spec, current, values=result.values, errors={"form": [error.message]},
                              status_code=error.status, version=form.get("version"))
            return editor(request, db, spec, current, values=result.values, status_code=409,
                          conflict=_conflict(db, spec, entity_id, result.content), version=form.get("version"))
        db.commit()
        if published:
            notify_kb_published(request)
        return _redirect(spec.url(entity_id), "published" if published else "saved" if changed else "unchanged")

    @router.get(f"/{spec.path}/{{entity_id}}/yaml")
    def yaml_page(request: Request, entity_id: str, db: SessionDep, _: ConsoleAdmin,
                  download: bool = False) -> Response:
        row = kb_store.get_row(db, spec.kind, entity_id)
        if download:
            return Response(forms.export_yaml(views.working(row)), media_type="application/x-yaml; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{entity_id}.yml"'})
        return yaml_view(request, db, row)

    def yaml_view(request: Request, db: Session, row: kb_store.Row, errors: forms.Errors | None = None,
                  status_code: int = 200) -> Response:
        return render(request, "admin/kb_yaml.html", {
            "spec": spec, "row": row, "errors": errors or {}, "labels": forms.error_labels(errors or {}),
            "title": views.working(row).get("title") or views.working(row).get("question"),
            "status_label": views.STATUS_LABELS[kb_store.status_of(row)], "max_kb": forms.YAML_MAX_BYTES // 1024},
            status_code=status_code)

    @router.post(f"/{spec.path}/{{entity_id}}/yaml")
    def yaml_import(request: Request, entity_id: str, db: SessionDep, admin: ConsoleAdmin,
                    upload: UploadedFile) -> Response:
        """An uploaded YAML file becomes the record's draft (compare-and-set on the version the page showed)."""
        row = kb_store.get_row(db, spec.kind, entity_id)
        if upload.data is None:
            return yaml_view(request, db, row, {"form": ["Chọn tệp YAML để nhập."]}, 422)
        result = forms.import_yaml(spec.kind, entity_id, upload.data)
        if not result.ok:
            return yaml_view(request, db, row, result.errors, 422)
        assert result.content is not None
        if result.content == views.working(row):
            return _redirect(spec.url(entity_id), "unchanged")
        try:
            kb_store.save_draft(db, spec.kind, entity_id, result.content, as_int(upload.version),
                                kb_store.Actor.of(admin))
        except AppError as error:
            db.rollback()
            return yaml_view(request, db, kb_store.get_row(db, spec.kind, entity_id), {"form": [error.message]},
                             error.status)
        db.commit()
        return _redirect(spec.url(entity_id), "imported")

    @router.post(f"/{spec.path}/{{entity_id}}/{{action}}")
    def archive_or_restore(request: Request, entity_id: str, action: str, db: SessionDep, admin: ConsoleAdmin,
                           form: FormData) -> Response:
        if action not in ("archive", "restore"):
            raise AppError(404, "not_found", "Không có thao tác này.")
        archived = action == "archive"
        try:
            row = kb_store.set_archived(db, spec.kind, entity_id, archived, as_int(form.get("version")),
                                        kb_store.Actor.of(admin))
        except AppError as error:
            db.rollback()
            row = kb_store.get_row(db, spec.kind, entity_id)
            return editor(request, db, spec, row, errors={"form": [error.message]}, status_code=error.status)
        db.commit()
        notify_kb_published(request)
        return _redirect(spec.url(entity_id), "archived" if archived else "restored")

    @router.get(f"/{spec.path}/{{entity_id}}/history")
    def history_page(request: Request, entity_id: str, db: SessionDep, _: ConsoleAdmin) -> Response:
        row = kb_store.get_row(db, spec.kind, entity_id)
        return render(request, "admin/kb_history.html", {
            "spec": spec, "row": row, "title": views.working(row).get("title") or views.working(row).get("question"),
            "revisions": views.revisions(db, spec.kind, row), "names": views.full_names(db),
            "status_label": views.STATUS_LABELS[kb_store.status_of(row)]})

    def rollback_view(request: Request, db: Session, entity_id: str, revision_id: int, error: str | None = None,
                      status_code: int = 200) -> Response:
        row = kb_store.get_row(db, spec.kind, entity_id)
        revision = views.revision_of(db, spec.kind, entity_id, revision_id)
        if revision is None:
            raise AppError(404, "revision_not_found", f"Không có phiên bản lưu số {revision_id} của “{entity_id}”.")
        return render(request, "admin/kb_rollback.html", {
            "spec": spec, "row": row, "revision": revision, "error": error, "names": views.full_names(db),
            "action_label": views.ACTION_LABELS.get(revision.action, revision.action),
            "changes": views.field_changes(kb_store.diff(row.published, revision.content))}, status_code=status_code)

    @router.get(f"/{spec.path}/{{entity_id}}/rollback/{{revision_id}}")
    def rollback_page(request: Request, entity_id: str, revision_id: int, db: SessionDep,
                      _: ConsoleAdmin) -> Response:
        return rollback_view(request, db, entity_id, revision_id)

    @router.post(f"/{spec.path}/{{entity_id}}/rollback/{{revision_id}}")
    def rollback(request: Request, entity_id: str, revision_id: int, db: SessionDep, admin: ConsoleAdmin,
                 form: FormData) -> Response:
        try:
            kb_store.rollback(db, spec.kind, entity_id, revision_id, as_int(form.get("version")),
                              kb_store.Actor.of(admin))
        except AppError as error:
            db.rollback()
            return rollback_view(request, db, entity_id, revision_id, error.message, error.status)
        db.commit()
        notify_kb_published(request)
        return _redirect(spec.url(entity_id), "rolled-back")


@router.post("/preview/procedure")
def preview(request: Request, db: SessionDep, _: ConsoleAdmin, form: FormData) -> Response:
    """The citizen-facing answer composed from the form as it is now (nothing is saved)."""
    result = forms.procedure_from_form({**form, "id": "xem-truoc"})  # the id plays no part in the answer
    aspect = form.get("preview_aspect") or None
    today = request.app.state.settings.today()
    try:
        on = dt.date.fromisoformat(form["preview_on"]) if form.get("preview_on") else today
    except ValueError:
        on = today
    context: dict[str, Any] = {"errors": result.errors, "on": on,
                               "labels": {**forms.LABELS, **forms.error_labels(result.errors)}}
    if result.ok and result.content is not None:
        procedure = Procedure.model_validate(result.content)
        context["message"] = answers.answer(procedure, aspect if aspect in vocabulary.ASPECTS else None, on)
    return render(request, "admin/_preview.html", context)


register(PROCEDURES)
register(FAQS)
