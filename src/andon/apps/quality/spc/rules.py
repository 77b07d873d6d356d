# ruff: noqa: RUF001, RUF002, RUF003 - σ, λ and χ are the statistics' own symbols
"""Western Electric and Nelson run rules, by rolling windows over whole columns.

A point's zone is its distance from the centre line in standard deviations of the plotted
statistic, ``z = (x - centre) / sigma``. Every rule is a window computed by whole-column
shifts along the first axis, so a column of a million points, or a matrix with one
column per parameter, is judged without a Python loop per point. A rule flags the point that
completes its pattern (for "2 of 3 beyond 2σ", a point beyond 2σ with another beyond 2σ on
the same side among the two before it). "Beyond" is strict: a point on a limit is inside,
and a point on the centre line belongs to neither side.

The rule sets (Western Electric *Statistical Quality Control Handbook*, 1956; Nelson,
*Journal of Quality Technology* 16(4), 1984):

>>> [rule.name for rule in NELSON][:3]
['beyond_3_sigma', 'nine_on_one_side', 'six_trending']
>>> z = [0.5, 2.5, 0.1, 2.2, 0.0, -3.5]
>>> flags = run_rules(z, centre=0.0, sigma=1.0, rules=WESTERN_ELECTRIC)
>>> flags.points("two_of_three_beyond_2_sigma").tolist(), flags.points("beyond_3_sigma").tolist()
([3], [5])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from andon.errors import UsageError

__all__ = ["NELSON", "WESTERN_ELECTRIC", "Rule", "RuleFlags", "run_rules"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One run rule: its name and what it says in plain words."""

    name: str
    description: str


_BEYOND_3 = Rule(name="beyond_3_sigma", description="one point beyond 3σ from the centre line")
_TWO_OF_THREE = Rule(
    name="two_of_three_beyond_2_sigma",
    description="2 of 3 points in a row beyond 2σ on the same side",
)
_FOUR_OF_FIVE = Rule(
    name="four_of_five_beyond_1_sigma",
    description="4 of 5 points in a row beyond 1σ on the same side",
)
_EIGHT_SIDE = Rule(name="eight_on_one_side", description="8 points in a row on one side")
_NINE_SIDE = Rule(name="nine_on_one_side", description="9 points in a row on one side")
_SIX_TREND = Rule(name="six_trending", description="6 points in a row rising, or falling")
_FOURTEEN_ALT = Rule(
    name="fourteen_alternating", description="14 points in a row alternating up and down"
)
_FIFTEEN_INSIDE = Rule(
    name="fifteen_within_1_sigma", description="15 points in a row within 1σ of the centre"
)
_EIGHT_OUTSIDE = Rule(
    name="eight_beyond_1_sigma",
    description="8 points in a row beyond 1σ, on either side, none within 1σ",
)

WESTERN_ELECTRIC: tuple[Rule, ...] = (_BEYOND_3, _TWO_OF_THREE, _FOUR_OF_FIVE, _EIGHT_SIDE)
"""The four Western Electric zone rules."""

NELSON: tuple[Rule, ...] = (
    _BEYOND_3,
    _NINE_SIDE,
    _SIX_TREND,
    _FOURTEEN_ALT,
    _TWO_OF_THREE,
    _FOUR_OF_FIVE,
    _FIFTEEN_INSIDE,
    _EIGHT_OUTSIDE,
)
"""Nelson's eight rules, in his order."""


@dataclass(frozen=True, slots=True)
class RuleFlags:
    """Which points each rule flags: ``flags[rule_index]`` has the shape of the statistic."""

    rules: tuple[Rule, ...]
    flags: NDArray[np.bool_]

    def of(self, name: str) -> NDArray[np.bool_]:
        """The flags of the rule ``name``."""
        for index, rule in enumerate(self.rules):
            if rule.name == name:
                flagged: NDArray[np.bool_] = self.flags[index]
                return flagged
        msg = f"no rule {name!r} in {[rule.name for rule in self.rules]}"
        raise UsageError(msg)

    def points(self, name: str) -> NDArray[np.intp]:
        """Indices of the points the rule ``name`` flags (a statistic of one column)."""
        return np.flatnonzero(self.of(name))

    @property
    def any(self) -> NDArray[np.bool_]:
        """Points flagged by at least one rule."""
        result: NDArray[np.bool_] = np.asarray(self.flags.any(axis=0), dtype=bool)
        return result


