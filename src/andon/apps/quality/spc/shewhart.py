# ruff: noqa: RUF002, RUF003 - σ, λ and χ are the statistics' own symbols
"""Shewhart charts: individuals and moving range, X̄-R and X̄-S.

A chart pair comes from an :class:`Estimate` of the process (its mean and within-subgroup
standard deviation σ) and a subgroup size n:

- individuals: X at μ ± 3σ; MR (span 2) at d2σ, limits (d2 ± 3 d3)σ, σ = MR̄ / d2(2);
- X̄-R: X̄ at μ ± 3σ/√n; R at d2σ, limits (d2 ± 3 d3)σ, σ = R̄ / d2(n);
- X̄-S: X̄ at μ ± 3σ/√n; S at c4σ, limits (c4 ± 3 √(1 - c4²))σ, σ = s̄ / c4(n);

so that with σ estimated from the same data the limits are the textbook ones (A2 R̄, D4 R̄,
A3 s̄, B4 s̄; Montgomery, *Introduction to Statistical Quality Control*, chapter 6). Lower
limits of dispersion charts are cut at zero. Subgroups are the rows of a matrix (one row per
subgroup, equal sizes); individuals are one column in time order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from andon.apps.quality.spc._factors import MAX_SUBGROUP, c4, d2, d3
from andon.apps.quality.spc._judgement import CannotJudge, finite_values

__all__ = [
    "Chart",
    "ChartKind",
    "ChartPair",
    "Estimate",
    "chart_pair",
    "estimate",
    "subgroup_statistics",
]


class ChartKind(StrEnum):
    """The Shewhart chart pairs."""

    INDIVIDUALS = "individuals"
    """Individual values and their moving range (span 2)."""
    XBAR_R = "xbar_r"
    """Subgroup means and ranges (subgroups of 2 to 25)."""
    XBAR_S = "xbar_s"
    """Subgroup means and standard deviations."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Chart:
    """One control chart: the plotted statistic, its centre line and its limits.

    ``statistic`` is NaN where a point has no value (the first moving range).
    """

    name: str
    statistic: NDArray[np.float64]
    centre: float
    lower: float
    upper: float

    @property
    def sigma(self) -> float:
        """Standard deviation of the plotted statistic (a third of the upper half-width)."""
        return (self.upper - self.centre) / 3.0

    @property
    def beyond(self) -> NDArray[np.bool_]:
        """Points beyond the control limits."""
        stat = self.statistic
        with np.errstate(invalid="ignore"):
            result: NDArray[np.bool_] = (stat > self.upper) | (stat < self.lower)
        return result


@dataclass(frozen=True, slots=True)
class ChartPair:
    """A location chart (X or X̄) and its dispersion chart (MR, R or S)."""

    location: Chart
    dispersion: Chart

    @property
    def beyond(self) -> NDArray[np.bool_]:
        """Subgroups beyond the limits of either chart."""
        result: NDArray[np.bool_] = self.location.beyond | self.dispersion.beyond
        return result


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    """The process as a chart pair sees it: mean, within-subgroup σ, subgroup size."""

    kind: ChartKind
    mean: float
    sigma: float
    subgroup_size: int
    subgroups: int
    """How many subgroups (individual values for the individuals chart) it rests on."""


def _shaped(data: ArrayLike, kind: ChartKind) -> NDArray[np.float64] | CannotJudge:
    values = finite_values(data)
    if isinstance(values, CannotJudge):
        return values
    if kind is ChartKind.INDIVIDUALS:
        if values.ndim != 1:
            return CannotJudge(
                code="spc.shape", reason="an individuals chart takes one column of values"
            )
        return values
    if values.ndim != 2:
        return CannotJudge(
            code="spc.shape",
            reason="subgroup charts take a matrix: one row per subgroup, equal sizes",
        )
    n = values.shape[1]
    if n < 2 or (kind is ChartKind.XBAR_R and n > MAX_SUBGROUP):
        return CannotJudge(
            code="spc.subgroup_size",
            reason=(
                f"subgroups of {n}: X̄-R needs 2 to {MAX_SUBGROUP} values per subgroup "
                "(X̄-S takes larger ones), X̄-S at least 2"
            ),
        )
    return values


