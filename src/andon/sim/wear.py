"""Hidden health: gamma-process wear in load-weighted operating hours, and random shocks.

A failure mode with condition signals degrades along a gamma process X(w) of the wear clock
w (operating hours weighted by load, age and site practice); it fails when X reaches 1. The
process is scaled so that the mean wear to failure equals the mode's ``mtbf_h`` (van
Noortwijk 2009, "A survey of the application of gamma processes in maintenance"). A mode
without signals fails by shocks: an exponential wear to failure with the same mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import gammainc, gammaincc

__all__ = ["HealthPath", "draw_path", "failure_probability", "initial_path"]

_STEPS = 120


@lru_cache(maxsize=64)
def _mean_scale(shape: float) -> float:
    """Return the integral of P(X(u) < 1) over u for a unit-rate gamma process of scale 1/shape.

    Dividing it by a mode's MTBF gives the shape rate per wear hour that makes the mean
    first passage equal the MTBF.
    """
    u = np.linspace(0.0, 6.0 * shape + 50.0, 20_001)
    survival = gammainc(np.maximum(u, 1e-12), shape)
    return float(np.trapezoid(survival, u))


@dataclass(frozen=True, slots=True)
class HealthPath:
    """One realised degradation path: health ``x`` at wear ``w`` past ``offset``.

    The mode fails when the wear clock reaches ``fail_w``.
    """

    offset: float
    w: np.ndarray
    x: np.ndarray
    fail_w: float
    signal: bool

    def health(self, wear: np.ndarray | float) -> np.ndarray:
        """Return the health at absolute wear-clock values."""
        if not self.signal:
            return np.zeros_like(np.asarray(wear, dtype=float))
        result: np.ndarray = np.interp(np.asarray(wear, dtype=float) - self.offset, self.w, self.x)
        return result


def draw_path(
    rng: np.random.Generator, *, mtbf_h: float, shape: float, signal: bool, offset: float
) -> HealthPath:
    """Draw a fresh path starting as new at wear-clock ``offset``."""
    if not signal:
        life = float(rng.exponential(mtbf_h))
        return HealthPath(
            offset, np.array([0.0, life]), np.array([0.0, 1.0]), offset + life, signal=False
        )
    rate = _mean_scale(shape) / mtbf_h  # gamma shape per wear hour
    step = mtbf_h / _STEPS
    increments: list[np.ndarray] = []
    total = 0.0
    while total < 1.0:
        inc = rng.gamma(rate * step, 1.0 / shape, size=_STEPS)
        increments.append(inc)
        total += float(inc.sum())
    x = np.concatenate([[0.0], np.cumsum(np.concatenate(increments))])
    w = np.arange(x.size, dtype=float) * step
    k = int(np.searchsorted(x, 1.0))
    # Linear crossing inside the step where the path passes 1.
    frac = (1.0 - x[k - 1]) / max(x[k] - x[k - 1], 1e-12)
    fail = w[k - 1] + frac * step
    w_cut = np.append(w[:k], fail)
    x_cut = np.append(x[:k], 1.0)
    return HealthPath(offset, w_cut, x_cut, offset + fail, signal=True)


def initial_path(
    rng: np.random.Generator, *, mtbf_h: float, shape: float, signal: bool, age_share: float
) -> HealthPath:
    """Draw a path for equipment already in service: started earlier, part-way worn.

    The elapsed wear is a uniform share of a length-biased life (the renewal process in
    equilibrium), times ``age_share`` in (0, 1] for plants that renewed recently.
    """
    while True:
        path = draw_path(rng, mtbf_h=mtbf_h, shape=shape, signal=signal, offset=0.0)
        life = path.fail_w
        if rng.uniform() * 4.0 * mtbf_h < life or life > 4.0 * mtbf_h:
            break
    elapsed = float(rng.uniform(0.0, life)) * age_share
    return HealthPath(-elapsed, path.w, path.x, life - elapsed, signal=signal)


def failure_probability(health: float, *, mtbf_h: float, shape: float, wear_h: float) -> float:
    """Return P(a mode at ``health`` fails within ``wear_h`` more wear hours), by the true law.

    The gamma process's increment over ``wear_h`` must cover the health still left to 1.
    """
    if wear_h <= 0.0:
        return 0.0
    rate = _mean_scale(shape) / mtbf_h
    return float(gammaincc(rate * wear_h, shape * max(1.0 - health, 0.0)))
