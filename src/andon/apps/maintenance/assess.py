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

__all__ = ["Assessment", "blend", "weibull_prior"]

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


def _residual(age_h: float, scale_h: float, survival: float) -> float:
    """Hours until the conditional survival from ``age_h`` falls to ``survival``."""
    target: float = (age_h / scale_h) ** _SHAPE - math.log(survival)
    residual: float = scale_h * target ** (1.0 / _SHAPE) - age_h
    return max(residual, 0.0)


def weibull_prior(
    *, mtbf_h: float, age_h: float, horizon_h: float, age_known: bool, quality: tuple[str, ...]
) -> Assessment:
    """Return the prior assessment of a wear-out mode at ``age_h`` operating hours.

    >>> a = weibull_prior(mtbf_h=1000, age_h=0, horizon_h=100, age_known=True, quality=())
    >>> round(a.p_fail, 4)
    0.0078
    """
    scale = mtbf_h / math.gamma(1.0 + 1.0 / _SHAPE)
    a = max(age_h, 0.0)
    p = 1.0 - math.exp((a / scale) ** _SHAPE - ((a + horizon_h) / scale) ** _SHAPE)
    young = 1.0 - math.exp(-((horizon_h / scale) ** _SHAPE))
    # Unknown age: anywhere in a life, so the band spans new to twice the mean life.
    old_age = 2.0 * mtbf_h
    old = 1.0 - math.exp((old_age / scale) ** _SHAPE - ((old_age + horizon_h) / scale) ** _SHAPE)
    p_low, p_high = (min(p, young), max(p, old)) if not age_known else (p * 0.5, min(1.0, p * 1.5))
    return Assessment(
        p_fail=p,
        p_low=p_low,
        p_high=max(p_high, p),
        rul_h=_residual(a, scale, 0.5),
        rul_low_h=_residual(a, scale, 0.9),
        rul_high_h=_residual(a, scale, 0.1),
        confidence=0.25 if age_known else 0.1,
        source="prior",
        quality=quality,
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
    )
