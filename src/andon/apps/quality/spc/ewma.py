# ruff: noqa: RUF002, RUF003 - σ, λ and χ are the statistics' own symbols
"""The exponentially weighted moving average chart (Roberts 1959).

``z_t = λ x_t + (1 - λ) z_(t-1)`` from ``z_0`` (the target unless given), computed as one
linear filter over the whole column (no Python loop per point). The limits are
``target ± L σ_x √(λ / (2 - λ) · (1 - (1 - λ)^(2t)))``, or their asymptote without the last
factor (NIST/SEMATECH e-Handbook 6.3.2.4 prints the asymptotic ones); σ_x is the standard
deviation of one plotted value (σ / √n for subgroup means of n).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.signal import lfilter

from andon.apps.quality.spc._judgement import CannotJudge, finite_values
from andon.errors import UsageError

__all__ = ["EwmaChart", "ewma_chart"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EwmaChart:
    """The EWMA statistic and its limits, one per point (time along the first axis)."""

    statistic: NDArray[np.float64]
    centre: float
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    lam: float
    width: float

    @property
    def beyond(self) -> NDArray[np.bool_]:
        """Points beyond the limits."""
        result: NDArray[np.bool_] = (self.statistic > self.upper) | (self.statistic < self.lower)
        return result


def ewma_chart(
    values: ArrayLike,
    *,
    target: float,
    sigma: float,
    lam: float = 0.2,
    width: float = 3.0,
    asymptotic: bool = False,
    start: float | None = None,
    subgroup_size: int = 1,
) -> EwmaChart | CannotJudge:
    """Return the EWMA chart of ``values`` (individuals, or subgroup means of ``subgroup_size``).

    ``target`` and ``sigma`` (the process σ of one value) come from a Phase I baseline or a
    specification; ``lam`` is the weight of the newest point, ``width`` the limits' L.
    """
    if not 0.0 < lam <= 1.0:
        msg = f"the EWMA weight λ must be in (0, 1], not {lam}"
        raise UsageError(msg)
    if not (math.isfinite(sigma) and sigma > 0.0):
        return CannotJudge(
            code="spc.no_variation", reason=f"an EWMA chart needs a positive sigma, not {sigma}"
        )
    x = finite_values(values)
    if isinstance(x, CannotJudge):
        return x
    z0 = target if start is None else start
    tail = (1,) * (x.ndim - 1)
    zi = np.full((1, *x.shape[1:]), (1.0 - lam) * z0)
    statistic, _ = lfilter([lam], [1.0, -(1.0 - lam)], x, axis=0, zi=zi)
    sigma_x = sigma / math.sqrt(subgroup_size)
    t = np.arange(1, x.shape[0] + 1, dtype=np.float64).reshape((-1, *tail))
    factor = lam / (2.0 - lam)
    if asymptotic:
        spread = np.full(t.shape, width * sigma_x * math.sqrt(factor))
    else:
        spread = width * sigma_x * np.sqrt(factor * (1.0 - (1.0 - lam) ** (2.0 * t)))
    return EwmaChart(
        statistic=np.asarray(statistic, dtype=np.float64),
        centre=float(target),
        lower=target - spread,
        upper=target + spread,
        lam=lam,
        width=width,
    )
