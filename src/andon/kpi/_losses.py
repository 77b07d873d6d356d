"""The OEE loss tree (six big losses) in hours and money, and the comparison across sites.

The tree splits planned busy time (PBT) exactly, so its branches add up to PBT:

    PBT = valuable operating time (PRI * GQ)
        + breakdowns + minor stops + setups + delays + unaccounted   (availability losses)
        + speed loss                                                   (effectiveness loss)
        + scrap + rework                                               (quality losses)

Because every branch is in time weighted by the planned run time per item, the shares of
PBT are independent of product mix: a site making slow products is not penalised for it.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from andon.kpi._formulas import Grain, aggregate, group_expr
from andon.model import Model

__all__ = ["LOSSES", "compare_sites", "loss_tree"]

LOSSES: Final[tuple[tuple[str, str, str], ...]] = (
    ("breakdowns", "availability", "unplanned down stops at least the minor-stop threshold long"),
    ("minor_stops", "availability", "unplanned stops (down, idle, starved, blocked) shorter"),
    ("setups", "availability", "setup and changeover (AUST)"),
    ("delays", "availability", "idle, starved and blocked at least the threshold long (ADET)"),
    ("unaccounted", "availability", "offline or unknown state inside planned busy time"),
    ("speed", "effectiveness", "APT - PRI * PQ: running slower than the ideal cycle"),
    ("scrap", "quality", "PRI * SQ: time spent making scrap"),
    ("rework", "quality", "PRI * RQ: time spent making units that need rework"),
)
"""Branches of the loss tree: name, the OEE factor it lowers, what it holds."""


def _loss_seconds() -> dict[str, pl.Expr]:
    c = pl.col
    return {
        "breakdowns": c("adot_s") - c("minor_down_s"),
        "minor_stops": c("minor_down_s") + c("minor_delay_s"),
        "setups": c("aust_s"),
        "delays": c("adet_s") - c("minor_delay_s"),
        "unaccounted": c("offline_s") + c("unknown_state_s"),
        "speed": c("apt_s") - c("pri_pq_s"),
        "scrap": c("pri_sq_s"),
        "rework": c("pri_rq_s"),
    }


def _with_money(elements: pl.DataFrame, model: Model) -> pl.DataFrame:
    """Add per-row money of each loss: lost hours at the equipment's cost of downtime."""
    cost = {p: info.equipment.downtime_cost_per_hour for p, info in model.equipment.items()}
    rate = pl.col("path").replace_strict(cost, default=0.0, return_dtype=pl.Float64) / 3600.0
    money = {f"{name}_money": expr * rate for name, expr in _loss_seconds().items()}
    money["scrap_money"] = money["scrap_money"] + pl.col("scrap_cost")
    return elements.with_columns(**money)


def loss_tree(
    elements: pl.DataFrame, model: Model, grain: Grain | str, *, by_period: bool = True
) -> pl.DataFrame:
    """Return the loss tree per grain element (and period): one row per branch.

    Columns: ``path``, period columns, ``loss``, ``factor`` (the OEE factor it lowers),
    ``hours``, ``money`` (enterprise currency) and ``share`` of planned busy time.
    Money values lost time at each equipment's ``downtime_cost_per_hour`` and adds the
    products' ``scrap_cost`` for scrapped units; it is summed per equipment before
    aggregation, so a line's money is the sum of its machines'.
    """
    money_cols = [f"{name}_money" for name, _, _ in LOSSES]
    priced = _with_money(elements, model)
    agg = aggregate(priced.drop(money_cols), grain, by_period=by_period)
    keys = ["path", "period", "period_start", "period_end"] if by_period else ["path"]
    # Money once per line: above the equipment, only the rows whose time the tree counts
    # (producing equipment of each line's constraint cell, each at its own cost per hour),
    # never every station of a serial line for the same lost output.
    counted = pl.lit(value=True)
    if Grain(grain) is not Grain.EQUIPMENT:
        if "role" in priced.columns:
            counted = pl.col("role").is_null() | (pl.col("role") == "production")
        if "constraint" in priced.columns:
            counted = counted & pl.col("constraint").fill_null(value=True)
    money = (
        priced.filter(counted)
        .with_columns(group_expr(Grain(grain)))
        .filter(pl.col("group").is_not_null())
        .group_by(["group", *keys[1:]])
        .agg([pl.col(m).sum() for m in money_cols])
        .rename({"group": "path"})
    )
    agg = agg.join(money, on=keys, how="left")
    seconds = _loss_seconds()
    rows = [
        agg.select(
            *keys,
            loss=pl.lit(name),
            factor=pl.lit(factor),
            hours=seconds[name] / 3600.0,
            money=pl.col(f"{name}_money").fill_null(0.0),
            share=pl.when(pl.col("pbt_s") > 0).then(seconds[name] / pl.col("pbt_s")),
            pbt_h=pl.col("pbt_s") / 3600.0,
        )
        for name, factor, _ in LOSSES
    ]
    rows.append(
        agg.select(
            *keys,
            loss=pl.lit("valuable"),
            factor=pl.lit("oee"),
            hours=pl.col("pri_gq_s") / 3600.0,
            money=pl.lit(0.0),
            share=pl.when(pl.col("pbt_s") > 0).then(pl.col("pri_gq_s") / pl.col("pbt_s")),
            pbt_h=pl.col("pbt_s") / 3600.0,
        )
    )
    return pl.concat(rows).sort([*keys[:1], *(["period_start"] if by_period else []), "loss"])


def compare_sites(
    elements: pl.DataFrame, model: Model, grain: Grain | str = Grain.SITE
) -> pl.DataFrame:
    """Compare sites (or lines, areas) over the whole range on mix-neutral loss shares.

    For each element and each branch of the loss tree: its share of planned busy time, the
    best element's share (the one with the highest valuable share, i.e. OEE in time), and
    the gap in points and in hours of the element's own PBT. The gaps of one element add up
    to the best element's valuable share minus its own.
    """
    tree = loss_tree(elements, model, grain, by_period=False)
    valuable = tree.filter(pl.col("loss") == "valuable").filter(pl.col("share").is_not_null())
    if not valuable.height:
        return tree.with_columns(
            best_path=pl.lit(None, pl.String),
            best_share=pl.lit(None, pl.Float64),
            gap_points=pl.lit(None, pl.Float64),
            gap_hours=pl.lit(None, pl.Float64),
        )
    best = valuable.sort(["share", "path"], descending=[True, False]).row(0, named=True)["path"]
    best_shares = tree.filter(pl.col("path") == best).select("loss", best_share=pl.col("share"))
    result = tree.join(best_shares, on="loss", how="left").with_columns(
        best_path=pl.lit(best),
    )
    # For losses, a positive gap means this element loses more than the best one; for the
    # valuable share, it is how far this element is behind.
    gap = (
        pl.when(pl.col("loss") == "valuable")
        .then(pl.col("best_share") - pl.col("share"))
        .otherwise(pl.col("share") - pl.col("best_share"))
    )
    return result.with_columns(
        gap_points=gap * 100.0,
        gap_hours=gap * pl.col("pbt_h"),
    ).sort("path", "loss")
