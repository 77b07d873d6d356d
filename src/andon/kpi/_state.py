"""The stored KPI state: day elements per equipment, revised when late records arrive.

Elements per equipment and local day are the mergeable state of every KPI: weeks and
months are unions of local days, so they are sums of day rows, and so are lines, areas and
sites. The state lives in the store as an append-only table: each (equipment, day) row
carries a ``revision`` and ``computed_at``; a recomputation that changes a day appends a new
revision, so a KPI reported yesterday and corrected today shows that it was corrected.

The table is declared to the store with its schema and a version (:data:`STATE_SCHEMA`):
adding an element is a new version, and as the state is derived from the records, a new
version empties the table (``rebuild``) and the next refresh computes the days again.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import polars as pl
import pyarrow as pa

from andon.errors import KpiError, StoreError
from andon.kpi._calendar import Period
from andon.kpi._elements import (
    COUNT_ELEMENTS,
    ELEMENT_COLUMNS,
    TIME_ELEMENTS,
    KpiSettings,
    with_roles,
)
from andon.kpi._report import compute
from andon.model import Model
from andon.records import PATH_COLUMNS, TS_TYPE, RecordKind, to_micros
from andon.store import AuxTable
from andon.store.base import Store, TimeArg
from andon.time import DAY_US as _DAY_US

__all__ = ["STATE_SCHEMA", "STATE_TABLE", "late_range", "refresh", "rollup", "stored_elements"]

STATE_TABLE: Final = "kpi_day_elements"
"""Auxiliary store table of day elements with ``revision`` and ``computed_at``."""

STATE_SCHEMA: Final = AuxTable(
    name=STATE_TABLE,
    version=1,
    schema=pa.schema(
        [
            pa.field("path", pa.string()),
            pa.field("site", pa.string()),
            pa.field("period", pa.string()),
            pa.field("period_start", TS_TYPE),
            pa.field("period_end", TS_TYPE),
            *(pa.field(name, pa.float64()) for name in TIME_ELEMENTS),
            *(pa.field(name, pa.int64()) for name in COUNT_ELEMENTS),
            pa.field("revision", pa.int64()),
            pa.field("computed_at", TS_TYPE),
        ]
    ),
    rebuild=True,
    description="day elements with the inspection elements iq and fpq",
)
"""The stored day state's schema. Version 1 is the layout that first held ``iq`` and
``fpq`` (a store's earlier ``kpi_day_elements`` without them is emptied and computed again
by the next refresh). A new element is a new version here."""

_KEY: Final = ("path", "period_start")


def stored_elements(
    store: Store, *, start: TimeArg = None, end: TimeArg = None, all_revisions: bool = False
) -> pl.DataFrame:
    """Return the stored day elements (the latest revision of each day unless asked for all)."""
    try:
        table = store.read_table(STATE_TABLE)
    except StoreError:  # never refreshed: the table is declared by the first refresh
        return pl.DataFrame()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if not frame.height:
        return frame
    frame = frame.with_columns(
        pl.col("period_start").dt.convert_time_zone("UTC"),
        pl.col("period_end").dt.convert_time_zone("UTC"),
        pl.col("computed_at").dt.convert_time_zone("UTC"),
    )
    if start is not None:
        frame = frame.filter(pl.col("period_end").dt.epoch("us") > to_micros(start))
    if end is not None:
        frame = frame.filter(pl.col("period_start").dt.epoch("us") < to_micros(end))
    if not all_revisions:
        frame = frame.sort("revision").group_by(list(_KEY)).last()
    return frame.sort("path", "period_start", "revision")


def refresh(
    store: Store,
    model: Model,
    *,
    start: TimeArg,
    end: TimeArg,
    settings: KpiSettings | None = None,
    computed_at: dt.datetime | None = None,
) -> pl.DataFrame:
    """Recompute the day elements touching ``[start, end)``; store and return what changed.

    Days are recomputed whole (the range is widened to full local days of every site). A day
    whose elements differ from its stored revision, or that was never stored, is appended
    with the next revision; an unchanged day is left alone. The returned rows are the new
    revisions, so a caller sees exactly which periods late data changed.
    """
    if start is None or end is None:
        msg = "give both start and end of the range to refresh"
        raise KpiError(msg)
    lo, hi = to_micros(start), to_micros(end)
    store.declare_table(STATE_SCHEMA)
    now = computed_at or dt.datetime.now(dt.UTC)
    widened = lo - 2 * _DAY_US
    # Whole days on both sides, but never past now: the last state is not extrapolated
    # into the future (a day still running is stored partial and revised later).
    until = max(min(hi + 2 * _DAY_US, to_micros(now)), hi)
    run = compute(store, model, start=widened, end=until, period=Period.DAY, settings=settings)
    fresh = run.elements.filter(
        (pl.col("period_start").dt.epoch("us") >= widened)
        & (pl.col("period_end").dt.epoch("us") > lo)
        & (pl.col("period_start").dt.epoch("us") < hi)
    )
    fresh = fresh.filter(pl.col("path").is_in(list(model.equipment)))
    previous = stored_elements(store, start=lo, end=hi)
    if previous.height:
        joined = fresh.join(
            previous.select(
                *_KEY, *[pl.col(c).alias(f"{c}__old") for c in ELEMENT_COLUMNS], "revision"
            ),
            on=list(_KEY),
            how="left",
        )
        differs = pl.lit(value=False)
        for name in TIME_ELEMENTS:
            differs = differs | ((pl.col(name) - pl.col(f"{name}__old")).abs() > 1e-6)
        for name in COUNT_ELEMENTS:
            differs = differs | (pl.col(name) != pl.col(f"{name}__old"))
        changed = joined.filter(pl.col("revision").is_null() | differs).with_columns(
            revision=pl.col("revision").fill_null(0) + 1
        )
        changed = changed.drop([f"{c}__old" for c in ELEMENT_COLUMNS])
    else:
        changed = fresh.with_columns(revision=pl.lit(1, pl.Int64))
    changed = changed.with_columns(
        revision=pl.col("revision").cast(pl.Int64),
        computed_at=pl.lit(now).dt.convert_time_zone("UTC"),
    )
    if changed.height:
        store.write_table(STATE_TABLE, _arrow(changed))
    return changed


def _arrow(frame: pl.DataFrame) -> pa.Table:
    """Return the changed days in the declared schema's columns and types."""
    schema = STATE_SCHEMA.schema
    return frame.select(schema.names).to_arrow().cast(schema)


