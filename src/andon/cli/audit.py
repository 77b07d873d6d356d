"""``andon audit``: prove the audit chain intact, or name its first broken link.

``verify`` checks the chain, the head against the head file recorded outside the database
(``--head-file`` or ``ANDON_AUDIT_HEAD_FILE``) and ``--expect-head`` when given, and every
decision row against the seal its last audit entry holds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from andon.cli._output import err_console, out_console
from andon.decisions import AuditLog, ensure_schema
from andon.decisions.head_file import HEAD_FILE_ENV
from andon.errors import AndonError
from andon.store import open_store

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)

StoreUrl = Annotated[
    str, typer.Option("--store", help="Store URL or DuckDB file.", envvar="ANDON_STORE")
]


HeadFileOption = Annotated[
    Path | None,
    typer.Option(
        "--head-file",
        help="The head file every andon process appends to (outside the database): the "
        "store's head must be its newest.",
        envvar=HEAD_FILE_ENV,
    ),
]


@contextmanager
def _log(store_url: str, head_file: Path | None = None) -> Iterator[AuditLog]:
    try:
        store = open_store(store_url)
    except AndonError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    try:
        ensure_schema(store)
        yield AuditLog(store=store, head_file=head_file)
    except AndonError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    finally:
        store.close()


@app.command()
def verify(
    store: StoreUrl = "andon.duckdb",
    expect_head: Annotated[
        str | None, typer.Option(help="The head hash noted earlier: catches a full rewrite.")
    ] = None,
    head_file: HeadFileOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Recompute every hash of the chain, check its head and every decision row; exit 1 and
    name the first broken link (or decision) if any."""
    with _log(store, head_file) as log:
        started = time.perf_counter()
        with err_console.status("verifying the audit chain", spinner="dots"):
            result = log.verify(expect_head=expect_head)
        seconds = time.perf_counter() - started
    if as_json:
        typer.echo(json.dumps({**result.to_json(), "seconds": round(seconds, 3)}))
    elif result.ok:
        anchored = f"; head file {result.head_file}" if result.head_file else ""
        out_console.print(
            f"[green]audit chain intact[/]: {result.entries} entries and "
            f"{result.decisions} decisions in {seconds:.2f} s; "
            f"head {result.head_seq} {result.head_hash}{anchored}",
            highlight=False,
            soft_wrap=True,
        )
        if result.unsealed:
            err_console.print(
                f"[yellow]note:[/] {result.unsealed} decisions were last changed before rows "
                "were sealed: the chain does not cover their rows",
                highlight=False,
            )
    elif result.decision_id is not None:
        err_console.print(
            f"[bold red]decision {result.decision_id} not covered by the audit chain[/]: "
            f"{result.reason} ({result.decisions_failed} of {result.decisions} decisions "
            f"fail; the chain's {result.entries} entries verified)",
            highlight=False,
            soft_wrap=True,
        )
    else:
        err_console.print(
            f"[bold red]audit chain broken at entry {result.broken_seq}[/]: {result.reason} "
            f"({result.entries} entries before it verified)",
            highlight=False,
            soft_wrap=True,
        )
    if not result.ok:
        raise typer.Exit(code=1)


@app.command(name="list")
def list_entries(
    store: StoreUrl = "andon.duckdb",
    entity: Annotated[
        str | None, typer.Option(help="decision, user, token, setting, model")
    ] = None,
    entity_id: Annotated[str | None, typer.Option(help="One entity's id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many, newest first.")] = 20,
) -> None:
    """Show the newest audit entries."""
    with _log(store) as log:
        entries = log.entries(entity=entity, entity_id=entity_id, limit=limit)
    table = Table("seq", "actor", "action", "entity", "site", "hash", title="andon audit")
    for entry in entries:
        table.add_row(
            str(entry.seq),
            entry.actor,
            entry.action,
            f"{entry.entity} {entry.entity_id}",
            entry.site or "-",
            entry.hash[:12],
        )
    out_console.print(table)
