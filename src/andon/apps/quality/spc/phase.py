"""Phase I limits from a baseline, and Phase II monitoring against them.

Phase I (Montgomery, *Introduction to Statistical Quality Control*, 6.2): estimate the
process from a baseline, drop the subgroups beyond the trial limits of either chart,
estimate again from the rest, until no subgroup is beyond (or ``max_iterations``). A
baseline with fewer subgroups than ``min_subgroups`` left, at the start or after removal,
cannot be judged: its limits would be a guess. For the individuals chart a dropped value
also takes out the two moving ranges it is part of.

Phase II plots new data against the Phase I limits, with the run rules on the location
chart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from andon.apps.quality.spc._factors import c4, d2
from andon.apps.quality.spc._judgement import CannotJudge
from andon.apps.quality.spc.rules import WESTERN_ELECTRIC, Rule, RuleFlags, run_rules
from andon.apps.quality.spc.shewhart import (
    ChartKind,
    ChartPair,
    Estimate,
    chart_pair,
    subgroup_statistics,
)

__all__ = ["MIN_SUBGROUPS", "Baseline", "Monitoring", "phase_one", "phase_two"]

MIN_SUBGROUPS = 20
"""Fewest baseline subgroups (values, for individuals) to set limits from, by default."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """Phase I limits: the process estimate from the kept subgroups, and what was dropped."""

    estimate: Estimate
    kept: NDArray[np.bool_]
    """One flag per baseline subgroup: used for the limits."""
    iterations: int

    @property
    def removed(self) -> tuple[int, ...]:
        """Indices of the baseline subgroups dropped as out of control."""
        return tuple(int(i) for i in np.flatnonzero(~self.kept))


@dataclass(frozen=True, slots=True, kw_only=True)
class Monitoring:
    """Phase II: the new data on the Phase I charts, with the run rules' flags."""

    charts: ChartPair
    rules: RuleFlags

    @property
    def signals(self) -> NDArray[np.bool_]:
        """Points beyond the limits of either chart or breaking a run rule."""
        result: NDArray[np.bool_] = self.charts.beyond | self.rules.any
        return result


def _estimate_kept(
    location: NDArray[np.float64],
    dispersion: NDArray[np.float64],
    kept: NDArray[np.bool_],
    kind: ChartKind,
    n: int,
) -> Estimate | CannotJudge:
    if kind is ChartKind.INDIVIDUALS:
        usable = kept.copy()
        usable[1:] &= kept[:-1]
        usable[0] = False
        ranges = dispersion[usable]
        if ranges.size == 0:
            return CannotJudge(code="spc.too_few_subgroups", reason="no two kept values in a row")
        sigma = float(ranges.mean()) / d2(2)
    elif kind is ChartKind.XBAR_R:
        sigma = float(dispersion[kept].mean()) / d2(n)
    else:
        sigma = float(dispersion[kept].mean()) / c4(n)
    mean = float(location[kept].mean())
    if not sigma > 0.0:
        return CannotJudge(
            code="spc.no_variation",
            reason=(
                f"no variation within subgroups (every value {mean:.6g}): "
                "a zero sigma gives no control limits"
            ),
        )
    return Estimate(kind=kind, mean=mean, sigma=sigma, subgroup_size=n, subgroups=int(kept.sum()))


def phase_one(
    data: ArrayLike,
    *,
    kind: ChartKind,
    min_subgroups: int = MIN_SUBGROUPS,
    max_iterations: int = 10,
) -> Baseline | CannotJudge:
    """Set Phase I limits from ``data``, dropping out-of-control subgroups iteratively."""
    stats = subgroup_statistics(data, kind)
    if isinstance(stats, CannotJudge):
        return stats
    location, dispersion = stats
    what = "values" if kind is ChartKind.INDIVIDUALS else "subgroups"
    if location.shape[0] < min_subgroups:
        return CannotJudge(
            code="spc.too_few_subgroups",
            reason=(f"{location.shape[0]} baseline {what}: limits need at least {min_subgroups}"),
        )
    n = 1 if kind is ChartKind.INDIVIDUALS else int(np.asarray(data).shape[1])
    kept = np.ones(location.shape[0], dtype=bool)
    for iteration in range(1, max_iterations + 1):
        process = _estimate_kept(location, dispersion, kept, kind, n)
        if isinstance(process, CannotJudge):
            return process
        charts = chart_pair(data, process)
        if isinstance(charts, CannotJudge):
            return charts
        beyond = charts.beyond & kept
        if not beyond.any():
            return Baseline(estimate=process, kept=kept, iterations=iteration)
        kept = kept & ~beyond
        if int(kept.sum()) < min_subgroups:
            return CannotJudge(
                code="spc.too_few_subgroups",
                reason=(
                    f"{int(kept.sum())} of {kept.size} baseline {what} left after dropping "
                    f"those out of control: limits need at least {min_subgroups}"
                ),
            )
    return CannotJudge(
        code="spc.unstable_baseline",
        reason=(
            f"baseline {what} still beyond the limits after {max_iterations} rounds of "
            "removal: the baseline is not a stable process"
        ),
    )


def phase_two(
    data: ArrayLike, baseline: Baseline, *, rules: tuple[Rule, ...] = WESTERN_ELECTRIC
) -> Monitoring | CannotJudge:
    """Plot new ``data`` against the Phase I limits of ``baseline`` and apply ``rules``."""
    charts = chart_pair(data, baseline.estimate)
    if isinstance(charts, CannotJudge):
        return charts
    location = charts.location
    flags = run_rules(location.statistic, centre=location.centre, sigma=location.sigma, rules=rules)
    return Monitoring(charts=charts, rules=flags)
