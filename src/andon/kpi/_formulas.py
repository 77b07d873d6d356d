"""ISO 22400-2 KPIs computed from summed time elements, at any grain of the hierarchy.

A KPI of a line, an area or a month is never the mean of its parts' KPIs: the additive
elements (seconds, units, events) are summed first and the formula applied to the sums,
so that a machine that was planned for one hour weighs one hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import polars as pl

from andon.errors import KpiError
from andon.kpi._elements import ELEMENT_COLUMNS

__all__ = ["KPI_DEFINITIONS", "Direction", "Grain", "KpiDefinition", "aggregate", "kpis"]


class Grain(StrEnum):
    """Levels of the ISA-95 hierarchy a KPI can be computed for."""

    EQUIPMENT = "equipment"
    LINE = "line"
    AREA = "area"
    SITE = "site"
    ENTERPRISE = "enterprise"


_DEPTH: Final[dict[Grain, int]] = {
    Grain.ENTERPRISE: 1,
    Grain.SITE: 2,
    Grain.AREA: 3,
    Grain.LINE: 4,
    Grain.EQUIPMENT: 6,
}


class Direction(StrEnum):
    """Whether a higher or a lower value of a KPI is better."""

    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True, slots=True, kw_only=True)
class KpiDefinition:
    """One KPI: its column, the standard's name and formula, unit, direction and range."""

    name: str
    title: str
    formula: str
    unit: str
    direction: Direction
    upper: float | None
    """Largest value that is sound (1.0 for shares), ``None`` when unbounded."""


def _d(  # noqa: PLR0917 - one row of the KPI table reads best positionally
    name: str, title: str, formula: str, unit: str, direction: Direction, upper: float | None
) -> KpiDefinition:
    return KpiDefinition(
        name=name, title=title, formula=formula, unit=unit, direction=direction, upper=upper
    )


_H, _L = Direction.HIGHER, Direction.LOWER

KPI_DEFINITIONS: Final[tuple[KpiDefinition, ...]] = (
    _d("availability", "Availability", "APT / PBT", "ratio", _H, 1.0),
    _d("effectiveness", "Effectiveness", "PRI * PQ / APT", "ratio", _H, None),
    _d("quality_ratio", "Quality ratio", "GQ / PQ", "ratio", _H, 1.0),
    _d("oee", "OEE index", "Availability * Effectiveness * Quality ratio", "ratio", _H, None),
    _d("nee", "NEE index", "AUPT / PBT * Effectiveness * Quality ratio", "ratio", _H, None),
    _d("setup_ratio", "Setup ratio", "AUST / AUPT", "ratio", _L, 1.0),
    _d("technical_efficiency", "Technical efficiency", "APT / (APT + ADET)", "ratio", _H, 1.0),
    _d("allocation_ratio", "Allocation ratio", "AUBT / AOET", "ratio", _H, None),
    _d("allocation_efficiency", "Allocation efficiency", "AUBT / PBT", "ratio", _H, 1.0),
    _d("utilization_efficiency", "Utilization efficiency", "APT / AUBT", "ratio", _H, 1.0),
    _d("throughput_rate", "Throughput rate", "PQ / AOET", "units/h", _H, None),
    _d(
        "first_pass_yield",
        "First pass yield",
        "FPQ / IQ (inspection records); GQ / PQ where none",
        "ratio",
        _H,
        1.0,
    ),
    _d("scrap_ratio", "Scrap ratio", "SQ / PQ", "ratio", _L, 1.0),
    _d("rework_ratio", "Rework ratio", "RQ / PQ", "ratio", _L, 1.0),
    _d("mtbf_h", "Mean operating time between failures", "TBF / FE", "h", _H, None),
    _d("mttf_h", "Mean time to failure", "TTF / FE", "h", _H, None),
    _d("mttr_h", "Mean time to restoration", "TTR / FE", "h", _L, None),
    _d(
        "corrective_maintenance_ratio",
        "Corrective maintenance ratio",
        "CMT / (CMT + PMT)",
        "ratio",
        _L,
        1.0,
    ),
    _d("equipment_load_ratio", "Equipment load ratio", "AUPT / POT", "ratio", _H, 1.0),
    _d(
        "energy_per_unit_kwh",
        "Comprehensive energy consumption",
        "energy / PQ",
        "kWh/unit",
        _L,
        None,
    ),
)
"""Every KPI andon computes, in the order of its output columns."""

KPI_NAMES: Final[tuple[str, ...]] = tuple(k.name for k in KPI_DEFINITIONS)


def _depth(grain: Grain) -> int:
    return _DEPTH[Grain(grain)]


def group_expr(grain: Grain) -> pl.Expr:
    """The path of the grain's element an element path belongs to, or null when above it."""
    depth = _depth(grain)
    parts = pl.col("path").str.split("/")
    return (
        pl.when(parts.list.len() >= depth)
        .then(parts.list.head(depth).list.join("/"))
        .otherwise(None)
        .alias("group")
    )


