"""What the quality app reads from the store for the units of a range of time.

Each unit's records, its inspections and genealogy (:mod:`andon.store.quality_queries`), the
closed work orders and changeovers of the plant, and the hourly means of the condition tags
of every machine the units passed (summed in the store, :func:`andon.store.queries.tag_step_sums`),
scaled to each tag's range so that machines of one class speak on one scale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from andon.apps.quality.signature import UnitTables, frame_of
from andon.model import Model
from andon.store import quality_queries as qq
from andon.store.base import Store
from andon.store.queries import tag_step_sums
from andon.time import HOUR_US

__all__ = ["CONDITION_SCHEMA", "load_unit_tables"]

CONDITION_SCHEMA = {
    "equipment": pl.Utf8,
    "tag": pl.Utf8,
    "hour": pl.Int64,
    "value": pl.Float64,
}
"""Columns of :attr:`UnitTables.condition`."""


def _condition(
    store: Store, model: Model, equipment: list[str], start: int, end: int
) -> pl.DataFrame:
    tags = [
        info
        for path in equipment
        for info in (t for t in model.tags.values() if t.equipment_path == path)
    ]
    tags.sort(key=lambda t: t.path)
    if not tags:
        return pl.DataFrame(schema=CONDITION_SCHEMA)
    positions = {path: k for k, path in enumerate(equipment)}
    sums = frame_of(
        tag_step_sums(
            store,
            tags=[t.path for t in tags],
            tag_equipment=[positions[t.equipment_path] for t in tags],
            equipment=equipment,
            start=start,
            end=end,
            step_us=HOUR_US,
        )
    )
    if sums.height == 0:
        return pl.DataFrame(schema=CONDITION_SCHEMA)
    lows = np.array([t.definition.min if t.definition.min is not None else 0.0 for t in tags])
    highs = np.array([t.definition.max if t.definition.max is not None else 1.0 for t in tags])
    spans = np.where(highs > lows, highs - lows, 1.0)
    info = pl.DataFrame(
        {
            "tag": np.arange(len(tags), dtype=np.int64),
            "equipment": [t.equipment_path for t in tags],
            "name": [t.definition.name for t in tags],
            "low": lows,
            "span": spans,
        }
    )
    return (
        sums.with_columns(pl.col("tag").cast(pl.Int64), pl.col("step").cast(pl.Int64))
        .join(info, on="tag", how="inner")
        .select(
            "equipment",
            pl.col("name").alias("tag"),
            pl.col("step").alias("hour"),
            ((pl.col("total") / pl.col("n") - pl.col("low")) / pl.col("span")).alias("value"),
        )
        .sort(["equipment", "tag", "hour"])
    )


def load_unit_tables(
    store: Store,
    model: Model,
    *,
    start: int,
    end: int,
    serials: Sequence[str] | None = None,
    lots: Sequence[str] | None = None,
) -> UnitTables:
    """Return the records behind the units seen in ``[start, end)``, or behind ``serials``,
    or behind the units of ``lots`` (their records before ``end``), see :class:`UnitTables`."""
    picked = {"serials": serials, "lots": lots}
    units = frame_of(qq.unit_signatures(store, start=start, end=end, **picked))
    first = int(units.get_column("ts_us").min()) if units.height else start  # type: ignore[arg-type]
    equipment = sorted(
        p for p in units.get_column("path").unique().to_list() if p in model.equipment
    )
    return UnitTables(
        units=units,
        inspections=frame_of(qq.inspections(store, start=start, end=end, **picked)),
        genealogy=frame_of(qq.genealogy_links(store, start=start, end=end, **picked)),
        closes=frame_of(qq.maintenance_closes(store, end=end)),
        setups=frame_of(qq.setups(store, start=first - 7 * 24 * HOUR_US, end=end)),
        condition=_condition(store, model, equipment, first, end),
    )
