"""The latent-defect risk model on synthetic units: signal, no signal, the test mixture."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from andon.apps.quality.decide import choose
from andon.apps.quality.explain import factor_text
from andon.apps.quality.risk import InspectionMixture, UnitRiskModel, average_precision

RNG_SEED = 5


def _units(n: int, *, signal: bool) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(RNG_SEED)
    z = rng.normal(size=n)
    wear = rng.uniform(size=n)
    logit = -4.5 + (3.0 * np.abs(z) * wear**2 if signal else 0.0)
    failed = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    frame = pl.DataFrame(
        {
            "serial": [f"u{k:05d}" for k in range(n)],
            "product": ["P"] * n,
            "line": ["e/s/a/l"] * n,
            "lot": [f"L{k // 100}" for k in range(n)],
            "first_us": np.arange(n, dtype=np.int64),
            "last_us": np.arange(n, dtype=np.int64),
            "z:print.height": z,
            "cond:reflow.vib": wear,
        }
    )
    return frame, failed


def test_a_signal_in_the_signature_is_learnt_and_calibrated() -> None:
    frame, failed = _units(6000, signal=True)
    model = UnitRiskModel.fit(frame, failed, np.full(len(failed), np.nan), rounds=100)
    assert model.informative
    assert model.metrics["held_out_roc_auc_fail"] > 0.7
    assert model.reliability
    risk = model.score(frame, np.full(len(failed), np.nan), np.ones(len(failed), dtype=bool))
    assert average_precision(risk.p_fail, failed) > 3 * failed.mean()
    again = UnitRiskModel.from_json(model.to_json())
    assert again.version == model.version
    assert again.contributions(frame.head(5)).shape == (5, len(model.features) + 1)


def test_without_a_signal_every_unit_gets_the_plant_rate() -> None:
    frame, failed = _units(6000, signal=False)
    model = UnitRiskModel.fit(frame, failed, np.full(len(failed), np.nan), rounds=100)
    assert not model.informative
    risk = model.score(frame, np.full(len(failed), np.nan), np.ones(len(failed), dtype=bool))
    assert np.allclose(risk.p_fail, failed.mean())


def test_the_mixture_recovers_the_test_errors() -> None:
    rng = np.random.default_rng(RNG_SEED)
    n = 40_000
    defective = rng.uniform(size=n) < 0.02
    value = rng.normal(size=n) + np.where(defective, 2.5 + 0.8 * rng.normal(size=n), 0.0)
    failed = value >= 2.5
    mixture = InspectionMixture.fit(value, failed)
    assert mixture is not None
    # The defect component's lower tail is lost in the good units' values: at 2 % defects
    # the sensitivity comes out about a tenth high (0.5 true).
    true_sensitivity = float(failed[defective].mean())
    assert math.isclose(mixture.sensitivity, true_sensitivity, abs_tol=0.15)
    assert math.isclose(mixture.false_alarm, 0.0062, abs_tol=0.004)
    # a value deep in the good units' range lowers the odds, one near the limit raises them
    low, high = mixture.likelihood_ratio(np.array([-1.0, 2.2]))
    assert low < 1 < high


def test_a_test_that_does_not_separate_is_refused() -> None:
    rng = np.random.default_rng(RNG_SEED)
    value = rng.normal(size=5000)
    assert InspectionMixture.fit(value, rng.uniform(size=5000) < 0.01) is None


def test_tests_go_to_the_largest_savings_within_capacity() -> None:
    units = pl.DataFrame(
        {
            "serial": ["a", "b", "c", "d"],
            "station": ["t1", "t1", "t2", "t2"],
            "p": [0.05, 0.3, 0.2, 0.0001],
            "escape_cost": 100.0,
            "test_cost": 1.0,
            "hold_cost": 0.5,
        }
    )
    out = choose(units, capacity={"t1": 1, "t2": 1}, sensitivity=1.0).sort("serial")
    assert out.get_column("decision").to_list() == ["hold", "extra_test", "extra_test", "release"]


def test_the_set_aside_capacity_is_spent_on_the_highest_risks() -> None:
    # a full test (1.0) pays only above p = 0.01; a slot already paid for (0.01) above 0.0001
    units = pl.DataFrame(
        {
            "serial": ["a", "b", "c", "d"],
            "station": "t",
            "p": [0.004, 0.002, 0.02, 0.00005],
            "escape_cost": 100.0,
            "test_cost": 1.0,
            "hold_cost": 0.5,
        }
    )
    full = choose(units, capacity={"t": 3}, sensitivity=1.0).sort("serial")
    assert full.get_column("decision").to_list() == ["release", "release", "extra_test", "release"]
    paid = choose(
        units.with_columns(slot_cost=pl.lit(0.01)), capacity={"t": 3}, sensitivity=1.0
    ).sort("serial")
    assert paid.get_column("decision").to_list() == [
        "extra_test", "extra_test", "extra_test", "release"
    ]  # fmt: skip
    assert paid.get_column("rank").to_list() == [2, 3, 1, 4]
    assert paid.get_column("saving").to_list()[2] == pytest.approx(2.0 - 0.01)


@given(
    feature=st.text(max_size=40),
    value=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
)
def test_every_feature_has_words(feature: str, value: float | None) -> None:
    text = factor_text(feature, value, ("early", "late"))
    assert isinstance(text, str)
    assert text