def late_range(store: Store, kind: RecordKind | str, batch: pa.Table) -> tuple[int, int] | None:
    """Return the UTC range a batch of late records can change, or ``None`` for no rows.

    A late count, energy or maintenance record changes the day it falls in; a late state
    record changes the time from its ``ts`` until the next state record of that equipment.
    """
    kind = RecordKind(kind)
    if batch.num_rows == 0:
        return None
    frame = pl.from_arrow(batch.select(["ts", PATH_COLUMNS.get(kind, "ts")]))
    assert isinstance(frame, pl.DataFrame)
    ts = frame["ts"].dt.epoch("us").to_numpy()
    lo, hi = int(ts.min()), int(ts.max()) + 1
    if kind is RecordKind.STATE:
        for path in frame["path"].unique().to_list():
            after = store.records(RecordKind.STATE, path_prefix=path, start=hi, limit=1)
            if after.num_rows:
                hi = max(hi, to_micros(after.column("ts")[0].as_py()) + 1)
            else:
                hi = max(hi, hi + _DAY_US)
    return lo, hi


def rollup(day_elements: pl.DataFrame, model: Model, period: Period | str) -> pl.DataFrame:
    """Sum day elements into weeks or months of each site's local calendar.

    Weeks (ISO, from Monday) and months are unions of local days, so their elements are
    exact sums of day rows; shifts are not (a night shift crosses midnight) and are refused.
    """
    chosen = Period(period)
    day_elements = with_roles(day_elements, model) if day_elements.height else day_elements
    if chosen is Period.DAY:
        return day_elements
    if chosen not in (Period.WEEK, Period.MONTH):
        msg = f"day elements roll up to week or month, not {chosen.value}"
        raise KpiError(msg)
    every, fmt = ("1w", "%G-W%V") if chosen is Period.WEEK else ("1mo", "%Y-%m")
    parts = []
    extra = [c for c in ("revision",) if c in day_elements.columns]
    for site_path, site in model.sites.items():
        sub = day_elements.filter(pl.col("site") == site_path)
        if not sub.height:
            continue
        local = pl.col("period_start").dt.convert_time_zone(site.timezone)
        start_local = local.dt.truncate(every)
        sub = sub.with_columns(
            period=start_local.dt.strftime(fmt),
            period_start=start_local.dt.convert_time_zone("UTC"),
            period_end=start_local.dt.offset_by(every).dt.convert_time_zone("UTC"),
        )
        aggs = [pl.col(c).sum() for c in ELEMENT_COLUMNS]
        aggs += [pl.col(c).max() for c in extra]
        if "computed_at" in sub.columns:
            aggs.append(pl.col("computed_at").max())
        parts.append(sub.group_by("path", "site", "period", "period_start", "period_end").agg(aggs))
    if not parts:
        return day_elements.clear()
    return with_roles(pl.concat(parts), model).sort("path", "period_start")
