"""Build a trace from the store: walk the genealogy, then read the story of the units reached.

One recursive statement walks the links (:func:`andon.store.genealogy_queries.genealogy_links`);
the rest are a handful of joins on the few serials and station visits it found, put
together in Polars columns. A backward trace reads what went into a serial or lot (the
component lots and serials, the stations, the process parameters, the inspections, the
stations' maintenance state and condition at the time); a forward trace what a lot reached
(every unit, its product, its order and whether that order completed).
"""

from __future__ import annotations

from typing import Final

import polars as pl
import pyarrow as pa

from andon.store import Store
from andon.store import genealogy_queries as q
from andon.trace.errors import TraceError, UnknownTraceError
from andon.trace.types import Direction, Recall, Trace

__all__ = ["CONDITION_WINDOW_US", "MAX_ID_LENGTH", "backward", "check_id", "forward", "recall"]

CONDITION_WINDOW_US: Final = 3_600_000_000
"""How far before a visit the last sample of a station's tag still tells its condition."""

MAX_ID_LENGTH: Final = 256
"""The longest serial or lot a trace accepts."""

_UNIT_SCHEMA: Final = pa.schema(
    [
        ("serial", pa.string()),
        ("product", pa.string()),
        ("lot", pa.string()),
        ("released_us", pa.int64()),
        ("first_us", pa.int64()),
        ("last_us", pa.int64()),
        ("last_station", pa.string()),
        ("site", pa.string()),
        ("order_id", pa.string()),
        ("order_completed_us", pa.int64()),
    ]
)

_VISIT_SCHEMA: Final = pa.schema(
    [
        ("serial", pa.string()),
        ("station", pa.string()),
        ("start_us", pa.int64()),
        ("end_us", pa.int64()),
    ]
)


def check_id(id: str) -> str:
    """Return ``id`` if a trace can look it up; else raise :class:`TraceError`."""
    if not id or not id.strip():
        raise TraceError("a serial or lot is required", id=id)
    if len(id) > MAX_ID_LENGTH:
        raise TraceError(f"longer than {MAX_ID_LENGTH} characters", id=id[:40] + "...")
    if any(not c.isprintable() for c in id):
        raise TraceError("holds control characters", id=id.encode("unicode_escape").decode())
    return id


def backward(store: Store, id: str) -> Trace:
    """Return what went into a serial or lot: links, units, stations, parameters, tests,
    maintenance state and condition at each visit.

    >>> from andon.store import open_store
    >>> backward(open_store("duckdb://:memory:"), "SN-1")
    Traceback (most recent call last):
    ...
    andon.trace.errors.UnknownTraceError: cannot trace 'SN-1' (1 problem(s)):
      no genealogy or unit record names 'SN-1' (expected a serial or lot) [trace.unknown]
    """
    return _trace(store, check_id(id), "backward")


def forward(store: Store, id: str) -> Trace:
    """Return everything a lot (or serial) reached: every unit, its product, site, order."""
    return _trace(store, check_id(id), "forward")


def recall(store: Store, lot: str, *, supplier: str | None = None) -> Recall:
    """Return which units contain ``lot``, split into completed and in progress, with where
    each is (its site, last station and order)."""
    trace = forward(store, lot)
    done = _frame(trace.units)
    completed = done.filter(pl.col("order_completed_us").is_not_null())
    open_units = done.filter(pl.col("order_completed_us").is_null())
    return Recall(
        lot=lot,
        supplier=supplier,
        trace=trace,
        completed=completed.to_arrow(),
        in_progress=open_units.to_arrow(),
    )


def _trace(store: Store, id: str, direction: Direction) -> Trace:
    links = q.genealogy_links(store, node=id, direction=direction)
    nodes = sorted({id, *links.column("parent").to_pylist(), *links.column("child").to_pylist()})
    rows = q.unit_rows(store, serials=nodes)
    if links.num_rows == 0 and rows.num_rows == 0 and not q.node_seen(store, node=id).anywhere:
        raise UnknownTraceError(id)
    frame = _frame(rows)
    visits = _visits(frame)
    units = _units(store, frame, _frame(links), visits)
    process = direction == "backward"
    visit_paths = visits["station"].to_list() if process else []
    visit_at = visits["start_us"].to_list() if process else []
    serials = units["serial"].to_list() if process else []
    return Trace(
        id=id,
        direction=direction,
        links=links,
        units=units.to_arrow().cast(_UNIT_SCHEMA),
        visits=visits.to_arrow().cast(_VISIT_SCHEMA),
        parameters=rows if process else rows.slice(0, 0),
        inspections=q.unit_inspections(store, serials=serials),
        maintenance=q.station_maintenance(store, paths=visit_paths, at_us=visit_at),
        condition=q.station_condition(
            store, paths=visit_paths, at_us=visit_at, window_us=CONDITION_WINDOW_US
        ),
    )


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)  # a table gives a frame
    return frame


def _visits(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per unit and station: when the unit's records there start and end."""
    return (
        rows.group_by("serial", "path")
        .agg(start_us=pl.col("ts_us").min(), end_us=pl.col("ts_us").max())
        .rename({"path": "station"})
        .sort("serial", "start_us", "station")
    )


def _units(
    store: Store, rows: pl.DataFrame, links: pl.DataFrame, visits: pl.DataFrame
) -> pl.DataFrame:
    """One row per unit serial: product, lot, times, last station, site, order."""
    released = links.group_by("child").agg(released_us=pl.col("ts_us").min())
    last = (
        visits.sort("end_us", "station")
        .group_by("serial")
        .agg(last_station=pl.col("station").last(), first_station=pl.col("station").first())
    )
    units = (
        rows.group_by("serial")
        .agg(
            product=pl.col("product").sort_by("ts_us").first(),
            lot=pl.col("lot").sort_by("ts_us").drop_nulls().first(),
            first_us=pl.col("ts_us").min(),
            last_us=pl.col("ts_us").max(),
        )
        .join(last, on="serial", how="left")
        .join(released, left_on="serial", right_on="child", how="left")
        .with_columns(released_us=pl.coalesce("released_us", "first_us"))
        .with_columns(site=pl.col("last_station").str.split("/").list.head(2).list.join("/"))
        .sort("serial")
    )
    orders = _frame(
        q.unit_orders(
            store,
            serials=units["serial"].to_list(),
            paths=units["first_station"].to_list(),
            products=units["product"].to_list(),
            released_us=units["released_us"].to_list(),
        )
    ).select("serial", "order_id", order_completed_us="completed_us")
    return units.join(orders, on="serial", how="left").select(_UNIT_SCHEMA.names)
