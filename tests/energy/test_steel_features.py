"""The steel data's forecast features use only loads at least the horizon old."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "energy_steel.py"


def _module() -> Any:
    spec = importlib.util.spec_from_file_location("energy_steel", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["energy_steel"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("horizon", [1, 96])
def test_no_load_feature_is_younger_than_the_horizon(horizon: int) -> None:
    steel = _module()
    n = 3 * 7 * 96
    start = dt.datetime(2018, 1, 1, 0, 15)
    frame = pl.DataFrame(
        {
            "ts": [start + dt.timedelta(minutes=15 * k) for k in range(n)],
            "kwh": np.arange(n, dtype=float),  # the load is its own index: a lag shows as is
        }
    )
    table = steel.features(frame, horizon=horizon)
    row = table.row(n - 1, named=True)
    now = float(n - 1)
    for name, value in row.items():
        if name in {"ts", "kwh", *steel.CALENDAR} or value is None:
            continue
        assert value <= now - horizon, name  # lags, means and maxima no younger than it
    assert row["lag_" + str(horizon)] == now - horizon
