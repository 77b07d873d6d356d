"""Signature rows from unit records: stations missing, lots from genealogy, hostile values."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from andon.apps.quality.history import CONDITION_SCHEMA
from andon.apps.quality.signature import UnitTables, parameter_scale, unit_frame
from andon.model import load_model

SMT = Path(__file__).resolve().parents[2] / "examples" / "smt"
MODEL = load_model(SMT)
LINE = "voltec/dresden/smt/s1"
H = 3_600_000_000
T0 = 1_767_600_000_000_000  # a Monday morning in January 2026


def _units(rows: Sequence[tuple[str, str, str, float, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts_us": [T0 + k * 60_000_000 for k in range(len(rows))],
            "serial": [r[0] for r in rows],
            "path": [f"{LINE}/{r[1]}" for r in rows],
            "product": ["PCB-CTRL"] * len(rows),
            "lot": [r[4] for r in rows],
            "parameter": [r[2] for r in rows],
            "value": [r[3] for r in rows],
        },
        schema_overrides={"lot": pl.Utf8},
    )


def _tables(units: pl.DataFrame, genealogy: pl.DataFrame | None = None) -> UnitTables:
    empty_events = pl.DataFrame(schema={"ts_us": pl.Int64, "path": pl.Utf8})
    return UnitTables(
        units=units,
        inspections=pl.DataFrame(),
        genealogy=genealogy
        if genealogy is not None
        else pl.DataFrame(
            schema={"ts_us": pl.Int64, "parent": pl.Utf8, "child": pl.Utf8, "relation": pl.Utf8}
        ),
        closes=empty_events,
        setups=empty_events,
        condition=pl.DataFrame(schema=CONDITION_SCHEMA),
    )


def test_a_unit_with_a_station_missing_says_so() -> None:
    units = _units(
        [
            ("A", "print/printer1", "paste_height", 121.0, "L1"),
            ("A", "reflow/oven1", "peak_temperature", 246.0, "L1"),  # placement missing
            ("B", "print/printer1", "paste_height", 119.0, "L1"),
            ("B", "placement/placer1", "placement_offset", 10.0, "L1"),
            ("B", "reflow/oven1", "peak_temperature", 244.0, "L1"),
        ]
    )
    frame = unit_frame(_tables(units), MODEL, parameter_scale(units))
    missing = dict(zip(frame["serial"].to_list(), frame["missing_stations"].to_list(), strict=True))
    assert missing == {"A": 1, "B": 0}
    assert frame.filter(pl.col("serial") == "A")["z:placement.placement_offset"].is_null().all()
    assert frame["shift"].to_list() == [0, 0]  # the early shift, from the site calendar


def test_the_lot_comes_from_genealogy_when_the_record_has_none() -> None:
    units = _units([("A", "print/printer1", "paste_height", 121.0, None)])
    links = pl.DataFrame(
        {"ts_us": [T0], "parent": ["LOT-7"], "child": ["A"], "relation": ["consumed"]}
    )
    frame = unit_frame(_tables(units, links), MODEL, parameter_scale(units))
    assert frame["lot"].to_list() == ["LOT-7"]


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=30
    )
)
def test_hostile_values_never_give_a_non_finite_feature(values: list[float]) -> None:
    rows = [(f"S{k % 5}", "print/printer1", "paste_height", v, "L1") for k, v in enumerate(values)]
    units = _units(rows)
    frame = unit_frame(_tables(units), MODEL, parameter_scale(units))
    features = frame.select(pl.col(pl.Float64)).to_numpy()
    assert not np.isinf(features).any()
