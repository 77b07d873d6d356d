# ruff: noqa: RUF002, RUF003 - σ, λ and χ are the statistics' own symbols
"""Process capability: Cp, Cpk, Pp, Ppk with confidence intervals, and a percentile-based
capability with a normality flag.

- Cp = (USL - LSL) / 6σ_within and Cpk = min(USL - μ, μ - LSL) / 3σ_within, σ_within from
  the chart (R̄/d2, s̄/c4) or, when not given, from the moving range of the values in order;
  Pp and Ppk the same with the overall sample standard deviation.
- Confidence intervals: for Cp (and Pp) from the χ² distribution of s² with n - 1 degrees of
  freedom, ``Ĉp √(χ²_(α/2, n-1) / (n-1)) ≤ Cp ≤ Ĉp √(χ²_(1-α/2, n-1) / (n-1))``; for Cpk
  (and Ppk) Bissell's (1990) normal approximation,
  ``Ĉpk ± z_(1-α/2) √(1/(9n) + Ĉpk²/(2(n-1)))`` (Montgomery, *Introduction to Statistical
  Quality Control*, 8.3.5). n is the number of values.
- Normality: the Anderson-Darling statistic with estimated mean and variance, adjusted
  ``A*² = A² (1 + 0.75/n + 2.25/n²)``, p-value from D'Agostino and Stephens (1986).
- Percentile capability (ISO 22514-2, Clements 1989): the 0.135 % and 99.865 % quantiles
  and the median replace μ ± 3σ and μ. Empirical tail quantiles need at least 741 values
  (one in 741 lies beyond 99.865 %); with fewer it says so and gives none.

One-sided specifications give Cpk/Ppk (the side that exists) and no Cp/Pp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from andon.apps.quality.spc._factors import d2
from andon.apps.quality.spc._judgement import CannotJudge, finite_values
from andon.errors import UsageError

__all__ = [
    "PERCENTILE_MIN_VALUES",
    "Capability",
    "Interval",
    "Normality",
    "PercentileCapability",
    "anderson_darling",
    "bissell_interval",
    "capability",
    "chi_square_interval",
]

PERCENTILE_MIN_VALUES = 741
"""Fewest values whose empirical 0.135 % and 99.865 % quantiles rest on data."""

_LOW, _HIGH = 0.00135, 0.99865


@dataclass(frozen=True, slots=True)
class Interval:
    """A two-sided confidence interval."""

    low: float
    high: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Normality:
    """The Anderson-Darling test of normality."""

    statistic: float
    """A*², the statistic adjusted for estimated mean and variance."""
    p_value: float
    normal: bool
    """Whether normality is not rejected at the level asked for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PercentileCapability:
    """Capability from the 0.135 %, 50 % and 99.865 % quantiles (no normality assumed)."""

    low: float
    median: float
    high: float
    pp: float | None
    ppk: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Capability:
    """Capability indices of one parameter, with intervals and the normality flag.

    The normal-theory figures (cp, cpk, pp, ppk and their intervals) are only as good as
    the normality they assume: read ``normality.normal``, and prefer ``percentile`` when it
    is false. ``notes`` say in words what limits the judgement.
    """

    n: int
    mean: float
    sigma_within: float
    sigma_overall: float
    lsl: float | None
    usl: float | None
    cp: float | None
    cpk: float
    pp: float | None
    ppk: float
    cp_interval: Interval | None
    cpk_interval: Interval
    pp_interval: Interval | None
    ppk_interval: Interval
    confidence: float
    normality: Normality
    percentile: PercentileCapability | None
    notes: tuple[str, ...] = ()


def _adjusted_p(a_star: float) -> float:
    if a_star >= 0.6:
        return math.exp(1.2937 - 5.709 * a_star + 0.0186 * a_star**2)
    if a_star >= 0.34:
        return math.exp(0.9177 - 4.279 * a_star - 1.38 * a_star**2)
    if a_star >= 0.2:
        return 1.0 - math.exp(-8.318 + 42.796 * a_star - 59.938 * a_star**2)
    return 1.0 - math.exp(-13.436 + 101.14 * a_star - 223.73 * a_star**2)


