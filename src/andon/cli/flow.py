"""``andon flow``: OCEL 2.0 out of the store and in from files, and the flow they show."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from andon.cli._output import fail, out_console
from andon.cli._output import table as cli_table
from andon.errors import AndonError, InputError, Problem

app = typer.Typer(help="Object-centric event logs (OCEL 2.0) and the flow of orders and units.")

_FAR: int = 2**62


class OcelFormat(StrEnum):
    """The three formats of the OCEL 2.0 specification."""

    JSON = "ocel-json"
    XML = "ocel-xml"
    SQLITE = "ocel-sqlite"


def _micros(text: str | None, option: str, default: int) -> int:
    if text is None:
        return default
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        msg = f"{option} {text!r} is not an ISO date or date-time (2026-03-02T06:00:00Z)"
        raise InputError(msg, [Problem(code="flow.bad_time", message=msg)]) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() * 1_000_000)


def _abort(exc: AndonError) -> typer.Exit:
    fail(exc)
    return typer.Exit(code=2)


@app.command("export")
def export(  # noqa: PLR0917 - typer turns each parameter into an option
    out: Annotated[Path, typer.Argument(help="The file to write (.json, .xml, .sqlite).")],
    output_format: Annotated[
        OcelFormat | None,
        typer.Option("--format", help="The format; default from the file's name."),
    ] = None,
    store: Annotated[
        str, typer.Option(help="Store URL or DuckDB file.", envvar="ANDON_STORE")
    ] = "andon.duckdb",
    start: Annotated[str | None, typer.Option(help="Start, ISO (UTC unless an offset).")] = None,
    end: Annotated[str | None, typer.Option(help="End (exclusive), ISO.")] = None,
    states: Annotated[
        bool, typer.Option(help="Equipment states as time-varying attributes.")
    ] = True,
) -> None:
    """Write the orders, units, lots, equipment and work orders of the store as OCEL 2.0."""
    from andon import ocel
    from andon.apps.flow import store_log
    from andon.store import open_store

    try:
        first, last = _micros(start, "--start", 0), _micros(end, "--end", _FAR)
        fmt = output_format.value if output_format else ocel.format_of(out)
        _check_store(store)
        opened = open_store(store)
        try:
            log = store_log(opened, start=first, end=last, equipment_states=states)
        finally:
            opened.close()
        ocel.write(log, out, fmt)
    except AndonError as exc:
        raise _abort(exc) from None
    counts = log.counts()
    out_console.print(
        f"{out}: {counts['events']:,} events, {counts['objects']:,} objects, "
        f"{counts['e2o']:,} event-object and {counts['o2o']:,} object-object relations",
        highlight=False,
    )


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="An OCEL 2.0 file (JSON, XML, SQLite) or XES.")],
    input_format: Annotated[
        OcelFormat | None, typer.Option("--format", help="The format; default from the name.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the checked log here (another format too).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Read and check an OCEL 2.0 log (every problem with its place); write it elsewhere."""
    from andon import ocel

    try:
        log = _read(path, input_format)
        if out is not None:
            ocel.write(log, out)
    except AndonError as exc:
        raise _abort(exc) from None
    counts = log.counts()
    if json_out:
        print(json.dumps(counts))
        return
    out_console.print(
        ", ".join(f"{name} {value:,}" for name, value in counts.items()), highlight=False
    )


def _read(path: Path, fmt: OcelFormat | None) -> Any:
    from andon import ocel

    suffixes = [s.lower() for s in path.suffixes]
    if fmt is None and ".xes" in suffixes:
        return ocel.read_xes(path)
    return ocel.read(path, fmt.value if fmt else None)


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


