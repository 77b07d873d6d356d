"""Hostile input: SPC says what it cannot judge and why, never a confident figure."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from andon.apps.quality.spc import (
    Baseline,
    CannotJudge,
    Capability,
    ChartKind,
    Monitoring,
    anderson_darling,
    capability,
    cusum_chart,
    ewma_chart,
    phase_one,
    phase_two,
)

RNG = np.random.default_rng(17)
SUBGROUPS = RNG.normal(10.0, 0.5, (30, 5))


def _code(result: object) -> str:
    assert isinstance(result, CannotJudge), result
    assert result.reason
    return result.code


@pytest.mark.parametrize("kind", list(ChartKind))
def test_fewer_baseline_subgroups_than_a_chart_needs(kind: ChartKind) -> None:
    data = SUBGROUPS[:19] if kind is not ChartKind.INDIVIDUALS else SUBGROUPS[:3].ravel()
    result = phase_one(data, kind=kind)
    assert _code(result) == "spc.too_few_subgroups"
    assert "at least 20" in str(result)


def test_too_few_left_after_removing_the_out_of_control() -> None:
    data = SUBGROUPS[:21].copy()
    data[[3, 9]] += 5.0
    assert _code(phase_one(data, kind=ChartKind.XBAR_R)) == "spc.too_few_subgroups"


@pytest.mark.parametrize("kind", list(ChartKind))
def test_constant_data(kind: ChartKind) -> None:
    data = np.full((25, 5), 74.0) if kind is not ChartKind.INDIVIDUALS else np.full(25, 74.0)
    assert _code(phase_one(data, kind=kind)) == "spc.no_variation"
    assert _code(capability(np.full(50, 3.0), lsl=1.0, usl=5.0)) == "spc.no_variation"
    assert _code(ewma_chart(np.ones(5), target=1.0, sigma=0.0)) == "spc.no_variation"
    assert _code(cusum_chart(np.ones(5), target=1.0, sigma=0.0)) == "spc.no_variation"


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_missing_values(bad: float) -> None:
    data = SUBGROUPS.copy()
    data[4, 2] = bad
    assert _code(phase_one(data, kind=ChartKind.XBAR_S)) == "spc.missing_values"
    values = RNG.normal(0, 1, 100)
    values[10] = bad
    assert _code(capability(values, lsl=-3, usl=3)) == "spc.missing_values"
    assert _code(ewma_chart(values, target=0.0, sigma=1.0)) == "spc.missing_values"
    assert _code(cusum_chart(values, target=0.0, sigma=1.0)) == "spc.missing_values"
    assert _code(phase_one([], kind=ChartKind.INDIVIDUALS)) == "spc.no_values"


def test_no_specification_limits() -> None:
    values = RNG.normal(0, 1, 100)
    assert _code(capability(values)) == "spc.no_spec_limits"
    assert _code(capability(values, lsl=2.0, usl=1.0)) == "spc.spec_limits_inverted"
    assert _code(capability(values[:5], lsl=-3.0, usl=3.0)) == "spc.too_few_values"


def test_subgroups_of_the_wrong_size() -> None:
    assert _code(phase_one(RNG.normal(0, 1, (30, 26)), kind=ChartKind.XBAR_R)) == (
        "spc.subgroup_size"
    )
    assert isinstance(phase_one(RNG.normal(0, 1, (30, 26)), kind=ChartKind.XBAR_S), Baseline)
    baseline = phase_one(SUBGROUPS, kind=ChartKind.XBAR_R)
    assert isinstance(baseline, Baseline)
    assert _code(phase_two(RNG.normal(0, 1, (5, 4)), baseline)) == "spc.subgroup_size"


def test_non_normal_data_are_flagged_and_get_a_percentile_capability() -> None:
    skewed = RNG.lognormal(0.0, 0.6, 5000)
    result = capability(skewed, lsl=0.05, usl=12.0)
    assert isinstance(result, Capability)
    assert not result.normality.normal
    assert any("not normal" in note for note in result.notes)
    assert result.percentile is not None
    low, high = np.quantile(skewed, [0.00135, 0.99865])
    assert result.percentile.pp == pytest.approx((12.0 - 0.05) / (high - low))
    # Normal data are not flagged, and fewer than 741 values get no percentile figure.
    normal = capability(RNG.normal(10, 1, 200), lsl=6.0, usl=14.0)
    assert isinstance(normal, Capability)
    assert normal.normality.normal
    assert normal.percentile is None
    assert normal.cp is not None
    assert normal.cp_interval is not None
    assert normal.cp_interval.low < normal.cp < normal.cp_interval.high
    assert normal.cpk_interval.low < normal.cpk < normal.cpk_interval.high


def test_one_sided_specification() -> None:
    result = capability(RNG.normal(10, 1, 100), usl=13.0)
    assert isinstance(result, Capability)
    assert result.cp is None
    assert result.pp is None
    assert result.ppk == pytest.approx((13.0 - result.mean) / (3 * result.sigma_overall))


def test_anderson_darling_matches_scipy() -> None:
    values = RNG.normal(0, 1, 300)
    ours = anderson_darling(values)
    theirs = stats.anderson(values, dist="norm", method="interpolate")
    n = values.size
    assert ours.statistic == pytest.approx(theirs.statistic * (1 + 0.75 / n + 2.25 / n**2))


def test_phase_two_signals_a_shift_that_phase_one_never_saw() -> None:
    baseline = phase_one(SUBGROUPS, kind=ChartKind.XBAR_R)
    assert isinstance(baseline, Baseline)
    later = np.vstack([RNG.normal(10.0, 0.5, (10, 5)), RNG.normal(10.5, 0.5, (20, 5))])
    monitoring = phase_two(later, baseline)
    assert isinstance(monitoring, Monitoring)
    assert monitoring.signals[10:].sum() > monitoring.signals[:10].sum()
    assert monitoring.rules.flags.shape == (4, 30)