def anderson_darling(values: NDArray[np.float64], *, alpha: float = 0.05) -> Normality:
    """Test ``values`` (finite, at least 8, not constant) for normality."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    if n < 8:
        msg = f"the Anderson-Darling p-value needs at least 8 values, not {n}"
        raise UsageError(msg)
    z = (x - x.mean()) / x.std(ddof=1)
    i = np.arange(1, n + 1, dtype=np.float64)
    a2 = -n - float(np.sum((2 * i - 1) * (special.log_ndtr(z) + special.log_ndtr(-z[::-1])))) / n
    a_star = a2 * (1.0 + 0.75 / n + 2.25 / n**2)
    p = min(1.0, max(0.0, _adjusted_p(a_star)))
    return Normality(statistic=a_star, p_value=p, normal=p >= alpha)


def chi_square_interval(index: float, n: int, confidence: float) -> Interval:
    """Confidence interval of Cp (or Pp) estimated as ``index`` from ``n`` values."""
    alpha = 1.0 - confidence
    df = n - 1
    low = index * math.sqrt(float(stats.chi2.ppf(alpha / 2.0, df)) / df)
    high = index * math.sqrt(float(stats.chi2.ppf(1.0 - alpha / 2.0, df)) / df)
    return Interval(low, high)


def bissell_interval(index: float, n: int, confidence: float) -> Interval:
    """Bissell's confidence interval of Cpk (or Ppk) estimated as ``index`` from ``n`` values."""
    z = float(stats.norm.ppf(1.0 - (1.0 - confidence) / 2.0))
    half = z * math.sqrt(1.0 / (9.0 * n) + index * index / (2.0 * (n - 1)))
    return Interval(index - half, index + half)


def _indices(
    mean: float, sigma: float, lsl: float | None, usl: float | None
) -> tuple[float | None, float]:
    sides = [s for s in ((usl - mean) if usl is not None else None,
                         (mean - lsl) if lsl is not None else None) if s is not None]  # fmt: skip
    k = min(sides) / (3.0 * sigma)
    c = (usl - lsl) / (6.0 * sigma) if usl is not None and lsl is not None else None
    return c, k


def _percentile(
    x: NDArray[np.float64], lsl: float | None, usl: float | None
) -> PercentileCapability | None:
    if x.size < PERCENTILE_MIN_VALUES:
        return None
    low, median, high = (float(q) for q in np.quantile(x, [_LOW, 0.5, _HIGH]))
    sides = []
    if usl is not None:
        sides.append((usl - median) / (high - median) if high > median else math.inf)
    if lsl is not None:
        sides.append((median - lsl) / (median - low) if median > low else math.inf)
    pp = (usl - lsl) / (high - low) if usl is not None and lsl is not None and high > low else None
    return PercentileCapability(low=low, median=median, high=high, pp=pp, ppk=min(sides))


def capability(
    values: ArrayLike,
    *,
    lsl: float | None = None,
    usl: float | None = None,
    sigma_within: float | None = None,
    confidence: float = 0.95,
    normality_alpha: float = 0.05,
) -> Capability | CannotJudge:
    """Capability of ``values`` (in time order) against the specification limits."""
    if lsl is None and usl is None:
        return CannotJudge(
            code="spc.no_spec_limits",
            reason="the parameter has no specification limits: capability is undefined",
        )
    if lsl is not None and usl is not None and not lsl < usl:
        return CannotJudge(
            code="spc.spec_limits_inverted",
            reason=f"the lower specification limit {lsl} is not below the upper {usl}",
        )
    x = finite_values(values)
    if isinstance(x, CannotJudge):
        return x
    x = x.ravel()
    n = x.size
    if n < 8:
        return CannotJudge(
            code="spc.too_few_values",
            reason=f"{n} values: a capability study needs at least 8 (normality cannot be tested)",
        )
    mean = float(x.mean())
    overall = float(x.std(ddof=1))
    within = sigma_within if sigma_within is not None else float(np.abs(np.diff(x)).mean()) / d2(2)
    if not (overall > 0.0 and within > 0.0):
        return CannotJudge(
            code="spc.no_variation",
            reason=f"no variation (every value {mean:.6g}): capability would be infinite",
        )
    cp, cpk = _indices(mean, within, lsl, usl)
    pp, ppk = _indices(mean, overall, lsl, usl)
    normality = anderson_darling(x, alpha=normality_alpha)
    percentile = _percentile(x, lsl, usl)
    notes: list[str] = []
    if not normality.normal:
        notes.append(
            f"the values are not normal (Anderson-Darling A*² = {normality.statistic:.3g}, "
            f"p = {normality.p_value:.2g}): the normal-theory indices do not hold"
        )
    if percentile is None:
        notes.append(
            f"{n} values: the percentile capability needs at least {PERCENTILE_MIN_VALUES}"
        )
    if lsl is None or usl is None:
        notes.append("one-sided specification: no Cp or Pp")
    return Capability(
        n=n,
        mean=mean,
        sigma_within=within,
        sigma_overall=overall,
        lsl=lsl,
        usl=usl,
        cp=cp,
        cpk=cpk,
        pp=pp,
        ppk=ppk,
        cp_interval=chi_square_interval(cp, n, confidence) if cp is not None else None,
        cpk_interval=bissell_interval(cpk, n, confidence),
        pp_interval=chi_square_interval(pp, n, confidence) if pp is not None else None,
        ppk_interval=bissell_interval(ppk, n, confidence),
        confidence=confidence,
        normality=normality,
        percentile=percentile,
        notes=tuple(notes),
    )
