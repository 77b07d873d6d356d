"""The condition feature builder: exact rolling statistics, no look-ahead, per-asset resets."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from andon.apps.maintenance.features import (
    FeatureSpec,
    RegimeNormaliser,
    build_features,
    feature_names,
)
from andon.errors import AndonError


def _frame(n: int = 40) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    return pl.DataFrame(
        {
            "unit": ["a"] * n + ["b"] * n,
            "time": list(range(n)) * 2,
            "vib": np.concatenate([np.arange(n) * 0.5, rng.normal(5, 1, n)]),
            "age": list(range(n)) * 2,
        }
    )


def test_slope_of_a_straight_line_is_its_gradient() -> None:
    out = build_features(_frame(), FeatureSpec(signals=("vib",), windows=(5, 10), age_column="age"))
    a = out.filter(pl.col("unit") == "a")
    assert a["vib__slope5"].to_list()[-1] == pytest.approx(0.5)
    assert a["vib__slope10"].to_list()[20] == pytest.approx(0.5)
    assert a["vib__mean5"].to_list()[-1] == pytest.approx(np.mean(np.arange(35, 40) * 0.5))


def test_features_never_look_ahead() -> None:
    spec = FeatureSpec(signals=("vib",), windows=(5, 10))
    full = build_features(_frame(), spec)
    cut = build_features(_frame().filter(pl.col("time") < 25), spec)
    names = feature_names(spec)
    head = full.filter(pl.col("time") < 25).sort(["unit", "time"])
    for name in names:
        assert np.allclose(
            head[name].to_numpy(), cut.sort(["unit", "time"])[name].to_numpy(), equal_nan=True
        ), name


def test_rolling_windows_restart_for_each_asset() -> None:
    out = build_features(_frame(), FeatureSpec(signals=("vib",), windows=(5,)))
    first_b = out.filter(pl.col("unit") == "b").row(0, named=True)
    assert first_b["__observed_rows"] == 1.0
    assert first_b["vib__slope5"] is None


def test_missing_values_stay_missing_and_do_not_break_statistics() -> None:
    frame = _frame().with_columns(
        pl.when(pl.col("time").is_between(10, 15)).then(None).otherwise(pl.col("vib")).alias("vib")
    )
    out = build_features(frame, FeatureSpec(signals=("vib",), windows=(5,)))
    a = out.filter(pl.col("unit") == "a")
    assert a["vib__slope5"].to_list()[30] == pytest.approx(0.5)
    assert a["vib"].null_count() == 6


def test_missing_column_is_named() -> None:
    with pytest.raises(AndonError, match="temp"):
        build_features(_frame(), FeatureSpec(signals=("vib", "temp"), windows=(5,)))


def test_regime_normaliser_removes_the_regime_offset() -> None:
    frame = pl.DataFrame(
        {
            "unit": ["a"] * 6,
            "time": list(range(6)),
            "load": [0.0, 10.0] * 3,
            "vib": [1.0, 11.0, 1.2, 11.2, 0.8, 10.8],
        }
    )
    spec = FeatureSpec(signals=("vib",), windows=(2,), regime_columns=("load",))
    normaliser = RegimeNormaliser.fit(frame, spec)
    again = RegimeNormaliser.from_dict(normaliser.to_dict())
    out = build_features(frame, spec, again)
    assert abs(out["vib"].mean() or 0.0) < 1e-9
    assert float(out["vib"].abs().max() or 0.0) < 1.5
