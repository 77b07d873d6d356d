"""Multivariate monitors on synthetic processes, and on Tennessee Eastman when the public
Braatz data set is in ../shared/data/tep (skipped otherwise)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from andon.apps.quality.multivariate import (
    COMBINED,
    CvaMonitor,
    DynamicPcaMonitor,
    HotellingMonitor,
    Monitor,
    PcaMonitor,
    calibrate,
)
from andon.errors import UsageError

TEP = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tep"


def _process(n: int, seed: int) -> np.ndarray:
    """A correlated, autocorrelated process of 6 variables driven by 2 latent AR(1) states."""
    rng = np.random.default_rng(seed)
    states = np.zeros((n, 2))
    noise = rng.normal(0, 1, (n, 2))
    for t in range(1, n):  # the test's generator, not the monitors
        states[t] = 0.9 * states[t - 1] + noise[t]
    mixing = np.array([[1.0, 0.5, 0.0, 0.8, -0.4, 0.2], [0.0, 0.7, 1.0, -0.3, 0.6, 0.9]])
    out: np.ndarray = states @ mixing + rng.normal(0, 0.3, (n, 6))
    return out


MONITORS = [
    HotellingMonitor,
    lambda: PcaMonitor(variance=0.8),
    lambda: DynamicPcaMonitor(lags=2, variance=0.8),
    lambda: CvaMonitor(past=3, future=3),
]


@pytest.mark.parametrize("make", MONITORS, ids=["hotelling", "pca", "dpca", "cva"])
def test_limits_keep_the_stated_false_alarm_rate_and_catch_a_broken_correlation(make) -> None:  # type: ignore[no-untyped-def]
    monitor: Monitor = make()
    assert isinstance(monitor, Monitor)
    monitor.fit(_process(2000, 1))
    limits = calibrate(monitor.score(_process(4000, 2)), false_alarm_rate=0.01)
    normal = limits.alarms(monitor.score(_process(4000, 3)))
    for name, flags in normal.items():
        assert 0.002 < flags.mean() < 0.03, (name, flags.mean())
    faulty = _process(1000, 4)
    faulty[:, 2] += 2.0 * faulty[:, 0].std()  # variable 2 drifts away from its partners
    alarms = limits.alarms(monitor.score(faulty))
    assert alarms[COMBINED].mean() > 0.5
    # The contributions sum to the statistic and point at the variable that moved.
    name = monitor.statistics[-1]
    parts = monitor.contributions(faulty, name)
    total = monitor.score(faulty)[name]
    rows = np.isfinite(total)
    np.testing.assert_allclose(parts[rows].sum(axis=1), total[rows], rtol=1e-8, atol=1e-8)
    flagged = alarms[name] & rows
    assert np.argmax(np.abs(parts[flagged]).mean(axis=0)) == 2


def test_dynamic_monitors_score_nan_without_history() -> None:
    monitor = DynamicPcaMonitor(lags=3)
    monitor.fit(_process(500, 5))
    scores = monitor.score(_process(50, 6))
    assert np.isnan(scores["t2"][:3]).all()
    assert np.isfinite(scores["t2"][3:]).all()
    limits = calibrate(monitor.score(_process(500, 7)), false_alarm_rate=0.05)
    assert not limits.alarms(scores)[COMBINED][:3].any()


def test_misuse_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        PcaMonitor().score(np.zeros((3, 2)))
    monitor = PcaMonitor()
    monitor.fit(_process(300, 8))
    with pytest.raises(UsageError):
        monitor.score(np.zeros((3, 4)))
    with pytest.raises(UsageError):
        calibrate({"t2": np.ones(10)}, false_alarm_rate=1.5)
    with pytest.raises(UsageError):
        CvaMonitor(past=20, future=20).fit(_process(100, 9))


def _tep(name: str) -> np.ndarray:
    with gzip.open(TEP / f"{name}.dat.gz", "rt") as handle:
        data = np.loadtxt(handle)
    return data.T if data.shape[0] == 52 else data


@pytest.mark.skipif(not (TEP / "d00.dat.gz").exists(), reason="../shared/data/tep is absent")
def test_cva_on_tennessee_eastman_fault_1() -> None:
    normal_test = _tep("d00_te")
    monitor = CvaMonitor(past=3, future=3)
    monitor.fit(_tep("d00"))
    limits = calibrate(monitor.score(normal_test[:480]), false_alarm_rate=0.01)
    false_alarms = limits.alarms(monitor.score(normal_test[480:]))[COMBINED][2:].mean()
    assert false_alarms < 0.03
    fault = limits.alarms(monitor.score(_tep("d01_te")))[COMBINED]
    assert 1 - fault[160:].mean() < 0.05  # fault 1, an A/C feed ratio step, is missed < 5 %