def _count_in_window(hit: NDArray[np.bool_], window: int) -> NDArray[np.uint8]:
    """How many of the last ``window`` points (this one included) are hits, along axis 0."""
    count = hit.astype(np.uint8)
    for shift in range(1, window):  # one whole-column add per place in the window
        count[shift:] += hit[:-shift]
    return count


def _all_in_window(hit: NDArray[np.bool_], window: int, *, offset: int = 0) -> NDArray[np.bool_]:
    """Whether the last ``window`` values are all hits: a run of at least ``window``.

    ``offset`` aligns a sequence defined between points (steps) with the points: value i
    of ``hit`` belongs to point ``i + offset``.
    """
    run = hit.copy()
    for shift in range(1, window):
        run[shift:] &= hit[:-shift]
    run[: window - 1] = False
    if offset == 0:
        return run
    out = np.zeros((run.shape[0] + offset, *run.shape[1:]), dtype=bool)
    out[offset:] = run
    return out


def _k_of_w(z: NDArray[np.float64], limit: float, k: int, w: int) -> NDArray[np.bool_]:
    above = z > limit
    below = z < -limit
    return (above & (_count_in_window(above, w) >= k)) | (below & (_count_in_window(below, w) >= k))


def _flag(rule: Rule, z: NDArray[np.float64]) -> NDArray[np.bool_]:
    if rule is _BEYOND_3:
        return np.abs(z) > 3.0
    if rule is _TWO_OF_THREE:
        return _k_of_w(z, 2.0, 2, 3)
    if rule is _FOUR_OF_FIVE:
        return _k_of_w(z, 1.0, 4, 5)
    if rule is _EIGHT_SIDE or rule is _NINE_SIDE:
        run = 8 if rule is _EIGHT_SIDE else 9
        return _all_in_window(z > 0, run) | _all_in_window(z < 0, run)
    if rule is _FIFTEEN_INSIDE:
        return _all_in_window(np.abs(z) < 1.0, 15)
    if rule is _EIGHT_OUTSIDE:
        return _all_in_window(np.abs(z) > 1.0, 8)
    step = np.diff(z, axis=0)
    if rule is _SIX_TREND:
        return _all_in_window(step > 0, 5, offset=1) | _all_in_window(step < 0, 5, offset=1)
    if rule is _FOURTEEN_ALT:
        sign = np.sign(step)
        alternate = sign[1:] * sign[:-1] < 0
        return _all_in_window(alternate, 12, offset=2)
    msg = f"unknown rule {rule.name!r}"
    raise UsageError(msg)


def run_rules(
    statistic: ArrayLike,
    *,
    centre: float | ArrayLike,
    sigma: float | ArrayLike,
    rules: tuple[Rule, ...] = WESTERN_ELECTRIC,
) -> RuleFlags:
    """Flag the points of ``statistic`` (time along the first axis) that break ``rules``.

    ``centre`` and ``sigma`` are the centre line and the standard deviation of the plotted
    statistic; they broadcast against it (one per column for a matrix of parameters, one per
    point for limits that vary). Non-finite points are never flagged, and they break runs.
    """
    values = np.asarray(statistic, dtype=np.float64)
    spread = np.asarray(sigma, dtype=np.float64)
    if np.any(spread <= 0):
        msg = "run rules need a positive sigma of the plotted statistic"
        raise UsageError(msg)
    with np.errstate(invalid="ignore"):
        z = values - np.asarray(centre, dtype=np.float64)
        if np.broadcast_shapes(z.shape, spread.shape) == z.shape:
            z /= spread  # in place: one matrix the less
        else:
            z = z / spread
    finite = np.isfinite(z)
    z[~finite] = np.nan
    if z.shape[0] == 0:
        return RuleFlags(rules=rules, flags=np.zeros((len(rules), *z.shape), dtype=bool))
    flags = np.empty((len(rules), *z.shape), dtype=bool)
    with np.errstate(invalid="ignore"):
        for k, rule in enumerate(rules):
            np.logical_and(_flag(rule, z), finite, out=flags[k])
    return RuleFlags(rules=rules, flags=flags)
