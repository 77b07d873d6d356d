"""``andon kpi``: ISO 22400-2 KPIs, the OEE loss tree, site comparison and data quality."""

from __future__ import annotations

import datetime as dt
import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from andon.cli._output import Column, err_console, number, out_console
from andon.cli._output import table as cli_table
from andon.errors import AndonError, KpiError
from andon.kpi import (
    KPI_DEFINITIONS,
    Grain,
    KpiSettings,
    Period,
    compare_sites,
    compute,
    data_quality,
    loss_tree,
)
from andon.model import load_model
from andon.records import RecordKind
from andon.store import Store, open_store
from andon.time import to_datetime

app = typer.Typer(help="ISO 22400-2 KPIs from the store.")


class View(StrEnum):
    """What ``andon kpi`` shows."""

    KPIS = "kpis"
    LOSSES = "losses"
    COMPARE = "compare"
    QUALITY = "quality"
    ELEMENTS = "elements"


class Format(StrEnum):
    """Output formats."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


_TABLE_COLUMNS = {
    View.KPIS: [
        "path",
        "period",
        "availability",
        "effectiveness",
        "quality_ratio",
        "oee",
        "pbt_s",
        "pq",
        "no_state_s",
    ],
    View.LOSSES: ["path", "period", "loss", "factor", "hours", "money", "share"],
    View.COMPARE: ["path", "loss", "share", "best_path", "best_share", "gap_points", "gap_hours"],
    View.QUALITY: ["code", "path", "start", "end", "quantity", "message"],
    View.ELEMENTS: ["path", "period", "pbt_s", "apt_s", "aust_s", "adet_s", "adot_s", "pq"],
}


def _when(text: str | None, option: str) -> dt.datetime | dt.date | None:
    if text is None:
        return None
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        msg = f"{option} {text!r} is not an ISO date (2026-03-02) or date-time"
        raise KpiError(msg) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def kpi(  # noqa: PLR0917 - typer turns each parameter into an option
    model_path: Annotated[Path, typer.Argument(help="Plant model YAML file or folder.")],
    grain: Annotated[Grain, typer.Option(help="Hierarchy level.")] = Grain.LINE,
    period: Annotated[Period, typer.Option(help="Reporting period, in site local time.")] = (
        Period.DAY
    ),
    start: Annotated[
        str | None,
        typer.Option(
            help="Start: an ISO date (local midnight at each site) or a date-time (UTC unless "
            "it has an offset); default the first state record."
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            help="End (exclusive), a date or a date-time; default just after the newest record "
            "(the day after it for dates)."
        ),
    ] = None,
    store: Annotated[
        str, typer.Option(help="Store URL or DuckDB file.", envvar="ANDON_STORE")
    ] = "andon.duckdb",
    view: Annotated[View, typer.Option(help="What to show.")] = View.KPIS,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
    minor_stop_s: Annotated[
        float, typer.Option(help="Unplanned stops shorter than this are minor stops, s.")
    ] = 300.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON (--format json).")] = False,
) -> None:
    """Compute ISO 22400-2 KPIs, the loss tree, a site comparison or the data-quality report."""
    try:
        frame = _run(
            model_path=model_path,
            grain=grain,
            period=period,
            start=start,
            end=end,
            store_url=store,
            view=view,
            minor_stop_s=minor_stop_s,
        )
    except AndonError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    _print(frame, view, Format.JSON if json_out else output)


def _run(
    *,
    model_path: Path,
    grain: Grain,
    period: Period,
    start: str | None,
    end: str | None,
    store_url: str,
    view: View,
    minor_stop_s: float,
) -> pl.DataFrame:
    if minor_stop_s < 0:
        msg = f"--minor-stop-s must not be negative, got {minor_stop_s}"
        raise KpiError(msg)
    start_at = _when(start, "--start")
    end_at = _when(end, "--end")
    if "://" not in store_url and not os.path.exists(store_url):  # noqa: PTH110
        msg = f"no store at {store_url!r}: give --store URL or a DuckDB file that exists"
        raise KpiError(msg)
    model = load_model(model_path)
    store = open_store(store_url)
    try:
        if end_at is None:
            end_at = _newest_end(store, model.root, dates=_is_date(start_at))
        if start_at is None:
            first = store.records(RecordKind.STATE, path_prefix=model.root, limit=1)
            if first.num_rows == 0:
                msg = f"the store {store_url} has no state records below {model.root}"
                raise KpiError(msg)
            first_ts: dt.datetime = first.column("ts")[0].as_py()
            start_at = first_ts.date() if _is_date(end_at) else first_ts
        if _is_date(start_at) != _is_date(end_at):
            msg = "give --start and --end both as dates or both as date-times"
            raise KpiError(msg)
        settings = KpiSettings(minor_stop_s=minor_stop_s)
        if view is View.QUALITY:
            with err_console.status("checking records", spinner="dots"):
                return data_quality(store, model, start=start_at, end=end_at, settings=settings)
        with err_console.status("computing KPIs", spinner="dots"):
            run = compute(
                store,
                model,
                start=start_at,
                end=end_at,
                period=period,
                settings=settings,
            )
    finally:
        store.close()
    if view is View.KPIS:
        return run.kpis(grain)
    if view is View.LOSSES:
        return loss_tree(run.elements, model, grain)
    if view is View.COMPARE:
        return compare_sites(run.elements, model, grain)
    return run.elements


def _newest_end(store: Store, root: str, *, dates: bool) -> dt.datetime | dt.date:
    """The default end: just after the newest record below ``root`` (the data's own end, not
    now, so a January history prints January), or the day after it when asked for dates."""
    newest = store.newest_records(path_prefix=root)
    if newest.num_rows == 0:
        msg = f"the store has no records below {root}"
        raise KpiError(msg)
    last = to_datetime(max(newest.column("ts").to_pylist()) + 1)
    return last.date() + dt.timedelta(days=1) if dates else last


def _print(frame: pl.DataFrame, view: View, output: Format) -> None:
    if output is Format.CSV:
        typer.echo(_plain(frame).write_csv(), nl=False)
        return
    if output is Format.JSON:
        typer.echo(json.dumps(_plain(frame).to_dicts(), default=str, indent=1))
        return
    columns = [c for c in _TABLE_COLUMNS[view] if c in frame.columns]
    numeric = {c for c in columns if frame.schema[c].is_numeric()}
    table = cli_table(
        *(
            Column(_LABELS.get(c, c), numeric=c in numeric, wrap=c not in {"period", "start"})
            for c in columns
        ),
        title=f"andon kpi: {view.value}",
    )
    directions = {k.name: k.direction.value for k in KPI_DEFINITIONS}
    for row in frame.select(columns).iter_rows():
        table.add_row(*(_cell(value) for value in row))
    out_console.print(table)
    if view is View.KPIS:
        shown = [c for c in columns if c in directions]
        out_console.print(
            "higher is better: "
            + ", ".join(c for c in shown if directions[c] == "higher")
            + f"; {frame.height} rows; --format csv or json for every KPI and element"
        )


_LABELS = {
    "availability": "avail.",
    "effectiveness": "effect.",
    "quality_ratio": "quality",
    "oee": "OEE",
    "pbt_s": "PBT s",
    "apt_s": "APT s",
    "aust_s": "AUST s",
    "adet_s": "ADET s",
    "adot_s": "ADOT s",
    "pq": "PQ",
    "no_state_s": "no state s",
    "best_path": "best",
    "best_share": "best share",
    "gap_points": "gap pts",
    "gap_hours": "gap h",
}
"""Short headers, so that a table of ratios fits 80 columns (``--format`` keeps the names)."""


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        [pl.col(c).dt.to_string() for c, t in frame.schema.items() if isinstance(t, pl.Datetime)]
    )


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return number(value, digits=3)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    return str(value)