@app.command("show")
def show(
    path: Annotated[
        Path | None,
        typer.Argument(help="An OCEL 2.0 file (JSON, XML, SQLite) or XES; none: the store."),
    ] = None,
    store: Annotated[
        str, typer.Option(help="Store URL or DuckDB file.", envvar="ANDON_STORE")
    ] = "andon.duckdb",
    object_type: Annotated[
        list[str] | None, typer.Option("--type", help="Only these object types.")
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="Rows per view.")] = 10,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the directly-follows graph, the waiting per activity and the variants."""
    from andon import ocel
    from andon.apps.flow.analysis import variants, waiting

    try:
        log = _read(path, None) if path is not None else _store_log(store)
        types = object_type or None
        known = set(log.object_types)
        unknown = [t for t in types or () if t not in known]
        if unknown:
            msg = (
                f"object type {unknown[0]!r} is not in the log (it has {', '.join(sorted(known))})"
            )
            raise InputError(msg, [Problem(code="flow.unknown_type", message=msg)])
    except AndonError as exc:
        raise _abort(exc) from None
    graph = ocel.directly_follows(log, object_types=types)
    edges = graph.edges.sort("frequency", descending=True).head(top)
    waits = waiting(log, object_types=types).head(top)
    paths = variants(log, object_types=types).sort("objects", descending=True).head(top)
    if json_out:
        print(
            json.dumps(
                {"edges": _rows(edges), "waiting": _rows(waits), "variants": _rows(paths)},
                default=str,
            )
        )
        return
    _print(edges, ["object_type", "source", "target", "frequency", "median_s", "p90_s"], "edges")
    _print(waits, ["object_type", "activity", "count", "median_s", "p90_s", "hours"], "waiting")
    _print(paths, ["object_type", "objects", "share", "variant"], "variants")


def _print(frame: pl.DataFrame, columns: list[str], title: str) -> None:
    from andon.cli._output import number

    view = cli_table(*columns, title=title)
    for row in frame.select(columns).iter_rows():
        view.add_row(
            *(number(v) if isinstance(v, int | float) else "" if v is None else str(v) for v in row)
        )
    out_console.print(view)


@app.command("delays")
def delays_command(  # noqa: PLR0917 - typer turns each parameter into an option
    store: Annotated[
        str, typer.Option(help="Store URL or DuckDB file.", envvar="ANDON_STORE")
    ] = "andon.duckdb",
    start: Annotated[str | None, typer.Option(help="Start, ISO (UTC unless an offset).")] = None,
    end: Annotated[str | None, typer.Option(help="End (exclusive), ISO.")] = None,
    top: Annotated[int, typer.Option(min=1, help="Causes shown.")] = 10,
    model_path: Annotated[
        Path | None,
        typer.Option("--model", help="Plant model: unit prices value the lost hours."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the causes of delay by hours lost and the bottleneck of each line."""
    from andon.apps.flow.delay import delays
    from andon.model import load_model
    from andon.store import open_store

    try:
        prices = None
        if model_path is not None:
            model = load_model(model_path)
            prices = {name: product.unit_price for name, product in model.products.items()}
        first, last = _micros(start, "--start", 0), _micros(end, "--end", _FAR)
        _check_store(store)
        opened = open_store(store)
        try:
            if end is None:
                last = _newest(opened, first)
            report = delays(opened, start=first, end=last, unit_prices=prices)
        finally:
            opened.close()
    except AndonError as exc:
        raise _abort(exc) from None
    causes = report.causes.head(top)
    if json_out:
        print(json.dumps({"causes": _rows(causes), "lines": _rows(report.lines)}, default=str))
        return
    _print(causes, ["station", "cause", "hours", "steps", "share"], "causes of delay")
    columns = ["line", "bottleneck", "limited_by", "active_share", "lost_h", "lost_value"]
    _print(report.lines, columns, "bottlenecks")


def _store_log(store: str) -> Any:
    from andon.apps.flow import store_log
    from andon.store import open_store

    _check_store(store)
    opened = open_store(store)
    try:
        return store_log(opened, start=0, end=_FAR, equipment_states=False)
    finally:
        opened.close()


def _check_store(store: str) -> None:
    if not Path(store).exists() and "://" not in store:
        msg = f"no store at {store!r}"
        raise InputError(msg, [Problem(code="flow.no_store", message=msg, file=store)])


def _newest(store: Any, start: int) -> int:
    """Just after the newest order or unit record: the end that closes the last states."""
    import pyarrow.compute as pc

    from andon.store import flow_queries as fq

    newest = [
        pc.max(table.column("ts_us")).as_py()
        for table in (
            fq.orders(store, start=start, end=_FAR),
            fq.unit_visits(store, start=start, end=_FAR),
        )
    ]
    return max((t for t in newest if t is not None), default=start) + 1
