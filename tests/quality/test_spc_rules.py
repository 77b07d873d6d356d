# ruff: noqa: RUF003 - σ is the statistic's own symbol
"""Run rules by rolling windows agree with the rules read point by point."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from andon.apps.quality.spc import NELSON, WESTERN_ELECTRIC, Rule, run_rules


def _one_by_one(rule: Rule, z: list[float]) -> list[bool]:
    """The rule read the slow way, one point and its window at a time."""
    out = []
    for i in range(len(z)):

        def window(w: int) -> list[float]:
            return z[max(0, i - w + 1) : i + 1]  # noqa: B023 - read at once

        def same_side_run(w: int) -> bool:
            part = window(w)
            return len(part) == w and (all(v > 0 for v in part) or all(v < 0 for v in part))

        name = rule.name
        if name == "beyond_3_sigma":
            out.append(abs(z[i]) > 3)
        elif name in {"two_of_three_beyond_2_sigma", "four_of_five_beyond_1_sigma"}:
            limit, k, w = (2, 2, 3) if name.startswith("two") else (1, 4, 5)
            part = window(w)
            up = z[i] > limit and sum(v > limit for v in part) >= k
            down = z[i] < -limit and sum(v < -limit for v in part) >= k
            out.append(up or down)
        elif name == "eight_on_one_side":
            out.append(same_side_run(8))
        elif name == "nine_on_one_side":
            out.append(same_side_run(9))
        elif name == "six_trending":
            part = window(6)
            steps = [b - a for a, b in itertools.pairwise(part)]
            out.append(len(part) == 6 and (all(s > 0 for s in steps) or all(s < 0 for s in steps)))
        elif name == "fourteen_alternating":
            part = window(14)
            steps = [b - a for a, b in itertools.pairwise(part)]
            out.append(len(part) == 14 and all(a * b < 0 for a, b in itertools.pairwise(steps)))
        elif name == "fifteen_within_1_sigma":
            part = window(15)
            out.append(len(part) == 15 and all(abs(v) < 1 for v in part))
        elif name == "eight_beyond_1_sigma":
            part = window(8)
            out.append(len(part) == 8 and all(abs(v) > 1 for v in part))
        else:
            raise AssertionError(name)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_windows_agree_with_the_rules_read_point_by_point(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # A mix that breaks every rule somewhere: noise, a shift, a trend, a sawtooth, a calm.
    z = np.concatenate([
        rng.normal(0, 1, 60),
        rng.normal(1.6, 1, 30),
        np.linspace(-2, 2, 10) + rng.normal(0, 0.01, 10),
        np.tile([1.5, -1.5], 10) + rng.normal(0, 0.1, 20),
        rng.normal(0, 0.3, 25),
        np.round(rng.normal(0, 1.5, 40), 0),  # ties with the centre line and zone edges
    ])  # fmt: skip
    rules = tuple({rule.name: rule for rule in NELSON + WESTERN_ELECTRIC}.values())
    flags = run_rules(z * 2.0 + 10.0, centre=10.0, sigma=2.0, rules=rules)
    for index, rule in enumerate(rules):
        expected = _one_by_one(rule, list(z))
        assert flags.flags[index].tolist() == expected, rule.name
    assert flags.any.any()


def test_each_rule_fires_on_its_own_pattern() -> None:
    flags = run_rules([0.5] * 8 + [-0.2], centre=0.0, sigma=1.0, rules=WESTERN_ELECTRIC)
    assert flags.points("eight_on_one_side").tolist() == [7]
    flags = run_rules([0.0, 1, 2, 3, 4, 5, 4.5], centre=2.0, sigma=10.0, rules=NELSON)
    assert flags.points("six_trending").tolist() == [5]
    flags = run_rules([1.2, 1.5, 0.2, 1.1, 1.3, -2.0], centre=0.0, sigma=1.0, rules=NELSON)
    assert flags.points("four_of_five_beyond_1_sigma").tolist() == [4]
    calm = run_rules([0.1, -0.1] * 8, centre=0.0, sigma=1.0, rules=NELSON)
    assert calm.points("fifteen_within_1_sigma").tolist() == [14, 15]
    assert calm.points("fourteen_alternating").tolist() == [13, 14, 15]


def test_a_matrix_of_parameters_is_judged_column_by_column() -> None:
    rng = np.random.default_rng(3)
    data = rng.normal(0, 1, (500, 4))
    data[200:, 2] += 2.0
    flags = run_rules(data, centre=np.zeros(4), sigma=np.ones(4), rules=NELSON)
    assert flags.flags.shape == (len(NELSON), 500, 4)
    for column in range(4):
        alone = run_rules(data[:, column], centre=0.0, sigma=1.0, rules=NELSON)
        assert np.array_equal(alone.flags, flags.flags[:, :, column])
    assert flags.any[:, 2].sum() > flags.any[:, 0].sum()


def test_missing_points_are_never_flagged_and_break_runs() -> None:
    values = np.array([1.0] * 5 + [np.nan] + [1.0] * 5)
    flags = run_rules(values, centre=0.0, sigma=1.0, rules=NELSON)
    assert not flags.any.any()
