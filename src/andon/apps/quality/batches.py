"""The batches of a plant's process cells, read from the store for real-time release.

:func:`fit_regions` fits each batch product's normal region (:mod:`andon.apps.quality.release`)
on the batches the lab judged in a window; :func:`awaiting_lab` gives the batches whose
whole signature is recorded but whose lab result is not, with their T² and whether they lie
inside their product's region.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from andon.apps.quality.release import (
    ReleaseRegion,
    batch_lines,
    batch_signatures,
    fit_region,
    signature_variables,
)
from andon.apps.quality.signature import frame_of
from andon.apps.quality.spc import CannotJudge
from andon.model import Model
from andon.store import quality_queries as qq
from andon.store.base import Store

__all__ = ["awaiting_lab", "fit_regions"]


def _batch_units(store: Store, model: Model, *, start: int, end: int) -> pl.DataFrame:
    lines = batch_lines(model)
    units = frame_of(qq.unit_signatures(store, start=start, end=end))
    if not lines or units.height == 0:
        return units.clear()
    return units.filter(pl.any_horizontal([pl.col("path").str.starts_with(f"{p}/") for p in lines]))


def _lab_results(store: Store, *, start: int, end: int) -> pl.DataFrame:
    """Each serial's first inspection before ``end``: ``serial``, ``passed``, ``lab_us``."""
    rows = frame_of(qq.inspections(store, start=start, end=end))
    if rows.height == 0:
        return pl.DataFrame(schema={"serial": pl.Utf8, "passed": pl.Boolean, "lab_us": pl.Int64})
    return (
        rows.sort(["ts_us", "serial"])
        .group_by("serial")
        .agg(pl.col("passed").first(), pl.col("ts_us").first().alias("lab_us"))
    )


def fit_regions(
    store: Store,
    model: Model,
    *,
    start: int,
    end: int,
    false_alarm_rate: float,
    min_batches: int,
) -> tuple[list[ReleaseRegion], list[str]]:
    """Fit the normal region of each product made on a process cell from the batches the
    lab judged in ``[start, end)``; return the regions and, per product that has none, why."""
    units = _batch_units(store, model, start=start, end=end)
    if units.height == 0:
        return [], []
    labs = _lab_results(store, start=start, end=end)
    regions: list[ReleaseRegion] = []
    notes: list[str] = []
    for product in sorted(set(units.get_column("product").to_list())):
        variables = signature_variables(model, product)
        own = units.filter(pl.col("product") == product)
        batches = batch_signatures(own, variables).join(labs, on="serial", how="inner")
        line = str(batches.get_column("line")[0]) if batches.height else ""
        region = fit_region(
            batches,
            product=product,
            line=line,
            variables=variables,
            false_alarm_rate=false_alarm_rate,
            min_batches=min_batches,
        )
        if isinstance(region, CannotJudge):
            notes.append(f"real-time release of {product}: {region.reason} ({region.code})")
        else:
            regions.append(region)
    return regions, notes


def awaiting_lab(
    store: Store, model: Model, regions: Sequence[ReleaseRegion], *, start: int, end: int
) -> pl.DataFrame:
    """Return the batches seen in ``[start, end)`` whose product has a region, whose whole
    signature is recorded and whose lab result is not (before ``end``): ``serial``,
    ``product``, ``lot``, ``line``, ``last_us``, the variables, ``t2``, ``limit``,
    ``inside`` and ``confidence``; newest first."""
    by_product = {r.product: r for r in regions}
    units = _batch_units(store, model, start=start, end=end)
    if units.height == 0 or not by_product:
        return pl.DataFrame()
    labs = _lab_results(store, start=start, end=end)
    out = []
    for product, region in sorted(by_product.items()):
        own = units.filter(pl.col("product") == product)
        if own.height == 0:
            continue
        batches = (
            batch_signatures(own, region.variables)
            .join(labs.select("serial"), on="serial", how="anti")
            .drop_nulls(subset=list(region.variables))
        )
        if batches.height == 0:
            continue
        t2 = region.t2(batches.select(region.variables).to_numpy().astype(np.float64))
        out.append(
            batches.with_columns(
                pl.Series("t2", t2),
                pl.lit(region.limit).alias("limit"),
                pl.Series("inside", t2 <= region.limit),
                pl.lit(region.confidence).alias("confidence"),
            )
        )
    if not out:
        return pl.DataFrame()
    return pl.concat(out, how="diagonal").sort(["last_us", "serial"], descending=[True, False])
