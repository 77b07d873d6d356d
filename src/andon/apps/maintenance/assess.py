"""Each asset's risk now, and how far it can be trusted: model, prior and data quality.

A fitted model speaks for assets whose condition tags report; where it cannot (no fitted
model, no tags, tags silent for days), the failure mode's reliability prior answers instead:
a Weibull life with wear-out shape 2 and the model's MTBF, conditioned on the asset's age.
The prior is honest but blunt, so its confidence is low, and every such case carries a
data-quality reason in plain words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Assessment", "blend", "observed_rate", "observed_rate_floor", "weibull_prior"]

_SHAPE = 2.0


@dataclass(frozen=True, slots=True)
class Assessment:
    """P(failure within the horizon), RUL with its band, confidence and the reasons."""

    p_fail: float
    p_low: float
    p_high: float
    rul_h: float
    rul_low_h: float
    rul_high_h: float
    confidence: float
    source: str
    quality: tuple[str, ...]
    curve: tuple[tuple[float, float], ...] = ()
    """``(hours from now, P(failure by then))`` points; empty: only ``p_fail`` is known."""


def _residual(age_h: float, scale_h: float, survival: float, shape: float = _SHAPE) -> float:
    """Hours until the conditional survival from ``age_h`` falls to ``survival``."""
    target: float = (age_h / scale_h) ** shape - math.log(survival)
    residual: float = scale_h * target ** (1.0 / shape) - age_h
    return max(residual, 0.0)


def weibull_prior(
    *,
    mtbf_h: float,
    age_h: float,
    horizon_h: float,
    age_known: bool,
    quality: tuple[str, ...],
    shape: float = _SHAPE,
    curve_h: tuple[tuple[float, float], ...] = (),
) -> Assessment:
    """Return the prior assessment of a mode at ``age_h`` operating hours.

    ``shape`` 2 is wear-out; 1 is a mode that fails at random (no condition shows it
    coming, renewing it early buys nothing). ``curve_h`` pairs calendar hours from now with
    the operating hours planned by then, for the failure curve.

    >>> a = weibull_prior(mtbf_h=1000, age_h=0, horizon_h=100, age_known=True, quality=())
    >>> round(a.p_fail, 4)
    0.0078
    """
    scale = mtbf_h / math.gamma(1.0 + 1.0 / shape)
    a = max(age_h, 0.0)

    def within(hours: float, at: float = a) -> float:
        return 1.0 - math.exp((at / scale) ** shape - ((at + hours) / scale) ** shape)

    p = within(horizon_h)
    young = within(horizon_h, 0.0)
    # Unknown age: anywhere in a life, so the band spans new to twice the mean life.
    old_age = 2.0 * mtbf_h
    old = within(horizon_h, old_age)
    p_low, p_high = (min(p, young), max(p, old)) if not age_known else (p * 0.5, min(1.0, p * 1.5))
    return Assessment(
        p_fail=p,
        p_low=p_low,
        p_high=max(p_high, p),
        rul_h=_residual(a, scale, 0.5, shape),
        rul_low_h=_residual(a, scale, 0.9, shape),
        rul_high_h=_residual(a, scale, 0.1, shape),
        confidence=0.25 if age_known else 0.1,
        source="prior",
        quality=quality,
        curve=tuple((t, within(op)) for t, op in curve_h),
    )


def blend(model: Assessment, prior: Assessment, weight: float) -> Assessment:
    """Mix a model's assessment with the prior, ``weight`` on the model (stale data)."""
    w = min(max(weight, 0.0), 1.0)

    def mix(a: float, b: float) -> float:
        return w * a + (1.0 - w) * b

    return Assessment(
        p_fail=mix(model.p_fail, prior.p_fail),
        p_low=min(model.p_low, prior.p_low),
        p_high=max(model.p_high, prior.p_high),
        rul_h=mix(model.rul_h, prior.rul_h),
        rul_low_h=min(model.rul_low_h, prior.rul_low_h),
        rul_high_h=max(model.rul_high_h, prior.rul_high_h),
        confidence=mix(model.confidence, prior.confidence),
        source="model" if w >= 0.999 else ("prior" if w <= 0.001 else "model+prior"),
        quality=model.quality + tuple(q for q in prior.quality if q not in model.quality),
        curve=_mix_curves(model.curve, prior.curve, w),
    )


