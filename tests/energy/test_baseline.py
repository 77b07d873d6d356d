"""ISO 50006 baselines and Guideline 14 figures on the conformance plant, and the EnPIs."""

from __future__ import annotations

import numpy as np
import pytest

from andon.apps.energy import Baseline, account, fit_baselines, performance
from andon.apps.energy.baseline import cusum, cv_rmse, nmbe
from andon.model import Model
from andon.sim import SimResult
from andon.store import DuckDBStore
from andon.time import DAY_US


def test_guideline_14_figures_by_hand() -> None:
    measured = np.array([10.0, 12.0, 8.0, 10.0])
    fitted = np.array([11.0, 11.0, 9.0, 9.0])
    # residuals -1, 1, -1, 1: RMSE with n - p = 3 is sqrt(4 / 3); the mean is 10
    assert cv_rmse(measured, fitted, p=1) == pytest.approx(100 * np.sqrt(4 / 3) / 10)
    assert nmbe(measured, fitted, p=1) == pytest.approx(0.0)
    assert nmbe(measured, fitted - 1.0, p=1) == pytest.approx(100 * 4 / (3 * 10))
    assert list(cusum(measured, fitted)) == [1.0, 0.0, 1.0, 0.0]


def test_baselines_meet_guideline_14_and_round_trip(
    plant: Model, week: tuple[DuckDBStore, SimResult]
) -> None:
    store, result = week
    acc = account(store, plant, start=result.start_us, end=result.end_us)
    baselines = fit_baselines(plant, acc)
    assert {b.meter for b in baselines} == set(plant.meters)
    for b in baselines:
        assert b.meets_guideline_14, (b.meter, b.cv_rmse, b.nmbe)
        assert Baseline.from_json(b.to_json()) == b
        assert "running_h" in b.variables


def test_enpi_and_cusum_see_a_saving(plant: Model, week: tuple[DuckDBStore, SimResult]) -> None:
    store, result = week
    split = result.start_us + 10 * DAY_US
    before = account(store, plant, start=result.start_us, end=split)
    after = account(store, plant, start=split, end=result.end_us)
    [site] = [b for b in fit_baselines(plant, before) if b.meter.endswith("main_meter")]
    same = performance(plant, after, site)
    assert same.enpi_ratio == pytest.approx(1.0, abs=0.1)  # the same plant: no saving to speak of
    assert same.kwh_per_unit is not None
    # a baseline that expects 20 % more each hour sees a saving of that size
    higher = Baseline.from_json(
        {**site.to_json(), "coefficients": [c * 1.2 for c in site.coefficients]}
    )
    better = performance(plant, after, higher)
    assert better.enpi_ratio == pytest.approx(same.enpi_ratio / 1.2, rel=1e-6)
    assert better.savings_kwh > 0.15 * better.measured_kwh
