"""``andon audit``: prove the audit chain intact, or name its first broken link."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from andon.cli._output import err_console, out_console
from andon.decisions import AuditLog, ensure_schema
from andon.errors import AndonError
from andon.store import open_store

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)

StoreUrl = Annotated[
    str, typer.Option("--store", help="Store URL or DuckDB file.", envvar="ANDON_STORE")
]


@contextmanager
def _log(store_url: str) -> Iterator[AuditLog]:
    try:
        store = open_store(store_url)
    except AndonError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    try:
        ensure_schema(store)
        yield AuditLog(store=store)
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
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Recompute every hash of the chain; exit 1 and name the first broken link if any."""
    with _log(store) as log:
        started = time.perf_counter()
        with err_console.status("verifying the audit chain", spinner="dots"):
            result = log.verify(expect_head=expect_head)
        seconds = time.perf_counter() - started
    if as_json:
        typer.echo(json.dumps({**result.to_json(), "seconds": round(seconds, 3)}))
    elif result.ok:
        out_console.print(
            f"[green]audit chain intact[/]: {result.entries} entries in {seconds:.2f} s; "
            f"head {result.head_seq} {result.head_hash}"
        )
    else:
        err_console.print(
            f"[bold red]audit chain broken at entry {result.broken_seq}[/]: {result.reason} "
            f"({result.entries} entries before it verified)",
            highlight=False,
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