def subgroup_statistics(
    data: ArrayLike, kind: ChartKind
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | CannotJudge:
    """The plotted points of both charts: (X, MR), (X̄, R) or (X̄, S), one per subgroup."""
    values = _shaped(data, kind)
    if isinstance(values, CannotJudge):
        return values
    if kind is ChartKind.INDIVIDUALS:
        moving = np.empty_like(values)
        moving[0] = np.nan
        moving[1:] = np.abs(np.diff(values))
        return values, moving
    means = values.mean(axis=1)
    if kind is ChartKind.XBAR_R:
        return means, values.max(axis=1) - values.min(axis=1)
    return means, values.std(axis=1, ddof=1)


def estimate(data: ArrayLike, kind: ChartKind) -> Estimate | CannotJudge:
    """Estimate the process mean and within-subgroup σ from every subgroup given."""
    stats = subgroup_statistics(data, kind)
    if isinstance(stats, CannotJudge):
        return stats
    location, dispersion = stats
    count = location.shape[0]
    minimum = 2 if kind is ChartKind.INDIVIDUALS else 1
    if count < minimum:
        return CannotJudge(
            code="spc.too_few_subgroups", reason=f"{count} values: a moving range needs 2"
        )
    n = 1 if kind is ChartKind.INDIVIDUALS else int(np.asarray(data).shape[1])
    if kind is ChartKind.INDIVIDUALS:
        sigma = float(np.nanmean(dispersion)) / d2(2)
    elif kind is ChartKind.XBAR_R:
        sigma = float(dispersion.mean()) / d2(n)
    else:
        sigma = float(dispersion.mean()) / c4(n)
    mean = float(location.mean())
    if not sigma > 0.0:
        return CannotJudge(
            code="spc.no_variation",
            reason=(
                f"no variation within subgroups (every value {mean:.6g}): "
                "a zero sigma gives no control limits"
            ),
        )
    return Estimate(kind=kind, mean=mean, sigma=sigma, subgroup_size=n, subgroups=count)


def _limits(kind: ChartKind, mean: float, sigma: float, n: int) -> tuple[Chart, Chart]:
    empty = np.empty(0)
    if kind is ChartKind.INDIVIDUALS:
        half = 3.0 * sigma
        centre, spread = d2(2) * sigma, 3.0 * d3(2) * sigma
        names = ("individuals", "moving_range")
    elif kind is ChartKind.XBAR_R:
        half = 3.0 * sigma / math.sqrt(n)
        centre, spread = d2(n) * sigma, 3.0 * d3(n) * sigma
        names = ("xbar", "range")
    else:
        half = 3.0 * sigma / math.sqrt(n)
        c = c4(n)
        centre, spread = c * sigma, 3.0 * math.sqrt(1.0 - c * c) * sigma
        names = ("xbar", "stdev")
    location = Chart(
        name=names[0], statistic=empty, centre=mean, lower=mean - half, upper=mean + half
    )
    dispersion = Chart(
        name=names[1],
        statistic=empty,
        centre=centre,
        lower=max(0.0, centre - spread),
        upper=centre + spread,
    )
    return location, dispersion


def chart_pair(data: ArrayLike, process: Estimate) -> ChartPair | CannotJudge:
    """Plot ``data`` on the chart pair whose limits come from ``process``."""
    stats = subgroup_statistics(data, process.kind)
    if isinstance(stats, CannotJudge):
        return stats
    if (
        process.kind is not ChartKind.INDIVIDUALS
        and np.asarray(data).shape[1] != process.subgroup_size
    ):
        return CannotJudge(
            code="spc.subgroup_size",
            reason=(
                f"subgroups of {np.asarray(data).shape[1]} against limits for subgroups of "
                f"{process.subgroup_size}"
            ),
        )
    location, dispersion = _limits(process.kind, process.mean, process.sigma, process.subgroup_size)
    return ChartPair(
        location=replace(location, statistic=stats[0]),
        dispersion=replace(dispersion, statistic=stats[1]),
    )
