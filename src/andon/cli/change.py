"""``andon change``: what an engineering change touches before it is released."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from andon.cli._output import err_console, fail, number, out_console, table
from andon.errors import AndonError

if TYPE_CHECKING:
    from andon.change import Impact

app = typer.Typer(
    help="Engineering change impact: the lines, equipment, tests and orders a change touches.",
    no_args_is_help=True,
)


def _mistake(text: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {text}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _check_paths(file: Path, model_path: Path, store_url: str | None) -> None:
    if not file.is_file():
        raise _mistake(f"no change request at {file}: give a YAML or JSON file")
    if not model_path.exists():
        raise _mistake(f"no plant model at {model_path}: give --model a YAML file or a folder")
    if store_url is not None and "://" not in store_url and not Path(store_url).exists():
        raise _mistake(f"no store at {store_url}: give --store a DuckDB file or a store URL")


@app.command("impact")
def impact_command(
    file: Annotated[Path, typer.Argument(help="The change request, a YAML or JSON file.")],
    model_path: Annotated[
        Path, typer.Option("--model", "-m", help="The plant model: a YAML file or a folder.")
    ],
    store_url: Annotated[
        str | None,
        typer.Option("--store", help="Store URL or DuckDB file, for open orders and units."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the impact as JSON.")] = False,
) -> None:
    """Show what a change request touches: products, routings, lines, equipment, setups, the
    spec-limit checks, spare parts, open orders, units and lots, and its cost and delay."""
    from andon.change import impact, load_request
    from andon.model import load_model

    _check_paths(file, model_path, store_url)
    store = None
    try:
        model = load_model(model_path)
        request = load_request(file, model)
        if store_url is not None:
            from andon.store import open_store

            store = open_store(store_url)
        found = impact(request, model, store)
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None
    finally:
        if store is not None:
            store.close()
    if as_json:
        out_console.print_json(json.dumps(found.to_json()))
        return
    _print(found)


@app.command("submit")
def submit_command(
    file: Annotated[Path, typer.Argument(help="The change request, a YAML or JSON file.")],
    model_path: Annotated[
        Path, typer.Option("--model", "-m", help="The plant model: a YAML file or a folder.")
    ],
    store_url: Annotated[str, typer.Option("--store", help="Store URL or DuckDB file.")],
) -> None:
    """Record the change as a decision per site it touches, for approval (``andon decisions``)."""
    from andon.change import change_proposals, impact, load_request
    from andon.decisions import DecisionService, ensure_schema
    from andon.model import load_model
    from andon.store import open_store
    from andon.time import from_datetime

    _check_paths(file, model_path, store_url)
    try:
        model = load_model(model_path)
        request = load_request(file, model)
        store = open_store(store_url)
        try:
            ensure_schema(store)
            found = impact(request, model, store)
            proposals = change_proposals(found, now=from_datetime(dt.datetime.now(dt.UTC)))
            if not proposals:
                raise _mistake(
                    f"{file}: the change touches no line or equipment: nothing to decide"
                )
            records = DecisionService(store=store).propose(proposals)
        finally:
            store.close()
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None
    for record in records:
        out_console.print(f"{record.id}  {record.subject}  {record.action.label}", highlight=False)


def _print(found: Impact) -> None:
    request = found.request
    out_console.print(f"[bold]{request.kind.value}[/] {request.title}".rstrip())
    touched = table("what", "count", "which", title="touched")
    for label, items in (
        ("products", found.products),
        ("routings", found.routings),
        ("lines", found.lines),
        ("equipment", found.equipment),
        ("setups", found.setups),
        ("spare parts", found.spare_parts),
        ("open orders", found.open_orders),
        ("lots", found.lots),
    ):
        shown = ", ".join(items[:6]) + (f" and {len(items) - 6} more" if len(items) > 6 else "")
        touched.add_row(label, number(len(items)), shown or "-")
    touched.add_row("units", number(len(found.units)), "-")
    out_console.print(touched)
    if found.tests:
        tests = table("product", "parameter", "cell", "lines", title="checks of the change")
        for t in found.tests:
            tests.add_row(t.product, t.parameter, t.cell, ", ".join(t.lines))
        out_console.print(tests)
    out_console.print(
        f"cost {number(found.cost)} {found.currency}, schedule {number(found.schedule_h)} h"
    )
    for line in found.basis:
        out_console.print(f"  {line}", highlight=False)
