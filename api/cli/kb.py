"""`python -m api.cli kb …`: the knowledge base from the command line (same rules as the admin API)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

from api.core.errors import AppError
from knowledge_base.formats import Format, parse, render
from knowledge_base.loader import KnowledgeBaseError

kb = typer.Typer(help="Knowledge base: import, export, publish, history, rollback.", no_args_is_help=True)

ACTOR = typer.Option("cli", help="name recorded in the revision history")


@kb.callback()
def _signal_replicas() -> None:
    """With REDIS_URL, a publish here wakes every app replica at once (without it they notice within 2 s)."""
    from api.core.config import get_settings
    from api.services import events

    if redis_url := get_settings().redis_url:
        events.install(events.make_bus(redis_url))


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _format_of(path: Path, given: Format | None) -> Format:
    if given:
        return given
    return Format.yaml if path.suffix.lower() in (".yml", ".yaml") else Format.json


@kb.command("import")
def import_file(path: Path, format: Format | None = typer.Option(None, help="yaml | json | portal"),
                draft: bool = typer.Option(False, help="save as drafts instead of publishing"),
                actor: str = ACTOR) -> None:
    """Import a YAML/JSON file (idempotent)."""
    from api.db.base import session_scope
    from api.services import kb_store

    try:
        bundle = parse(path.read_text(encoding="utf-8"), _format_of(path, format), source=str(path))
        with session_scope() as db:
            report = kb_store.import_bundle(db, bundle, actor=kb_store.Actor(actor), publish=not draft)
    except (KnowledgeBaseError, AppError, OSError) as error:
        _fail(getattr(error, "message", str(error)))
        return
    typer.echo(f"created {len(report.created)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}")


@kb.command("export")
def export_file(format: Format = typer.Option(Format.yaml, help="yaml | json | portal"),
                state: str = typer.Option("published", help="published | draft"),
                out: Path | None = typer.Option(None, help="file to write (default: standard output)")) -> None:
    """Export the knowledge base."""
    from api.db.base import session_scope
    from api.services import kb_store

    with session_scope() as db:
        text = render(kb_store.export_bundle(db, state), format)
    if out:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")
    else:
        typer.echo(text)


@kb.command("seed")
def seed() -> None:
    """Load the seed procedures if the knowledge base is empty."""
    from api.db.base import session_scope
    from api.services import kb_store

    with session_scope() as db:
        report = kb_store.seed_if_empty(db)
    typer.echo("already seeded" if report is None else f"seeded {len(report.created)} records")


@kb.command("publish")
def publish(entity_id: str, kind: str = typer.Option("procedure", help="procedure | faq"), actor: str = ACTOR) -> None:
    """Publish the draft of a record."""
    from api.db.base import session_scope
    from api.services import kb_store

    try:
        with session_scope() as db:
            row = kb_store.get_row(db, kind, entity_id)
            row = kb_store.publish(db, kind, entity_id, row.version, kb_store.Actor(actor))
            typer.echo(f"published {kind} {entity_id} (version {row.version})")
    except AppError as error:
        _fail(error.message)


@kb.command("history")
def history(entity_id: str, kind: str = typer.Option("procedure", help="procedure | faq")) -> None:
    """List the revisions of a record."""
    from api.db.base import session_scope
    from api.services import kb_store

    try:
        with session_scope() as db:
            for rev in kb_store.history(db, kind, entity_id):
                fields = ", ".join(d["field"] for d in rev.diff) or "-"
                typer.echo(f"#{rev.id}  v{rev.version}  {rev.created_at:%Y-%m-%d %H:%M}  {rev.actor:<12} "
                           f"{rev.action:<8} {rev.state:<9} {fields}")
    except AppError as error:
        _fail(error.message)


@kb.command("rollback")
def rollback(entity_id: str, revision_id: int, kind: str = typer.Option("procedure", help="procedure | faq"),
             actor: str = ACTOR) -> None:
    """Publish the content of an earlier revision."""
    from api.db.base import session_scope
    from api.services import kb_store

    try:
        with session_scope() as db:
            row = kb_store.get_row(db, kind, entity_id)
            row = kb_store.rollback(db, kind, entity_id, revision_id, row.version, kb_store.Actor(actor))
            typer.echo(f"rolled back {kind} {entity_id} to revision #{revision_id} (now version {row.version})")
    except AppError as error:
        _fail(error.message)


@kb.command("validate")
def validate(paths: list[Path] = typer.Argument(None, help="files (default: the seed directory)"),
             on: str | None = typer.Option(None, help="validation date YYYY-MM-DD (default: the office's today)"),
             strict_provenance: bool | None = typer.Option(
                 None, "--strict-provenance/--no-strict-provenance",
                 help="every fact traced or marked unconfirmed, every number registered, every expiring fee followed "
                      "(default: the KB_STRICT_PROVENANCE setting)")) -> None:
    """Validate procedure YAML files and the legal register; errors name file, record, field and problem."""
    from api.core.config import get_settings
    from knowledge_base.loader import SEED_DIR
    from knowledge_base.validate import validate as run

    settings = get_settings()
    day = _date(on) if on else settings.today()
    strict = settings.kb_strict_provenance if strict_provenance is None else strict_provenance
    failed = run(list(paths or sorted(SEED_DIR.glob("*.yml"))), on=day, strict=strict)
    raise typer.Exit(1 if failed else 0)


@kb.command("review")
def review(on: str | None = typer.Option(None, help="date YYYY-MM-DD (default: the office's today)"),
           days: int = typer.Option(30, min=0, help="look this many days ahead"),
           files: bool = typer.Option(False, "--files", help="read the seed YAML files, not the database")) -> None:
    """Fees ending within DAYS (or ended with no successor) and facts citing a replaced document."""
    from api.core.config import get_settings
    from api.services import kb_store
    from knowledge_base.legal_register import default_register
    from knowledge_base.loader import load_dir
    from knowledge_base.review import review_items

    day = _date(on) if on else get_settings().today()
    if files:
        items = review_items(load_dir(), default_register(), day, days)
    else:
        from api.db.base import session_scope

        with session_scope() as db:
            items = kb_store.review(db, day, days)
    for item in items:
        typer.echo(f"{item.due.isoformat()}  {item.procedure_id}  {item.field}: {item.what}")
    typer.echo(f"{len(items)} to review (on {day.isoformat()}, next {days} days)")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"not a date: {text!r} (write YYYY-MM-DD, e.g. 2027-01-02)")
        raise


@kb.command("show")
def show(entity_id: str, kind: str = typer.Option("procedure", help="procedure | faq")) -> None:
    """Print a record (published and draft) as JSON."""
    from api.db.base import session_scope
    from api.services import kb_store

    try:
        with session_scope() as db:
            row = kb_store.get_row(db, kind, entity_id)
            typer.echo(json.dumps({"version": row.version, "published": row.published, "draft": row.draft},
                                  ensure_ascii=False, indent=2))
    except AppError as error:
        _fail(error.message)
