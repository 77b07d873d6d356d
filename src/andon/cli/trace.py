"""``andon trace``: what went into a serial or lot, what a lot reached, and recalls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pyarrow as pa
import typer

from andon.cli._output import Column, err_console, fail, number, out_console, table
from andon.errors import AndonError
from andon.time import to_datetime

if TYPE_CHECKING:
    from andon.store import Store
    from andon.trace import Recall, Trace

_MAX_ROWS = 50
"""Rows of each table printed (``--json`` prints all)."""


def _when(micros: int | None) -> str:
    return "-" if micros is None else to_datetime(micros).strftime("%Y-%m-%d %H:%M:%S")


def _mistake(text: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {text}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _rows(data: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = data.slice(0, _MAX_ROWS).to_pylist()
    return rows


def _more(data: pa.Table) -> None:
    if data.num_rows > _MAX_ROWS:
        out_console.print(f"  ... and {data.num_rows - _MAX_ROWS:,} more (--json for all)")


def _print_units(units: pa.Table, title: str) -> None:
    out = table("serial", "product", "last station", "order", "order completed", title=title)
    for u in _rows(units):
        out.add_row(
            u["serial"],
            u["product"],
            u["last_station"] or "-",
            u["order_id"] or "-",
            _when(u["order_completed_us"]),
        )
    out_console.print(out)
    _more(units)


def _print_backward(trace: Trace) -> None:
    visits = table(
        "serial",
        "station",
        "from",
        "work order before",
        "its last event",
        "last closed",
        title="stations and their maintenance state at the visit",
    )
    state = {(m["path"], m["at_us"]): m for m in trace.maintenance.to_pylist()}
    for v in _rows(trace.visits):
        m = state.get((v["station"], v["start_us"]), {})
        visits.add_row(
            v["serial"],
            v["station"],
            _when(v["start_us"]),
            m.get("work_order") or "-",
            f"{m['kind']} {m['event']}" if m else "-",
            _when(m.get("last_closed_us")),
        )
    out_console.print(visits)
    _more(trace.visits)
    process = table(
        "serial",
        "station",
        "parameter",
        Column("value", numeric=True),
        title="process parameters",
    )
    for p in _rows(trace.parameters):
        process.add_row(p["serial"], p["path"], p["parameter"], number(p["value"]))
    out_console.print(process)
    _more(trace.parameters)


def _print_trace(trace: Trace) -> None:
    word = "what went into" if trace.direction == "backward" else "what was reached by"
    out_console.print(
        f"{word} {trace.id}: {trace.links.num_rows:,} genealogy links, "
        f"{trace.units.num_rows:,} units, lots {', '.join(trace.lots) or '-'}",
        highlight=False,
    )
    _print_units(trace.units, "units")
    if trace.direction == "backward":
        _print_backward(trace)


def _print_recall(answer: Recall) -> None:
    supplier = f" of supplier {answer.supplier}" if answer.supplier else ""
    out_console.print(
        f"lot {answer.lot}{supplier} reached {answer.trace.units.num_rows:,} units: "
        f"{answer.completed.num_rows:,} completed (left the line), "
        f"{answer.in_progress.num_rows:,} in progress; orders "
        f"{', '.join(answer.orders) or '-'}; sites {', '.join(answer.trace.sites) or '-'}",
        highlight=False,
    )
    _print_units(answer.completed, "completed units (where they are: site, last station, order)")
    _print_units(answer.in_progress, "units in progress")


def trace(  # noqa: PLR0917  (typer maps parameters to options)
    id: Annotated[str, typer.Argument(help="Serial or lot to trace.", show_default=False)],
    forward_trace: Annotated[
        bool, typer.Option("--forward", help="Trace what the lot reached instead of its sources.")
    ] = False,
    recall_lot: Annotated[
        bool,
        typer.Option("--recall", help="Which completed and in-progress units contain the lot."),
    ] = False,
    supplier: Annotated[
        str | None, typer.Option("--supplier", help="The lot's supplier, stated on a recall.")
    ] = None,
    store_url: Annotated[
        str, typer.Option("--store", help="Store URL or DuckDB file.")
    ] = "andon.duckdb",
    json_out: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Trace a serial or lot backward through its genealogy, forward, or as a recall."""
    from andon.store import open_store

    if supplier is not None and not recall_lot:
        raise _mistake("--supplier names the supplier of a recalled lot: add --recall")
    if "://" not in store_url and not Path(store_url).exists():
        raise _mistake(f"no store at {store_url}: give --store a DuckDB file or a store URL")
    try:
        store = open_store(store_url)
        try:
            _answer(
                store,
                id,
                forward_trace=forward_trace,
                recall_lot=recall_lot,
                supplier=supplier,
                json_out=json_out,
            )
        finally:
            store.close()
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None


def _answer(
    store: Store,
    id: str,
    *,
    forward_trace: bool,
    recall_lot: bool,
    supplier: str | None,
    json_out: bool,
) -> None:
    from andon.trace import backward, forward, recall

    if recall_lot:
        answer = recall(store, id, supplier=supplier)
        if json_out:
            typer.echo(json.dumps(answer.to_json(), indent=1, default=str))
        else:
            _print_recall(answer)
        return
    found = forward(store, id) if forward_trace else backward(store, id)
    if json_out:
        typer.echo(json.dumps(found.to_json(), indent=1, default=str))
    else:
        _print_trace(found)
