"""Command line: `python -m api.cli --help`."""

from __future__ import annotations

import getpass
import sys
import time

import typer

from api.cli.chat_eval.command import eval_chat
from api.cli.kb import kb
from api.core.errors import AppError

cli = typer.Typer(help="Trợ lý ảo thủ tục hành chính: setup, serve and administration.", no_args_is_help=True,
                  add_completion=False)
cli.add_typer(kb, name="kb")
cli.command("eval-chat")(eval_chat)


@cli.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from api.db.migrate import upgrade

    upgrade()
    typer.echo("database is up to date")


@cli.command()
def purge() -> None:
    """Purge conversations older than RETENTION_DAYS (no open handoff or ticket), keeping anonymous daily counts."""
    from api.core.config import get_settings
    from api.services import retention

    report = retention.run(get_settings())
    if report.skipped:
        typer.echo("another process started a purge less than 10 minutes ago; nothing done", err=True)
        raise typer.Exit(1)
    typer.echo(f"purged before {report.cutoff}: {report.conversations} conversations, {report.messages} messages, "
               f"{report.handoffs} handoffs, {report.tracker_events} tracker events, {report.unanswered} unanswered "
               f"questions, {report.audit_details} audit details")


@cli.command()
def train() -> None:
    """Train the Rasa model if its inputs changed."""
    from api.runtime.rasa_model import ensure_model

    started = time.perf_counter()
    path, trained = ensure_model()
    typer.echo(f"trained {path} in {time.perf_counter() - started:.0f} s" if trained else f"reused {path}")


@cli.command("validate-rasa-data")
def validate_rasa_data() -> None:
    """`rasa data validate` on the training data, domain and config; fails on warnings."""
    import subprocess

    from api.core.config import ROOT
    from api.runtime.rasa_model import RASA_BIN, rasa_env

    command = [str(RASA_BIN), "data", "validate", "--fail-on-warnings", "--config", "config.yml",
               "--domain", "domain.yml", "--data", "data"]
    result = subprocess.run(command, cwd=ROOT, env=rasa_env(), capture_output=True, text=True)
    noise = ("cuda", "tensorflow", "TensorRT", "rebuild TensorFlow", "To enable")
    for line in (result.stdout + result.stderr).splitlines():
        if not any(word in line for word in noise):
            typer.echo(line)
    raise typer.Exit(result.returncode)


@cli.command("build-index")
def build_index() -> None:
    """Build the search index of the published knowledge base (embeddings are cached)."""
    import os
    import time

    from api.core.config import get_settings
    from api.db.base import session_scope
    from api.services import kb_store
    from api.services.search_index import make_search_service

    os.environ.setdefault("KB_EMBED_THREADS", "2")  # nothing else runs during setup: use both cores
    started = time.perf_counter()
    with session_scope() as db:
        procedures = kb_store.published_procedures(db)
    service = make_search_service(get_settings())
    index = service.rebuild(procedures)
    service.close()
    typer.echo(f"search index: {len(index.procedure_ids)} procedures, {len(index.chunks)} chunks "
               f"in {time.perf_counter() - started:.1f} s")


@cli.command("test-stories")
def test_stories() -> None:
    """`rasa test core` on tests/stories with the current model; fails on any wrong prediction."""
    import subprocess

    from api.core.config import ROOT, get_settings
    from api.runtime.rasa_model import RASA_BIN, ensure_model, rasa_env

    model, _ = ensure_model()
    out = get_settings().var_dir / "results" / "stories"
    command = [str(RASA_BIN), "test", "core", "--stories", "tests/stories", "--model", str(model), "--out", str(out),
               "--fail-on-prediction-errors", "--endpoints", "endpoints.yml"]
    result = subprocess.run(command, cwd=ROOT, env=rasa_env(), capture_output=True, text=True)
    noise = ("cuda", "tensorflow", "TensorRT", "rebuild TensorFlow", "To enable", "Epochs", "it/s]")
    for line in (result.stdout + result.stderr).splitlines():
        if not any(word in line for word in noise):
            typer.echo(line)
    typer.echo(f"stories: {'all passed' if result.returncode == 0 else 'FAILED'} (details in {out})")
    raise typer.Exit(result.returncode)


@cli.command()
def prepare(model: bool = typer.Option(True, "--model/--no-model", help="train the Rasa model if needed")) -> None:
    """Everything `serve` needs: schema, seed content, search index, Rasa model."""
    from api.cli.kb import seed

    migrate()
    seed()
    build_index()
    if model:
        train()


@cli.command()
def serve(timeout: float = typer.Option(600, help="seconds to wait for readiness"),
          scaled: bool = typer.Option(False, "--scaled", help="nginx in front of app replicas and Rasa servers "
                                                              "(PostgreSQL and Redis required; docs/operations.md)"),
          replicas: int = typer.Option(2, min=1, help="--scaled: app replicas"),
          rasa_servers: int = typer.Option(2, min=1, help="--scaled: Rasa servers (each with an action server)"),
          ) -> None:
    """Start rasa, actions and the app; Ctrl-C stops all."""
    from api.runtime.launcher import serve as run

    raise typer.Exit(run(timeout, scaled_layout=scaled, replicas=replicas, rasa_servers=rasa_servers))


@cli.command("create-admin")
def create_admin(
    username: str = typer.Option(..., prompt="Tên đăng nhập"),
    full_name: str = typer.Option("", help="họ và tên"),
    role: str = typer.Option("admin", help="admin | officer"),
    password_stdin: bool = typer.Option(False, help="read the password from standard input"),
) -> None:
    """Create a staff account (the first admin, typically)."""
    from api.db.base import session_scope
    from api.db.models import Role
    from api.services.staff import create_user

    if role not in Role.__members__:
        typer.echo("role must be admin or officer", err=True)
        raise typer.Exit(2)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Mật khẩu: ")
        if getpass.getpass("Nhập lại mật khẩu: ") != password:
            typer.echo("Hai lần nhập mật khẩu không khớp.", err=True)
            raise typer.Exit(1)
    try:
        with session_scope() as db:
            user = create_user(db, username=username, full_name=full_name, role=Role(role), password=password)
            typer.echo(f"created {user.role.value} '{user.username}'")
    except AppError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(1) from None



@cli.command("rebuild-analytics")
def rebuild_analytics() -> None:
    """Count the dashboard's daily counters again from the messages, conversations and turn outcomes."""
    from api.core.config import get_settings
    from api.db.base import session_scope
    from api.services import analytics_counts

    started = time.perf_counter()
    with session_scope() as db:
        rows = analytics_counts.rebuild(db, get_settings().zone())
    typer.echo(f"analytics rebuilt: {rows} counter rows in {time.perf_counter() - started:.1f} s")
