# ruff: noqa: RUF002, RUF003 - σ, λ and χ are the statistics' own symbols
"""The tabular (two-sided) CUSUM (Page 1954; Montgomery, *Introduction to Statistical
Quality Control*, 9.1).

``C+_t = max(0, C+_(t-1) + x_t - (μ0 + K))`` and ``C-_t = max(0, C-_(t-1) + (μ0 - K) - x_t)``
with ``K = kσ`` and the decision interval ``H = hσ``. Each is a Lindley recursion, computed
for the whole column at once: with ``S_t`` the cumulative sum of ``x - μ0 - K``,
``C+_t = S_t - min(0, min_(j≤t) S_j)``. ``N+`` counts the periods since ``C+`` was last
zero; after an alarm, ``μ0 + K + C+/N+`` estimates the shifted mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from andon.apps.quality.spc._judgement import CannotJudge, finite_values

__all__ = ["CusumChart", "cusum_chart"]


def _lindley(step: NDArray[np.float64]) -> NDArray[np.float64]:
    """The sums ``max(0, C_(t-1) + step_t)`` from 0 (exactly 0 where the sum restarts).

    ``step`` is overwritten. A matrix is taken a column at a time (a loop per parameter,
    never per point) through one column of scratch, so that no second matrix is allocated
    and each column's passes run while it is in cache."""
    total = np.cumsum(step, axis=0, out=step)
    if total.ndim > 2:
        whole = np.minimum.accumulate(total, axis=0)
        np.minimum(whole, 0.0, out=whole)
        total -= whole
        return total
    columns = total if total.ndim == 2 else total[:, None]
    floor = np.empty(total.shape[0])
    for j in range(columns.shape[1]):
        column = columns[:, j]
        np.minimum.accumulate(column, out=floor)
        np.minimum(floor, 0.0, out=floor)
        column -= floor
    return total


def _periods(sums: NDArray[np.float64]) -> NDArray[np.int64]:
    """Periods since each sum was last zero."""
    n = sums.shape[0]
    index = np.arange(n, dtype=np.int64).reshape((n,) + (1,) * (sums.ndim - 1))
    zero = sums == 0.0
    last_zero = np.maximum.accumulate(np.where(zero, index, -1), axis=0)
    result: NDArray[np.int64] = index - last_zero
    return result


@dataclass(frozen=True, slots=True, kw_only=True)
class CusumChart:
    """The upper and lower CUSUMs, their run counts, and the decision interval (data units)."""

    upper: NDArray[np.float64]
    lower: NDArray[np.float64]
    target: float
    reference: float
    """K, in data units."""
    interval: float
    """H, in data units."""

    @property
    def upper_periods(self) -> NDArray[np.int64]:
        """N+: periods since the upper CUSUM was last zero."""
        return _periods(self.upper)

    @property
    def lower_periods(self) -> NDArray[np.int64]:
        """N-: periods since the lower CUSUM was last zero."""
        return _periods(self.lower)

    @property
    def beyond(self) -> NDArray[np.bool_]:
        """Points where either CUSUM exceeds the decision interval."""
        result: NDArray[np.bool_] = (self.upper > self.interval) | (self.lower > self.interval)
        return result

    def first_alarm(self) -> int | None:
        """Index of the first point beyond the decision interval (one column), or None."""
        hits = np.flatnonzero(self.beyond)
        return int(hits[0]) if hits.size else None

    def shifted_mean(self, index: int) -> float:
        """The mean the process has shifted to, estimated at an alarm at ``index``."""
        if self.upper[index] > self.interval:
            return (
                self.target
                + self.reference
                + float(self.upper[index]) / int(self.upper_periods[index])
            )
        if self.lower[index] > self.interval:
            return (
                self.target
                - self.reference
                - float(self.lower[index]) / int(self.lower_periods[index])
            )
        return self.target


def cusum_chart(
    values: ArrayLike, *, target: float, sigma: float, k: float = 0.5, h: float = 5.0
) -> CusumChart | CannotJudge:
    """Return the tabular CUSUM of ``values`` around ``target`` (``k``, ``h`` in σ units)."""
    if not (math.isfinite(sigma) and sigma > 0.0):
        return CannotJudge(
            code="spc.no_variation", reason=f"a CUSUM needs a positive sigma, not {sigma}"
        )
    x = finite_values(values)
    if isinstance(x, CannotJudge):
        return x
    reference = k * sigma
    upper = _lindley(x - (target + reference))
    lower = _lindley((target - reference) - x)
    return CusumChart(
        upper=upper,
        lower=lower,
        target=float(target),
        reference=reference,
        interval=h * sigma,
    )
