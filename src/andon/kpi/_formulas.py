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
from andon.kpi._elements import ELEMENT_COLUMNS, with_roles
from andon.model.schema import EquipmentRole

__all__ = [
    "KPI_DEFINITIONS",
    "PRODUCTION_ONLY",
    "UTILITY_ELEMENTS",
    "Direction",
    "Grain",
    "KpiDefinition",
    "aggregate",
    "kpis",
    "with_roles",
]


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


PRODUCTION_ONLY: Final[frozenset[str]] = frozenset(
    c
    for c in ELEMENT_COLUMNS
    if c
    not in {
        "energy_kwh",
        "out_gq",
        "out_pq",
        "iq",
        "fpq",
        "tbf_s",
        "ttf_s",
        "ttr_s",
        "fe",
        "cmt_s",
        "pmt_s",
        "aoet_s",
    }
)
"""Elements that only production equipment adds to a group (line, area, site, enterprise):
the time model of OEE and its quantities. Energy (meters), the line's output counts (they
may be counted at an inspection station), inspections and the maintenance elements count
for every equipment."""

UTILITY_ELEMENTS: Final[tuple[str, ...]] = ("pbt_s", "apt_s", "adot_s", "no_state_s", "tbf_s")
"""Elements of equipment without production summed apart as ``utility_<name>``: a group
reports its utilities on their own terms (availability, running hours)."""

_PRODUCTION = EquipmentRole.PRODUCTION.value


def aggregate(
    elements: pl.DataFrame, grain: Grain | str, *, by_period: bool = True
) -> pl.DataFrame:
    """Sum elements to a grain (and per period unless ``by_period`` is false).

    Equipment without production (``role`` utility or inspection, see
    :func:`with_roles`) adds nothing to a group's OEE elements (:data:`PRODUCTION_ONLY`);
    its planned busy, running and down time are summed apart as ``utility_*`` columns.
    Elements without a ``role`` column count every equipment as production.

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
    frame = elements if "role" in elements.columns else elements.with_columns(role=pl.lit(None))
    if "constraint" not in frame.columns:
        frame = frame.with_columns(constraint=pl.lit(None, pl.Boolean))
    depth = pl.col("path").str.count_matches("/") + 1
    frame = frame.with_columns(
        group_expr(grain),
        depth=depth,
        # Rows of elements above the equipment (orders, meters) carry no production time.
        producer=pl.col("role").is_null() | (pl.col("role") == _PRODUCTION),
        # A line's OEE elements are those of its constraint cell (ISO 22400-2 leaves the
        # roll-up open; a serial line makes what its bottleneck makes): a row without the
        # flag counts.
        at_constraint=pl.col("constraint").fill_null(value=True),
        utility=pl.col("role").is_not_null() & (pl.col("role") != _PRODUCTION),
    ).filter(pl.col("group").is_not_null())
    additive = [c for c in ELEMENT_COLUMNS if c != "energy_kwh"]
    equipment_grain = grain is Grain.EQUIPMENT

    def summed(name: str) -> pl.Expr:
        if equipment_grain or name not in PRODUCTION_ONLY:
            return pl.col(name).sum()
        return pl.col(name).filter(pl.col("producer") & pl.col("at_constraint")).sum()

    provenance = [pl.col(c).max() for c in ("revision", "computed_at") if c in frame.columns]
    is_equipment = pl.col("depth") >= _DEPTH[Grain.EQUIPMENT]
    sums = frame.group_by(keys).agg(
        [summed(c) for c in additive]
        + [
            pl.col(c).filter(pl.col("utility")).sum().alias(f"utility_{c}")
            for c in UTILITY_ELEMENTS
        ]
        + provenance,
        site=pl.col("site").first() if grain is not Grain.ENTERPRISE else pl.lit(None, pl.String),
        equipment=pl.col("path").filter(is_equipment & pl.col("producer")).n_unique(),
        constraint_equipment=pl.col("path")
        .filter(is_equipment & pl.col("producer") & pl.col("at_constraint"))
        .n_unique(),
        utilities=pl.col("path").filter(is_equipment & pl.col("utility")).n_unique(),
        role=pl.col("role").first() if equipment_grain else pl.lit(None, pl.String),
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
        produces = pl.col("role").is_null() | (pl.col("role") == _PRODUCTION)
    else:
        out_pq, out_gq = pl.col("out_pq"), pl.col("out_gq")
        produces = pl.col("equipment") > 0
    result = result.with_columns(output_pq=out_pq, output_gq=out_gq, produces=produces).rename(
        {"group": "path"}
    )
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
    if "produces" not in aggregated.columns:
        aggregated = aggregated.with_columns(produces=pl.lit(value=True))
    # Effectiveness needs a planned run time: none for equipment that does not produce, nor
    # where every unit counted lacks one (no value, never 0.0).
    priced = c("produces") & ~((c("pq") > 0) & (c("pq_no_pri") >= c("pq")))
    group_row = (
        c("grain") != Grain.EQUIPMENT.value
        if "grain" in aggregated.columns
        else pl.lit(value=False)
    )
    frame = aggregated.with_columns(
        availability=_ratio(c("apt_s"), c("pbt_s")),
        effectiveness=pl.when(priced).then(_ratio(c("pri_pq_s"), c("apt_s"))),
        # Above the equipment, quality in planned run time (PRI * GQ / PRI * PQ), so that
        # A * E * Q is the group's valuable time over its PBT: OEE weighted by planned busy
        # time, whatever the mix of products and cycle times (one product: GQ / PQ).
        quality_ratio=pl.when(c("produces")).then(
            pl.when(group_row & (c("pri_pq_s") > 0))
            .then(c("pri_gq_s") / c("pri_pq_s"))
            .otherwise(_ratio(c("gq").cast(pl.Float64), c("pq").cast(pl.Float64)))
        ),
        utility_availability=_ratio(c("utility_apt_s"), c("utility_pbt_s"))
        if "utility_apt_s" in aggregated.columns
        else pl.lit(None, pl.Float64),
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
        utility_running_h=(c("utility_tbf_s") / 3600.0)
        if "utility_tbf_s" in aggregated.columns
        else pl.lit(None, pl.Float64),
    )
    return frame.with_columns(
        oee=c("availability") * c("effectiveness") * c("quality_ratio"),
        nee=c("aupt_share") * c("effectiveness") * c("quality_ratio"),
    ).drop("aupt_share")