def _mix_curves(
    a: tuple[tuple[float, float], ...], b: tuple[tuple[float, float], ...], w: float
) -> tuple[tuple[float, float], ...]:
    if not a or w <= 0.001:
        return b
    if not b or w >= 0.999:
        return a
    ts = sorted({t for t, _ in a} | {t for t, _ in b})

    def at(curve: tuple[tuple[float, float], ...], t: float) -> float:
        xs = [0.0, *(x for x, _ in curve)]
        ys = [0.0, *(y for _, y in curve)]
        if t <= xs[-1]:
            for i in range(1, len(xs)):
                if t <= xs[i]:
                    f = (t - xs[i - 1]) / max(xs[i] - xs[i - 1], 1e-12)
                    return ys[i - 1] + f * (ys[i] - ys[i - 1])
        return ys[-1]

    return tuple((t, w * at(a, t) + (1.0 - w) * at(b, t)) for t in ts)


def observed_rate(
    *, failures: float, exposure_h: float, mtbf_h: float, prior_failures: float = 0.1
) -> tuple[float, float, float]:
    """Return a mode's failure rate per operating hour with its 10th-90th percentile band.

    The gamma posterior of a Poisson rate: ``failures`` seen in ``exposure_h`` operating
    hours beside the model's MTBF weighted as ``prior_failures`` failures.

    >>> mid, low, high = observed_rate(failures=7, exposure_h=2160, mtbf_h=1300)
    >>> round(mid * 168, 2), low < mid < high
    (0.52, True)
    """
    from scipy.stats import gamma  # noqa: PLC0415  (propose time only)

    shape = failures + prior_failures
    rate_h = exposure_h + prior_failures * mtbf_h
    mid = shape / rate_h
    low = float(gamma.ppf(0.1, shape, scale=1.0 / rate_h))
    high = float(gamma.ppf(0.9, shape, scale=1.0 / rate_h))
    return mid, low, high


def observed_rate_floor(
    assessment: Assessment,
    *,
    failures: float,
    exposure_h: float,
    mtbf_h: float,
    prior_failures: float,
    operating_h: float,
    curve_h: tuple[tuple[float, float], ...] = (),
) -> Assessment:
    """Return the assessment of a mode no tag shows, raised to its observed failure rate.

    Such a mode fails at random (constant hazard), so its risk within the horizon is
    ``1 - exp(-rate * operating hours)``; when the history says it fails more often than
    the model's MTBF (or the risk model) does, the history wins, with the posterior band.
    """
    if exposure_h <= 0:
        return assessment
    mid, low, high = observed_rate(
        failures=failures, exposure_h=exposure_h, mtbf_h=mtbf_h, prior_failures=prior_failures
    )
    p = 1.0 - math.exp(-mid * operating_h)
    if p <= assessment.p_fail:
        return assessment
    p_low = 1.0 - math.exp(-low * operating_h)
    p_high = 1.0 - math.exp(-high * operating_h)
    median_h = math.log(2.0) / mid
    return Assessment(
        p_fail=p,
        p_low=min(p_low, p),
        p_high=max(p_high, p),
        rul_h=median_h,
        rul_low_h=-math.log(0.9) / max(high, 1e-12),
        rul_high_h=-math.log(0.1) / max(low, 1e-12),
        confidence=max(assessment.confidence, min(0.3 + 0.05 * failures, 0.8)),
        source="observed rate",
        quality=assessment.quality,
        curve=tuple((t, 1.0 - math.exp(-mid * op)) for t, op in curve_h),
    )
