"""`python -m api.cli eval-chat FILE.jsonl`: the command line of the end-to-end evaluation."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer


def _progress(done: int, total: int) -> None:
    if done % 25 == 0 or done == total:
        typer.echo(f"eval-chat: {done}/{total}", err=True)


@contextmanager
def _app_url(url: str | None) -> Iterator[str]:
    """The given URL, or the URL of the real stack started here (and stopped after)."""
    if url:
        yield url
        return
    from api.runtime.local_stack import running_stack

    typer.echo("eval-chat: starting rasa, actions and the app…", err=True)
    with running_stack() as stack:
        yield stack.app_url


def _failures(items: list[dict]) -> list[str]:
    return [f"  [{item['outcome']}] {item['question'][:110]!r} expected={item['expected']} "
            f"got={item['kind']}{item['procedure_ids'] or ''}"
            for item in items if item["outcome"] not in ("right", "oos_honest")]


def eval_chat(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL of {question, expected, tags}"),
    url: str | None = typer.Option(None, help="a running stack's app URL; without it the real stack is started"),
    as_json: bool = typer.Option(False, "--json", help="print the report and every item as JSON"),
    failures: bool = typer.Option(False, help="list the questions not answered right (or not handled honestly)"),
    min_right: float | None = typer.Option(None, help="exit 1 if the share answered right is lower"),
    max_wrong: float | None = typer.Option(None, help="exit 1 if the share answered with another procedure is higher"),
    max_none: float | None = typer.Option(None, help="exit 1 if the share of in-scope questions unanswered is higher"),
    min_oos_honest: float | None = typer.Option(None, help="exit 1 if the share of honest out-of-scope is lower"),
    write_docs: str | None = typer.Option(None, metavar="LABEL", help="write the table into docs/evaluation.md"),
) -> None:
    """Send each question through POST /api/v1/chat in a fresh conversation and report by tag."""
    from api.cli.chat_eval import report, runner
    from api.cli.chat_eval.docs_section import write_section
    from api.cli.chat_eval.examples import BadExampleFile, read_examples
    from api.runtime.chat_client import ChatClient
    from api.runtime.local_stack import StackFailed

    try:
        examples = read_examples(file)
    except BadExampleFile as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    try:
        with _app_url(url) as app_url, ChatClient(app_url) as client:
            outcomes = runner.run(examples, client, _progress)
    except StackFailed as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None

    summary = report.summarize(outcomes)
    items = report.items(outcomes)
    if as_json:
        typer.echo(json.dumps({"file": str(file), **summary, "items": items}, ensure_ascii=False, indent=2))
    else:
        typer.echo(report.text_table(summary))
        if failures:
            typer.echo("\n".join(_failures(items)))
    if write_docs:
        command = f".venv/bin/python -m api.cli eval-chat {file} --write-docs {write_docs}"
        write_section(write_docs, command, report.markdown_table(summary))
    bars = {"min_right": min_right, "max_wrong": max_wrong, "max_none": max_none, "min_oos_honest": min_oos_honest}
    missed = report.missed_bars(summary["overall"], bars)
    for line in missed:
        print("FAIL:", line, file=sys.stderr)
    raise typer.Exit(1 if missed else 0)
