"""The failure-risk model: learns RUL from degradation, calibrated, versioned, round-trips."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from andon.apps.maintenance.features import FeatureSpec
from andon.apps.maintenance.risk import RiskModel, reliability_curve
from andon.errors import AndonError


def _fleet(units: int, seed: int) -> pl.DataFrame:
    """Run-to-failure lives whose vibration rises as the end nears."""
    rng = np.random.default_rng(seed)
    frames = []
    for u in range(units):
        life = int(rng.integers(60, 140))
        t = np.arange(life, dtype=float)
        health = t / life
        frames.append(
            pl.DataFrame(
                {
                    "unit": f"u{seed}-{u}",
                    "time": t,
                    "age": t,
                    "vib": 1.0 + 4.0 * health**3 + rng.normal(0, 0.1, life),
                    "rul": life - 1 - t,
                }
            )
        )
    return pl.concat(frames)


SPEC = FeatureSpec(signals=("vib",), windows=(5, 10), age_column="age")


@pytest.fixture(scope="module")
def fitted() -> RiskModel:
    return RiskModel.fit(_fleet(30, 1), SPEC, cap=60.0, horizon=15.0, rounds=60, learning_rate=0.1)


def test_rul_tracks_the_truth_on_unseen_assets(fitted: RiskModel) -> None:
    test = _fleet(10, 2)
    data, prediction = fitted.predict(test)
    truth = np.minimum(data["rul"].to_numpy(), 60.0)
    rmse = float(np.sqrt(np.mean((prediction.rul - truth) ** 2)))
    spread = float(np.std(truth))
    assert rmse < 0.5 * spread
    assert np.all(prediction.rul_low <= prediction.rul)
    assert np.all(prediction.rul <= prediction.rul_high)


def test_probability_of_failure_is_calibrated_and_ranks(fitted: RiskModel) -> None:
    data, prediction = fitted.predict(_fleet(10, 3))
    failed = (data["rul"].to_numpy() <= 15.0).astype(float)
    assert prediction.p_fail[failed == 1].mean() > 0.6
    assert prediction.p_fail[failed == 0].mean() < 0.2
    curve = reliability_curve(prediction.p_fail, failed, bins=5)
    assert sum(b.count for b in curve) == len(failed)
    assert fitted.reliability
    assert fitted.metrics["brier_oof"] < fitted.metrics["brier_base_rate"]


def test_json_round_trip_predicts_the_same(fitted: RiskModel) -> None:
    again = RiskModel.from_json(fitted.to_json())
    assert again.version == fitted.version
    test = _fleet(3, 4)
    a = fitted.predict(test)[1]
    b = again.predict(test)[1]
    assert np.allclose(a.rul, b.rul)
    assert np.allclose(a.p_fail, b.p_fail)


def test_same_seed_same_model() -> None:
    one = RiskModel.fit(_fleet(8, 5), SPEC, cap=60.0, horizon=15.0, rounds=20)
    two = RiskModel.fit(_fleet(8, 5), SPEC, cap=60.0, horizon=15.0, rounds=20)
    assert one.version == two.version


def test_too_few_failures_is_refused_with_the_reason() -> None:
    few = _fleet(2, 6)
    with pytest.raises(AndonError, match="too little history"):
        RiskModel.fit(few, SPEC, cap=60.0, horizon=15.0, rounds=10)


def test_censored_lives_do_not_count_as_failures() -> None:
    fleet = _fleet(6, 7).with_columns(pl.lit(value=False).alias("observed"))
    with pytest.raises(AndonError, match="0 asset"):
        RiskModel.fit(fleet, SPEC, observed_column="observed", cap=60.0, horizon=15.0, rounds=10)


def test_damaged_artifact_is_an_andon_error() -> None:
    with pytest.raises(AndonError, match="not a risk model"):
        RiskModel.from_json('{"format": "other"}')


def test_stacked_horizons_give_a_rising_failure_curve_and_a_calibrated_band() -> None:
    model = RiskModel.fit(
        _fleet(40, 11),
        SPEC,
        cap=60.0,
        horizon=15.0,
        horizons=(5.0, 10.0, 30.0),
        rounds=60,
        learning_rate=0.1,
    )
    assert model.horizons == (5.0, 10.0, 15.0, 30.0)
    data, prediction = model.predict(_fleet(10, 12))
    assert prediction.curve is not None
    assert prediction.curve.shape == (data.height, 4)
    assert np.all(np.diff(prediction.curve, axis=1) >= 0)  # P(failure by t) rises with t
    assert np.allclose(prediction.curve[:, 2], prediction.p_fail)
    failed = data["rul"].to_numpy() <= 5.0
    assert prediction.curve[failed, 0].mean() > 3 * prediction.curve[~failed, 0].mean()
    # The band is widened (or narrowed) on held-out assets to cover about 80 %.
    assert 0.5 <= model.band_scale <= 5.0
    truth = np.minimum(data["rul"].to_numpy(), 60.0)
    inside = (truth >= prediction.rul_low - 1e-9) & (truth <= prediction.rul_high + 1e-9)
    assert 0.65 <= float(inside.mean()) <= 0.97
    again = RiskModel.from_json(model.to_json())
    assert again.horizons == model.horizons
    assert again.band_scale == model.band_scale
    assert np.allclose(again.predict(_fleet(2, 13))[1].curve, model.predict(_fleet(2, 13))[1].curve)


def test_a_pooled_minimum_of_failures_is_respected() -> None:
    with pytest.raises(AndonError, match="at least 50 needed"):
        RiskModel.fit(_fleet(30, 14), SPEC, cap=60.0, horizon=15.0, rounds=10, min_failures=50)


def test_a_row_budget_raises_the_stride_to_the_model_that_stride_gives() -> None:
    """Chunks streamed under a row budget: the stride doubles until the rows fit, and the
    model is the one trained at that stride from the start (the same rows, the same bytes)."""
    fleet = _fleet(30, 6).sort("unit", maintain_order=True)
    units = fleet["unit"].unique(maintain_order=True).to_list()
    chunks = [fleet.filter(pl.col("unit").is_in(units[i : i + 7])) for i in range(0, 30, 7)]
    budget = fleet.height // 5
    capped = RiskModel.fit(
        iter(chunks), SPEC, cap=60.0, horizon=15.0, rounds=20, row_stride=1, max_rows=budget
    )
    stride = int(capped.metrics["row_stride"])
    assert stride == 8  # 1 -> 2 -> 4 -> 8: the first power of two that keeps <= a fifth
    assert capped.metrics["rows"] <= budget
    direct = RiskModel.fit(fleet, SPEC, cap=60.0, horizon=15.0, rounds=20, row_stride=stride)
    assert direct.metrics["rows"] == capped.metrics["rows"]
    assert direct.version == capped.version
    unbounded = RiskModel.fit(fleet, SPEC, cap=60.0, horizon=15.0, rounds=20, row_stride=1)
    assert unbounded.metrics["row_stride"] == 1.0
    assert unbounded.metrics["rows"] == fleet.height
