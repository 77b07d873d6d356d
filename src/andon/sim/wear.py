"""Hidden health: how each failure mode degrades, in load-weighted operating hours.

Health runs from 0 (as new) to 1 (functional failure) along the wear clock w (operating hours
weighted by load, age and site practice). Each failure mode degrades in one of three kinds
(RCM's failure patterns: Nowlan & Heap 1978; Moubray, *Reliability-centred Maintenance II*):

- ``wear``: a gamma process X(w) failing when it reaches 1, scaled so that the mean wear to
  failure equals the mode's ``mtbf_h`` (van Noortwijk 2009, "A survey of the application of
  gamma processes in maintenance").
- ``pf``: the P-F curve. A potential failure comes at an age-independent wear time
  (exponential, mean ``mtbf_h - pf_interval_h``); health then rises convexly from 0 to 1 over
  a P-F interval drawn per path (gamma, mean ``pf_interval_h``, coefficient of variation
  ``pf_cv``), so the first part of the interval shows little; the mean wear to failure is
  ``mtbf_h``.
- ``random``: no warning. Health stays 0 and the mode fails at an exponential wear with mean
  ``mtbf_h`` (a shock); its signals show noise only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from scipy.special import gammainc, gammaincc

from andon.model.schema import FailureMode

__all__ = [
    "DegradationKind",
    "HealthPath",
    "draw_path",
    "failure_probability",
    "failure_probability_of",
    "initial_path",
]

DegradationKind = Literal["wear", "pf", "random"]

_STEPS = 120
_CV_EXACT = 1e-6
"""A P-F interval with a coefficient of variation below this is taken as exact."""
_PF_POINTS = np.linspace(0.0, 1.0, 25)
"""Share of the P-F interval at the knots of a pf path."""
_PF_HEALTH = _PF_POINTS**2
"""Health at those knots: convex, so the first part of the P-F interval shows little."""


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


def _kind(kind: DegradationKind | None, signal: bool) -> DegradationKind:
    if kind is not None:
        return kind
    return "wear" if signal else "random"


def _pf_interval(rng: np.random.Generator, mean_h: float, cv: float, *, biased: bool) -> float:
    """Draw a P-F interval: gamma with the mean and cv given (length-biased when asked)."""
    if cv < _CV_EXACT:
        return mean_h
    shape = 1.0 / (cv * cv)
    return float(rng.gamma(shape + (1.0 if biased else 0.0), mean_h / shape))


def _pf_path(offset: float, onset: float, pf: float) -> HealthPath:
    fail = offset + onset + pf
    w = np.concatenate([[0.0], onset + pf * _PF_POINTS])
    # The last knot is the failure as health() will see it, so health is 1 exactly there; no
    # knot lies past it, and of knots that rounding merged (an interval too short for the
    # clock's resolution) the last is kept, so the path still ends at 1 on the failure.
    w = np.minimum(w, fail - offset)
    w[-1] = fail - offset
    x = np.concatenate([[0.0], _PF_HEALTH])
    keep = np.append(w[1:] > w[:-1], True)
    return HealthPath(offset, w[keep], x[keep], fail, signal=True)


def _pf_mean(mtbf_h: float, pf_interval_h: float | None) -> float:
    if pf_interval_h is None or not 0.0 < pf_interval_h < mtbf_h:
        raise ValueError(
            f"a pf mode needs 0 < pf_interval_h < mtbf_h, got {pf_interval_h} and {mtbf_h}"
        )
    return pf_interval_h


def draw_path(
    rng: np.random.Generator,
    *,
    mtbf_h: float,
    shape: float,
    signal: bool,
    offset: float,
    kind: DegradationKind | None = None,
    pf_interval_h: float | None = None,
    pf_cv: float = 0.3,
) -> HealthPath:
    """Draw a fresh path starting as new at wear-clock ``offset``.

    ``kind`` defaults to ``wear`` for a mode with signals and ``random`` for one without;
    ``shape`` is the gamma process's (``wear``), ``pf_interval_h`` and ``pf_cv`` the P-F
    interval's mean and coefficient of variation (``pf``).
    """
    resolved = _kind(kind, signal)
    if resolved == "random":
        life = float(rng.exponential(mtbf_h))
        return HealthPath(
            offset, np.array([0.0, life]), np.array([0.0, 1.0]), offset + life, signal=False
        )
    if resolved == "pf":
        mean_pf = _pf_mean(mtbf_h, pf_interval_h)
        onset = float(rng.exponential(mtbf_h - mean_pf))
        return _pf_path(offset, onset, _pf_interval(rng, mean_pf, pf_cv, biased=False))
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


def _initial_pf(
    rng: np.random.Generator, *, mtbf_h: float, mean_pf: float, pf_cv: float, age_share: float
) -> HealthPath:
    """Draw a pf path in equilibrium: the life that covers a random instant, length-biased.

    A life is an exponential onset plus a P-F interval; its length-biased law is a mixture:
    with probability (mtbf - pf) / mtbf the onset is length-biased (gamma of shape 2), else
    the P-F interval is (gamma of shape k + 1). The instant lies uniformly in that life, so
    it falls inside the P-F interval with probability pf / mtbf (``age_share`` = 1).
    """
    mean_onset = mtbf_h - mean_pf
    if rng.uniform() < mean_onset / mtbf_h:
        onset = float(rng.gamma(2.0, mean_onset))
        pf = _pf_interval(rng, mean_pf, pf_cv, biased=False)
    else:
        onset = float(rng.exponential(mean_onset))
        pf = _pf_interval(rng, mean_pf, pf_cv, biased=True)
    life = onset + pf
    elapsed = float(rng.uniform(0.0, life)) * age_share
    return _pf_path(-elapsed, onset, pf)


def initial_path(
    rng: np.random.Generator,
    *,
    mtbf_h: float,
    shape: float,
    signal: bool,
    age_share: float,
    kind: DegradationKind | None = None,
    pf_interval_h: float | None = None,
    pf_cv: float = 0.3,
) -> HealthPath:
    """Draw a path for equipment already in service: started earlier, part-way worn.

    The elapsed wear is a uniform share of a length-biased life (the renewal process in
    equilibrium), times ``age_share`` in (0, 1] for plants that renewed recently.
    """
    resolved = _kind(kind, signal)
    if resolved == "pf":
        mean_pf = _pf_mean(mtbf_h, pf_interval_h)
        return _initial_pf(rng, mtbf_h=mtbf_h, mean_pf=mean_pf, pf_cv=pf_cv, age_share=age_share)
    while True:
        path = draw_path(rng, mtbf_h=mtbf_h, shape=shape, signal=signal, offset=0.0, kind=resolved)
        life = path.fail_w
        if rng.uniform() * 4.0 * mtbf_h < life or life > 4.0 * mtbf_h:
            break
    elapsed = float(rng.uniform(0.0, life)) * age_share
    return HealthPath(-elapsed, path.w, path.x, life - elapsed, signal=path.signal)


def failure_probability(health: float, *, mtbf_h: float, shape: float, wear_h: float) -> float:
    """Return P(a mode at ``health`` fails within ``wear_h`` more wear hours), by the true law.

    The gamma process's increment over ``wear_h`` must cover the health still left to 1.
    """
    if wear_h <= 0.0:
        return 0.0
    rate = _mean_scale(shape) / mtbf_h
    return float(gammaincc(rate * wear_h, shape * max(1.0 - health, 0.0)))


def _pf_cdf(wear_h: np.ndarray, *, mean_pf: float, cv: float) -> np.ndarray:
    """Return P(a fresh P-F interval <= wear_h): the gamma law :func:`_pf_interval` draws."""
    wear = np.maximum(np.asarray(wear_h, dtype=float), 0.0)
    if cv < _CV_EXACT:
        exact: np.ndarray = (wear >= mean_pf).astype(float)
        return exact
    shape = 1.0 / (cv * cv)
    result: np.ndarray = gammainc(shape, wear * shape / mean_pf)
    return result


def _pf_failure_probability(
    health: float, *, mtbf_h: float, mean_pf: float, cv: float, wear_h: float
) -> float:
    """P(a ``pf`` mode at ``health`` fails within ``wear_h``), by the law :func:`draw_path` uses.

    Inside the P-F interval health is the square of the interval's share elapsed (the path's
    knots), so the wear left is ``(1 - sqrt(health))`` times the interval, whose law is the
    gamma drawn at the potential failure. Before it (health 0) the onset is still to come,
    exponential and memoryless: the chance is that of the onset and a whole interval
    together, their convolution.
    """
    if health > 0.0:
        left_share = max(1.0 - float(np.sqrt(min(health, 1.0))), 0.0)
        if left_share == 0.0:
            return 1.0
        return float(_pf_cdf(np.array(wear_h / left_share), mean_pf=mean_pf, cv=cv))
    rate = 1.0 / (mtbf_h - mean_pf)
    t = np.linspace(0.0, wear_h, 401)
    density = rate * np.exp(-rate * t) * _pf_cdf(wear_h - t, mean_pf=mean_pf, cv=cv)
    return float(min(np.trapezoid(density, t), 1.0))


def failure_probability_of(
    mode: FailureMode, health: float, *, shape: float, wear_h: float
) -> float:
    """Return P(``mode`` at ``health`` fails within ``wear_h`` more wear hours), by the true
    law of its degradation kind: the gamma process (``wear``), the P-F curve (``pf``), or
    an exponential life that health says nothing of (``random``)."""
    if wear_h <= 0.0:
        return 0.0
    kind = mode.degradation_kind
    if kind == "random":
        return float(-np.expm1(-wear_h / mode.mtbf_h))
    if kind == "pf":
        mean_pf = _pf_mean(mode.mtbf_h, mode.pf_interval_h)
        return _pf_failure_probability(
            health, mtbf_h=mode.mtbf_h, mean_pf=mean_pf, cv=mode.pf_cv, wear_h=wear_h
        )
    return failure_probability(health, mtbf_h=mode.mtbf_h, shape=shape, wear_h=wear_h)