def aggregate(
    elements: pl.DataFrame, grain: Grain | str, *, by_period: bool = True
) -> pl.DataFrame:
    """Sum elements to a grain (and per period unless ``by_period`` is false).

    Energy is the exception to plain sums, because a meter measures everything below the
    element it hangs on: a group's energy is that of the meters nearest the group's own
    element (its own meter if it has one, else the top-most meters below it), never a
    meter and its sub-meters together.
    """
    try:
        grain = Grain(grain)
    except ValueError as exc:
        choices = ", ".join(g.value for g in Grain)
        msg = f"unknown grain {grain!r}; choose one of {choices}"
        raise KpiError(msg) from exc
    keys = ["group", "period", "period_start", "period_end"] if by_period else ["group"]
    frame = elements.with_columns(
        group_expr(grain), depth=pl.col("path").str.count_matches("/") + 1
    ).filter(pl.col("group").is_not_null())
    additive = [c for c in ELEMENT_COLUMNS if c != "energy_kwh"]
    provenance = [pl.col(c).max() for c in ("revision", "computed_at") if c in frame.columns]
    sums = frame.group_by(keys).agg(
        [pl.col(c).sum() for c in additive] + provenance,
        site=pl.col("site").first() if grain is not Grain.ENTERPRISE else pl.lit(None, pl.String),
        equipment=pl.col("path").filter(pl.col("depth") >= _DEPTH[Grain.EQUIPMENT]).n_unique(),
    )
    energy = (
        frame.filter(pl.col("energy_kwh") > 0)
        .group_by([*keys, "depth"])
        .agg(pl.col("energy_kwh").sum())
        .sort("depth")
        .group_by(keys)
        .agg(pl.col("energy_kwh").first())
    )
    result = sums.join(energy, on=keys, how="left").with_columns(
        pl.col("energy_kwh").fill_null(0.0)
    )
    if grain is Grain.EQUIPMENT:
        out_pq, out_gq = pl.col("pq"), pl.col("gq")
    else:
        out_pq, out_gq = pl.col("out_pq"), pl.col("out_gq")
    result = result.with_columns(output_pq=out_pq, output_gq=out_gq).rename({"group": "path"})
    order = ["path", "period_start"] if by_period else ["path"]
    return result.with_columns(grain=pl.lit(grain.value)).sort(order)


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    return pl.when(den > 0).then(num / den).otherwise(None)


def kpis(aggregated: pl.DataFrame) -> pl.DataFrame:
    """Add every KPI of :data:`KPI_DEFINITIONS` to summed elements (see :func:`aggregate`).

    A KPI whose denominator is zero (no production, no failure) is null, never 0 or NaN.
    """
    c = pl.col
    aupt = c("apt_s") + c("aust_s")
    aubt = aupt + c("adet_s")
    frame = aggregated.with_columns(
        availability=_ratio(c("apt_s"), c("pbt_s")),
        effectiveness=_ratio(c("pri_pq_s"), c("apt_s")),
        quality_ratio=_ratio(c("gq").cast(pl.Float64), c("pq").cast(pl.Float64)),
        aupt_share=_ratio(aupt, c("pbt_s")),
        setup_ratio=_ratio(c("aust_s"), aupt),
        technical_efficiency=_ratio(c("apt_s"), c("apt_s") + c("adet_s")),
        allocation_ratio=_ratio(aubt, c("aoet_s")),
        allocation_efficiency=_ratio(aubt, c("pbt_s")),
        utilization_efficiency=_ratio(c("apt_s"), aubt),
        throughput_rate=_ratio(c("output_pq").cast(pl.Float64) * 3600.0, c("aoet_s")),
        first_pass_yield=pl.when(c("iq") > 0)
        .then(c("fpq").cast(pl.Float64) / c("iq").cast(pl.Float64))
        .otherwise(_ratio(c("gq").cast(pl.Float64), c("pq").cast(pl.Float64))),
        scrap_ratio=_ratio(c("sq").cast(pl.Float64), c("pq").cast(pl.Float64)),
        rework_ratio=_ratio(c("rq").cast(pl.Float64), c("pq").cast(pl.Float64)),
        mtbf_h=_ratio(c("tbf_s") / 3600.0, c("fe").cast(pl.Float64)),
        mttf_h=_ratio(c("ttf_s") / 3600.0, c("fe").cast(pl.Float64)),
        mttr_h=_ratio(c("ttr_s") / 3600.0, c("fe").cast(pl.Float64)),
        corrective_maintenance_ratio=_ratio(c("cmt_s"), c("cmt_s") + c("pmt_s")),
        equipment_load_ratio=_ratio(aupt, c("pot_s")),
        energy_per_unit_kwh=_ratio(c("energy_kwh"), c("output_pq").cast(pl.Float64)),
    )
    return frame.with_columns(
        oee=c("availability") * c("effectiveness") * c("quality_ratio"),
        nee=c("aupt_share") * c("effectiveness") * c("quality_ratio"),
    ).drop("aupt_share")
