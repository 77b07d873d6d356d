# ruff: noqa: RUF003 - σ, λ and χ are the statistics' own symbols
"""SPC against the worked examples of the NIST/SEMATECH e-Handbook of Statistical Methods
(section 6.3) and Montgomery's *Introduction to Statistical Quality Control* (6th edition),
with the data of their tables and the figures they print."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

from andon.apps.quality.spc import (
    A2,
    A3,
    B4,
    D4,
    Baseline,
    CannotJudge,
    ChartKind,
    bissell_interval,
    c4,
    chart_pair,
    chi_square_interval,
    cusum_chart,
    d2,
    d3,
    ewma_chart,
    phase_one,
)


def _figures(text: str) -> list[str]:
    """Printed figures as the book prints them, separated by spaces."""
    return text.split()


def agrees(computed: float, printed: str) -> bool:
    """Whether ``computed`` agrees with the figure printed as ``printed``."""
    value = float(printed)
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    printed_tolerance = 0.5 * 10.0**-decimals
    significant_tolerance = 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - 3) if value else 0
    return abs(computed - value) <= max(printed_tolerance, significant_tolerance) * (1 + 1e-9)


# Montgomery, Table 6.3: inside diameter (mm) of forged piston rings, 25 samples of 5.
PISTON_RINGS = np.array([
    [74.030, 74.002, 74.019, 73.992, 74.008],
    [73.995, 73.992, 74.001, 74.011, 74.004],
    [73.988, 74.024, 74.021, 74.005, 74.002],
    [74.002, 73.996, 73.993, 74.015, 74.009],
    [73.992, 74.007, 74.015, 73.989, 74.014],
    [74.009, 73.994, 73.997, 73.985, 73.993],
    [73.995, 74.006, 73.994, 74.000, 74.005],
    [73.985, 74.003, 73.993, 74.015, 73.988],
    [74.008, 73.995, 74.009, 74.005, 74.004],
    [73.998, 74.000, 73.990, 74.007, 73.995],
    [73.994, 73.998, 73.994, 73.995, 73.990],
    [74.004, 74.000, 74.007, 74.000, 73.996],
    [73.983, 74.002, 73.998, 73.997, 74.012],
    [74.006, 73.967, 73.994, 74.000, 73.984],
    [74.012, 74.014, 73.998, 73.999, 74.007],
    [74.000, 73.984, 74.005, 73.998, 73.996],
    [73.994, 74.012, 73.986, 74.005, 74.007],
    [74.006, 74.010, 74.018, 74.003, 74.000],
    [73.984, 74.002, 74.003, 74.005, 73.997],
    [74.000, 74.010, 74.013, 74.020, 74.003],
    [73.982, 74.001, 74.015, 74.005, 73.996],
    [74.004, 73.999, 73.990, 74.006, 74.009],
    [74.010, 73.989, 73.990, 74.009, 74.014],
    [74.015, 74.008, 73.993, 74.000, 74.010],
    [73.982, 73.984, 73.995, 74.017, 74.013],
])  # fmt: skip
# The sample means and ranges Table 6.3 prints beside the data.
PISTON_MEANS = _figures(
    "74.010 74.001 74.008 74.003 74.003 73.996 74.000 73.997 74.004 73.998 73.994 74.001 "
    "73.998 73.990 74.006 73.997 74.001 74.007 73.998 74.009 74.000 74.002 74.002 74.005 73.998"
)
PISTON_RANGES = _figures(
    "0.038 0.019 0.036 0.022 0.026 0.024 0.012 0.030 0.014 0.017 0.008 0.011 0.029 0.039 "
    "0.016 0.021 0.026 0.018 0.021 0.020 0.033 0.019 0.025 0.022 0.035"
)

# NIST/SEMATECH 6.3.2.2: flow rate of ten batches.
FLOW_RATE = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]

# NIST/SEMATECH 6.3.2.4: EWMA example, EWMA_0 = 50, s = 2.0539, λ = 0.3.
EWMA_DATA = [52.0, 47.0, 53.0, 49.3, 50.1, 47.0, 51.0, 50.1, 51.2, 50.5,
             49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]  # fmt: skip
EWMA_PRINTED = _figures("50.60 49.52 50.56 50.18 50.16 49.21 49.75 49.85 50.26 50.33 "
                "50.11 49.36 49.52 50.05 49.38 49.92 50.73 51.23 51.94 51.99")  # fmt: skip

# NIST/SEMATECH 6.3.2.3: CUSUM example, target 325, k = 0.3175, h = 4.1959 (σ = 0.635).
CUSUM_DATA = [324.925, 324.675, 324.725, 324.350, 325.350, 325.225, 324.125, 324.525,
              325.225, 324.600, 324.625, 325.150, 328.325, 327.250, 327.825, 328.500,
              326.675, 327.775, 326.875, 328.350]  # fmt: skip
CUSUM_HIGH = _figures("0.00 0.00 0.00 0.00 0.03 0.00 0.00 0.00 0.00 0.00 0.00 0.00 "
              "3.01 4.94 7.45 10.63 11.99 14.44 16.00 19.04")  # fmt: skip
CUSUM_LOW = _figures("0.00 0.01 0.00 0.33 0.00 0.00 0.56 0.72 0.17 0.25 0.31 0.00 "
             "0.00 0.00 0.00 0.00 0.00 0.00 0.00 0.00")  # fmt: skip

# Montgomery, Table 9.1: 30 observations, the first 20 from N(10, 1), the last 10 from N(11, 1).
MONTGOMERY_CUSUM = [
    9.45, 7.99, 9.29, 11.66, 12.16, 10.18, 8.04, 11.46, 9.20, 10.34,
    9.03, 11.47, 10.51, 9.40, 10.08, 9.37, 10.62, 10.31, 8.52, 10.84,
    10.90, 9.33, 12.29, 11.50, 10.60, 11.08, 10.38, 11.62, 11.31, 10.52,
]  # fmt: skip


def _baseline(data: np.ndarray, kind: ChartKind, **kwargs: int) -> Baseline:
    baseline = phase_one(data, kind=kind, **kwargs)
    assert isinstance(baseline, Baseline), baseline
    return baseline


def test_the_factors_are_the_printed_ones() -> None:
    # Montgomery, Appendix VI, n = 5 (the piston rings' subgroup size).
    for computed, printed in ((d2(5), "2.326"), (A2(5), "0.577"), (D4(5), "2.114"),
                              (c4(5), "0.9400"), (A3(5), "1.427"), (B4(5), "2.089"),
                              (d2(2), "1.128"), (D4(2), "3.267")):  # fmt: skip
        assert agrees(computed, printed), (computed, printed)


def test_piston_rings_xbar_r() -> None:
    # Montgomery, Example 6.1: X̄̄ = 74.001, R̄ = 0.023, X̄ chart 73.988 to 74.014, R chart
    # 0 to 0.049, every sample in control.
    baseline = _baseline(PISTON_RINGS, ChartKind.XBAR_R)
    assert baseline.removed == ()
    charts = chart_pair(PISTON_RINGS, baseline.estimate)
    assert not isinstance(charts, CannotJudge)
    for computed, printed in zip(charts.location.statistic, PISTON_MEANS, strict=True):
        assert agrees(float(computed), printed)
    for computed, printed in zip(charts.dispersion.statistic, PISTON_RANGES, strict=True):
        assert agrees(float(computed), printed)
    assert agrees(charts.location.centre, "74.001")
    assert agrees(charts.dispersion.centre, "0.023")
    assert agrees(charts.location.upper, "74.014")
    assert agrees(charts.location.lower, "73.988")
    assert agrees(charts.dispersion.upper, "0.049")
    assert charts.dispersion.lower == 0.0
    assert not charts.beyond.any()
    assert baseline.estimate.sigma == pytest.approx(0.02324 / d2(5), rel=1e-12)


def test_piston_rings_xbar_s() -> None:
    # Montgomery, Example 6.3: s̄ = 0.0094, X̄ chart 73.988 to 74.014, S chart 0 to 0.0196,
    # σ̂ = s̄/c4 = 0.01.
    baseline = _baseline(PISTON_RINGS, ChartKind.XBAR_S)
    charts = chart_pair(PISTON_RINGS, baseline.estimate)
    assert not isinstance(charts, CannotJudge)
    assert agrees(charts.dispersion.centre, "0.0094")
    assert agrees(charts.location.upper, "74.014")
    assert agrees(charts.location.lower, "73.988")
    assert agrees(charts.dispersion.upper, "0.0196")
    assert charts.dispersion.lower == 0.0
    assert agrees(baseline.estimate.sigma, "0.01")
    assert not charts.beyond.any()


def test_flow_rate_individuals_chart() -> None:
    # NIST 6.3.2.2: x̄ = 50.81, MR̄ = 1.8778, UCL = 55.8041, LCL = 45.8159, in control.
    # Ten values are fewer than a baseline should have: the example is run with the
    # minimum lowered to its ten, and the default refuses it.
    assert isinstance(phase_one(FLOW_RATE, kind=ChartKind.INDIVIDUALS), CannotJudge)
    baseline = _baseline(np.array(FLOW_RATE), ChartKind.INDIVIDUALS, min_subgroups=10)
    charts = chart_pair(FLOW_RATE, baseline.estimate)
    assert not isinstance(charts, CannotJudge)
    assert agrees(charts.location.centre, "50.81")
    assert agrees(charts.dispersion.centre, "1.8778")
    assert agrees(charts.location.upper, "55.8041")
    assert agrees(charts.location.lower, "45.8159")
    moving = [f"{v:.1f}" for v in charts.dispersion.statistic[1:]]
    assert moving == ["2.0", "2.3", "1.4", "3.5", "3.4", "1.4", "0.2", "1.2", "1.5"]
    assert not charts.beyond.any()


def test_nist_ewma_example() -> None:
    # NIST 6.3.2.4: UCL = 52.5884, LCL = 47.4115, the EWMA series, no point out of control.
    chart = ewma_chart(EWMA_DATA, target=50.0, sigma=2.0539, lam=0.3, asymptotic=True)
    assert not isinstance(chart, CannotJudge)
    assert agrees(float(chart.upper[0]), "52.5884")
    assert agrees(float(chart.lower[0]), "47.4115")
    for computed, printed in zip(chart.statistic, EWMA_PRINTED, strict=True):
        assert agrees(float(computed), printed), (computed, printed)
    assert not chart.beyond.any()


def test_ewma_exact_limits_widen_to_the_asymptote() -> None:
    # Montgomery, Example 9.2 (λ = 0.1, L = 2.7, μ0 = 10, σ = 1, Table 9.1's data):
    # z1 = 9.945, first limits 9.73 and 10.27, widening to 9.38 and 10.62.
    chart = ewma_chart(MONTGOMERY_CUSUM, target=10.0, sigma=1.0, lam=0.1, width=2.7)
    assert not isinstance(chart, CannotJudge)
    assert agrees(float(chart.statistic[0]), "9.945")
    assert agrees(float(chart.upper[0]), "10.27")
    assert agrees(float(chart.lower[0]), "9.73")
    assert agrees(float(chart.upper[-1]), "10.62")
    assert agrees(float(chart.lower[-1]), "9.38")
    assert np.all(np.diff(chart.upper) > 0)


def test_nist_cusum_example() -> None:
    # NIST 6.3.2.3: the S_hi and S_lo columns; S_hi first beyond h = 4.1959 at group 14.
    chart = cusum_chart(CUSUM_DATA, target=325.0, sigma=0.635, k=0.5, h=4.1959 / 0.635)
    assert not isinstance(chart, CannotJudge)
    assert agrees(chart.reference, "0.3175")
    for computed, printed in zip(chart.upper, CUSUM_HIGH, strict=True):
        assert abs(float(computed) - float(printed)) <= 0.005 + 1e-9
    for computed, printed in zip(chart.lower, CUSUM_LOW, strict=True):
        assert abs(float(computed) - float(printed)) <= 0.005 + 1e-9
    assert chart.first_alarm() == 13
    assert np.flatnonzero(chart.beyond).tolist() == list(range(13, 20))


def test_montgomery_tabular_cusum() -> None:
    # Montgomery, Example 9.1 (Table 9.2): k = 0.5, h = 5; C+ = 5.28 at period 29, the
    # first beyond H, with N+ = 7, and the shifted mean estimated at 11.25.
    chart = cusum_chart(MONTGOMERY_CUSUM, target=10.0, sigma=1.0, k=0.5, h=5.0)
    assert not isinstance(chart, CannotJudge)
    first = chart.first_alarm()
    assert first == 28
    assert agrees(float(chart.upper[28]), "5.28")
    assert int(chart.upper_periods[28]) == 7
    assert agrees(chart.shifted_mean(28), "11.25")
    assert not (chart.lower > chart.interval).any()


def test_capability_confidence_intervals() -> None:
    # Montgomery, 8.3.5, its two examples: n = 20, USL 62, LSL 38, s = 1.75, so
    # Ĉp = 24 / 10.5 = 2.29 and 1.57 ≤ Cp ≤ 3.01 at 95 % (from Ĉp as printed, 2.29);
    # n = 20, Ĉpk = 1.33: 0.88 ≤ Cpk ≤ 1.78 by Bissell's approximation.
    assert agrees((62 - 38) / (6 * 1.75), "2.29")
    interval = chi_square_interval(2.29, 20, 0.95)
    assert agrees(interval.low, "1.57")
    assert agrees(interval.high, "3.01")
    interval = bissell_interval(1.33, 20, 0.95)
    assert agrees(interval.low, "0.88")
    assert agrees(interval.high, "1.78")


@pytest.mark.parametrize("kind", [ChartKind.XBAR_R, ChartKind.XBAR_S])
def test_phase_one_drops_an_assignable_cause(kind: ChartKind) -> None:
    shifted = PISTON_RINGS.copy()
    shifted[7] += 0.03  # a sample 3 σ/√5 x 2 away: an assignable cause
    baseline = _baseline(shifted, kind)
    assert baseline.removed == (7,)
    assert baseline.iterations == 2
    clean = _baseline(np.delete(PISTON_RINGS, 7, axis=0), kind)
    assert baseline.estimate.mean == pytest.approx(clean.estimate.mean, rel=1e-12)
    assert baseline.estimate.sigma == pytest.approx(clean.estimate.sigma, rel=1e-12)


def test_the_range_constants_are_integrals_of_the_normal() -> None:
    # n = 2 in closed form: R = |X1 - X2| with X1 - X2 ~ N(0, 2).
    assert d2(2) == pytest.approx(2 / np.sqrt(np.pi), abs=1e-6)
    assert D4(2) == pytest.approx(1 + 3 * np.sqrt(2 - 4 / np.pi) / (2 / np.sqrt(np.pi)), abs=1e-5)
    # n = 5 by integrating P(R > r) = 1 - n ∫ φ(x) (Φ(x + r) - Φ(x))^(n-1) dx.
    n, h = 5, 0.01
    x = np.arange(-9, 9 + h / 2, h)
    r = np.arange(0, 14 + h / 2, h)
    phi = np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
    inner = (special.ndtr(x[None, :] + r[:, None]) - special.ndtr(x)[None, :]) ** (n - 1)
    tail = 1 - n * integrate.simpson(phi[None, :] * inner, x=x, axis=1)
    mean = integrate.simpson(tail, x=r)
    assert d2(n) == pytest.approx(mean, abs=2e-6)
    assert d3(n) == pytest.approx(np.sqrt(integrate.simpson(2 * r * tail, x=r) - mean**2), abs=2e-6)
