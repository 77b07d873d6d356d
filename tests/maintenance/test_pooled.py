"""Rows of every class and mode made comparable for the pooled risk model."""

from __future__ import annotations

import polars as pl
import pytest

from andon.apps.maintenance.pooled import (
    SIGNAL_SLOTS,
    mode_code,
    normalise_samples,
    pooled_rows,
    pooled_spec,
)
from andon.model import Model

HOUR = 3_600_000_000
PRESS = "tiny/s1/area/l1/pressing/press1"


def test_samples_become_shares_of_the_tag_range(tiny_model: Model) -> None:
    samples = pl.DataFrame(
        {
            "ts": [0, 0, 0],
            "path": [f"{PRESS}/vib", f"{PRESS}/temp", f"{PRESS}/unknown"],
            "value": [50.0, 90.0, 7.0],
            "quality": ["good"] * 3,
        }
    )
    out = normalise_samples(samples, tiny_model)
    assert out["value"].to_list() == pytest.approx([0.5, 0.5, 7.0])  # temp: -20..200


def test_pooled_rows_put_the_mode_tags_in_slots_with_its_descriptors(tiny_model: Model) -> None:
    mode = tiny_model.equipment[PRESS].equipment_class.failure_modes[0]
    grid = pl.DataFrame(
        {
            "equipment": [PRESS] * 3,
            "t": [0, HOUR, 2 * HOUR],
            "temp": [0.1, 0.2, 0.3],
            "vib": [0.4, 0.5, 0.6],
            "__last_sample": [0, HOUR, 2 * HOUR],
        }
    )
    maintenance = pl.DataFrame(
        schema={
            "ts": pl.Int64,
            "work_order": pl.Utf8,
            "path": pl.Utf8,
            "kind": pl.Utf8,
            "event": pl.Utf8,
            "failure_mode": pl.Utf8,
        }
    )
    rows = pooled_rows(grid, maintenance, "press", mode, until=3 * HOUR)
    assert rows["sig0"].to_list() == [0.1, 0.2, 0.3]  # temp, then vib: by name
    assert rows["sig1"].to_list() == [0.4, 0.5, 0.6]
    assert rows["sig2"].null_count() == 3
    assert set(rows["mode_code"].to_list()) == {mode_code("press", mode.id)}
    assert rows["mtbf_h"].to_list() == [mode.mtbf_h] * 3
    assert rows["life"].str.starts_with(f"{mode.id}|").all()
    spec = pooled_spec((3,))
    assert spec.signals == SIGNAL_SLOTS
    assert not spec.drift  # propose sees a week, not whole lives
    assert mode_code("press", "wear") != mode_code("mill", "wear")
