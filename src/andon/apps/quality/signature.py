"""Each unit's signature as one row of features: its stations, their machines, its context.

A unit's story is spread over many records: one ``unit`` record per parameter at every
station it passed, the genealogy that names its lot, the work orders and condition tags of
each machine that processed it, the site's calendar and the changeovers around it. This
module joins them, in columns, into one row per serial:

* ``z:{cell}.{parameter}``: the parameter's deviation from its product's mean, in the
  product's standard deviations at that station (learnt at fit, :class:`ParameterScale`);
* ``dlot:{cell}.{parameter}``: the same deviation from the mean of the unit's lot;
* ``absz:`` and ``absdlot:`` the sizes of both deviations (a defect that follows a
  parameter off in either direction is one split away, not two);
* ``cond:{cell}.{tag}``: the hourly mean of the station machine's condition tag when the
  unit passed, as a share of the tag's range (the machine's health proxy);
* ``maint_h:{cell}``: hours since a work order on that machine was last closed;
* ``setup_h:{cell}``: hours since the machine's last changeover began;
* ``shift`` and ``hour``: the site's shift (position in its calendar, -1 outside) and the
  local hour when the unit started;
* ``missing_stations``: stations of the product's routing before the unit's last one that
  left no record (a gap in its genealogy the risk cannot see through).

Pure functions on Polars frames; the store's questions are in
:mod:`andon.store.quality_queries`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from andon.model import Model
from andon.model.calendar import SiteCalendar
from andon.time import HOUR_US

__all__ = [
    "CONTEXT_COLUMNS",
    "ParameterScale",
    "UnitTables",
    "parameter_scale",
    "unit_frame",
    "unit_outcomes",
]

CONTEXT_COLUMNS = ("shift", "hour", "missing_stations")
"""Feature columns every signature frame has, whatever its stations."""

_DIGITS = 6
"""Decimals kept of each feature."""

_CELL = r"^(?:[^/]+/){4}([^/]+)/"
_LINE = r"^((?:[^/]+/){3}[^/]+)/"


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitTables:
    """The records behind the units of a range of time, as the store gives them.

    ``units``, ``inspections``, ``genealogy``, ``closes`` and ``setups`` are the tables of
    :mod:`andon.store.quality_queries`; ``condition`` has columns ``equipment``, ``tag``
    (name), ``hour`` (``ts // HOUR_US``) and ``value`` (the hourly mean as a share of the
    tag's range).
    """

    units: pl.DataFrame
    inspections: pl.DataFrame
    genealogy: pl.DataFrame
    closes: pl.DataFrame
    setups: pl.DataFrame
    condition: pl.DataFrame


@dataclass(frozen=True, slots=True)
class ParameterScale:
    """Per product and ``cell.parameter``: the mean and standard deviation seen at fit."""

    frame: pl.DataFrame
    """Columns ``product``, ``key``, ``mean``, ``sd``."""

    def to_json(self) -> dict[str, list[object]]:
        """Return the scale as JSON columns."""
        return {name: self.frame.get_column(name).to_list() for name in self.frame.columns}

    @classmethod
    def from_json(cls, data: Mapping[str, Sequence[object]]) -> ParameterScale:
        """Return the scale a :meth:`to_json` object describes."""
        return cls(
            pl.DataFrame(
                {k: list(v) for k, v in data.items()},
                schema={"product": pl.Utf8, "key": pl.Utf8, "mean": pl.Float64, "sd": pl.Float64},
            )
        )


def frame_of(table: pa.Table) -> pl.DataFrame:
    """Return an Arrow table as a Polars frame."""
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a table gives a frame
        msg = "expected a table"
        raise TypeError(msg)
    return frame


def _keyed(units: pl.DataFrame) -> pl.DataFrame:
    return (
        units.filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
        .with_columns(
            pl.col("path").str.extract(_CELL).alias("cell"),
            pl.col("path").str.extract(_LINE).alias("line"),
        )
        .with_columns((pl.col("cell") + "." + pl.col("parameter")).alias("key"))
    )


def parameter_scale(units: pl.DataFrame) -> ParameterScale:
    """Return the mean and standard deviation of each product's ``cell.parameter``."""
    keyed = _keyed(units)
    frame = (
        keyed.group_by(["product", "key"])
        .agg(
            pl.col("value").mean().round(9).alias("mean"),
            pl.col("value").std().round(9).alias("sd"),
        )
        .with_columns(
            pl.when(pl.col("sd").is_null() | (pl.col("sd") <= 0))
            .then(None)
            .otherwise(pl.col("sd"))
            .alias("sd")
        )
        .sort(["product", "key"])
    )
    return ParameterScale(frame)


def unit_outcomes(inspections: pl.DataFrame) -> pl.DataFrame:
    """Return per inspected serial whether any inspection failed, and its last test value.

    Columns ``serial``, ``failed``, ``inspected_us`` (the first inspection), ``test_value``
    (the value of its last inspection, null when it gave none).
    """
    return (
        inspections.sort(["serial", "ts_us", "path", "test"])
        .group_by("serial", maintain_order=True)
        .agg(
            (~pl.col("passed")).any().alias("failed"),
            pl.col("ts_us").min().alias("inspected_us"),
            pl.col("value").last().alias("test_value"),
        )
    )


def _units_head(keyed: pl.DataFrame, genealogy: pl.DataFrame) -> pl.DataFrame:
    """One row per serial: product, line, lot (the record's, else its genealogy parent),
    first and last station times."""
    head = keyed.group_by("serial").agg(
        pl.col("product").first(),
        pl.col("line").sort_by("ts_us").first(),
        pl.col("lot").drop_nulls().first(),
        pl.col("ts_us").min().alias("first_us"),
        pl.col("ts_us").max().alias("last_us"),
    )
    parents = (
        genealogy.filter(pl.col("relation") == "consumed")
        .sort(["child", "ts_us", "parent"])
        .group_by("child")
        .agg(pl.col("parent").first().alias("parent_lot"))
        .rename({"child": "serial"})
    )
    return (
        head.join(parents, on="serial", how="left")
        .with_columns(pl.coalesce("lot", "parent_lot").alias("lot"))
        .drop("parent_lot")
    )


def _parameter_features(keyed: pl.DataFrame, scale: ParameterScale) -> pl.DataFrame:
    values = (
        keyed.group_by(["serial", "product", "lot", "key"])
        .agg(pl.col("value").mean())
        .join(scale.frame, on=["product", "key"], how="left")
        .with_columns(((pl.col("value") - pl.col("mean")) / pl.col("sd")).alias("z"))
        .with_columns(
            (pl.col("z") - pl.col("z").mean().over(["product", "lot", "key"])).alias("dlot")
        )
    )
    z = values.pivot(on="key", index="serial", values="z", aggregate_function="first")
    dlot = values.pivot(on="key", index="serial", values="dlot", aggregate_function="first")
    keys = [c for c in z.columns if c != "serial"]
    z = z.rename({c: f"z:{c}" for c in keys})
    dlot = dlot.rename({c: f"dlot:{c}" for c in keys if c in dlot.columns})
    sizes = [pl.col(f"z:{c}").abs().alias(f"absz:{c}") for c in keys]
    out = z.join(dlot, on="serial", how="full", coalesce=True)
    lot_sizes = [
        pl.col(f"dlot:{c}").abs().alias(f"absdlot:{c}") for c in keys if f"dlot:{c}" in out.columns
    ]
    return out.with_columns(sizes + lot_sizes)


def _hours_since(visits: pl.DataFrame, events: pl.DataFrame, name: str) -> pl.DataFrame:
    """Hours from the newest ``events`` row of each equipment to each visit (null: none)."""
    ev = (
        events.select(pl.col("path").alias("equipment"), pl.col("ts_us").alias("event_us"))
        .unique()
        .sort(["equipment", "event_us"])
    )
    joined = visits.sort("ts_us").join_asof(
        ev.sort("event_us"),
        left_on="ts_us",
        right_on="event_us",
        by="equipment",
        strategy="backward",
        check_sortedness=False,  # each side is sorted by time, as the join needs
    )
    return joined.with_columns(
        ((pl.col("ts_us") - pl.col("event_us")) / HOUR_US).alias(name)
    ).select("serial", "cell", name)


def _station_features(keyed: pl.DataFrame, tables: UnitTables) -> pl.DataFrame:
    visits = keyed.group_by(["serial", "cell"]).agg(
        pl.col("path").sort_by("ts_us").first().alias("equipment"),
        pl.col("ts_us").min(),
    )
    visits = visits.with_columns((pl.col("ts_us") // HOUR_US).alias("hour"))
    parts: list[pl.DataFrame] = []
    if tables.condition.height:
        cond = visits.join(tables.condition, on=["equipment", "hour"], how="inner").with_columns(
            ("cond:" + pl.col("cell") + "." + pl.col("tag")).alias("key")
        )
        if cond.height:
            parts.append(
                cond.pivot(on="key", index="serial", values="value", aggregate_function="first")
            )
    for events, prefix in ((tables.closes, "maint_h"), (tables.setups, "setup_h")):
        since = _hours_since(visits, events, "h").with_columns(
            (f"{prefix}:" + pl.col("cell")).alias("key")
        )
        parts.append(since.pivot(on="key", index="serial", values="h", aggregate_function="first"))
    out = parts[0]
    for part in parts[1:]:
        out = out.join(part, on="serial", how="full", coalesce=True)
    return out


def _missing_stations(keyed: pl.DataFrame, model: Model) -> pl.DataFrame:
    """Per serial, the routing cells before its last station that left no record."""
    rows: list[tuple[str, str, str, int]] = []
    for product in model.products.values():
        for routing in product.routings:
            for position, step in enumerate(routing.steps):
                rows.append((product.id, routing.line, step.cell, position))
    if not rows:
        return keyed.select("serial").unique().with_columns(pl.lit(0).alias("missing_stations"))
    steps = pl.DataFrame(
        rows, schema=["product", "line_rel", "cell", "position"], orient="row"
    ).with_columns(pl.col("position").cast(pl.Int64))
    enterprise = model.root
    steps = steps.with_columns((pl.lit(enterprise + "/") + pl.col("line_rel")).alias("line"))
    seen = keyed.select("serial", "product", "line", "cell").unique()
    placed = seen.join(steps, on=["product", "line", "cell"], how="inner")
    reach = placed.group_by(["serial", "product", "line"]).agg(
        pl.col("position").max().alias("last"), pl.col("position").n_unique().alias("seen")
    )
    return reach.select(
        "serial", (pl.col("last") + 1 - pl.col("seen")).cast(pl.Int64).alias("missing_stations")
    )


def _context(head: pl.DataFrame, model: Model) -> pl.DataFrame:
    """Shift position and local hour at each unit's first station, from its site calendar."""
    first = head.get_column("first_us").to_numpy().astype(np.int64)
    lines = head.get_column("line").to_list()
    shift = np.full(len(first), -1, dtype=np.int64)
    hour = np.zeros(len(first), dtype=np.int64)
    sites = np.array(["/".join(str(line).split("/")[:2]) for line in lines], dtype=object)
    for site_path in sorted(set(sites.tolist())):
        site = model.elements.get(site_path)
        mask = sites == site_path
        if site is None or not mask.any():
            continue
        cal = SiteCalendar.of(model.site_of(site_path))
        times = first[mask]
        hour[mask] = cal.local_hours(times)[0]
        spans = cal.shifts(int(times.min()), int(times.max()) + 1)
        if not spans:
            continue
        starts = np.array([s.start for s in spans], dtype=np.int64)
        ends = np.array([s.end for s in spans], dtype=np.int64)
        index = np.array([s.shift_index for s in spans], dtype=np.int64)
        k = np.searchsorted(starts, times, side="right") - 1
        inside = (k >= 0) & (times < ends[np.clip(k, 0, None)])
        shift[mask] = np.where(inside, index[np.clip(k, 0, None)], -1)
    return pl.DataFrame(
        {
            "serial": head.get_column("serial"),
            "shift": shift,
            "hour": hour,
        }
    )


def unit_frame(tables: UnitTables, model: Model, scale: ParameterScale) -> pl.DataFrame:
    """Return one row per serial: ``serial``, ``product``, ``line``, ``lot``, ``first_us``,
    ``last_us`` and the feature columns (see the module docstring), sorted by serial."""
    keyed = _keyed(tables.units)
    if keyed.height == 0:
        return pl.DataFrame(
            schema={
                "serial": pl.Utf8,
                "product": pl.Utf8,
                "line": pl.Utf8,
                "lot": pl.Utf8,
                "first_us": pl.Int64,
                "last_us": pl.Int64,
                **dict.fromkeys(CONTEXT_COLUMNS, pl.Float64),
            }
        )
    head = _units_head(keyed, tables.genealogy)
    keyed = keyed.drop("lot").join(head.select("serial", "lot"), on="serial", how="left")
    out = (
        head.join(_context(head, model), on="serial", how="left")
        .join(_missing_stations(keyed, model), on="serial", how="left")
        .join(_parameter_features(keyed, scale), on="serial", how="left")
        .join(_station_features(keyed, tables), on="serial", how="left")
        .with_columns(pl.col("missing_stations").fill_null(0))
    )
    # Sums of floats depend on the order the rows were added in: rounded, the features of
    # the same facts are the same whatever order the store holds them in.
    features = [c for c in out.columns if out.schema[c] == pl.Float64]
    return out.with_columns(pl.col(features).round(_DIGITS)).sort("serial")
