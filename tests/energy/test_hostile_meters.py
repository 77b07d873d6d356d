"""Hostile meter readings: every reading is either summed or flagged, never lost to a zero."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from andon.records import RecordKind, energy
from andon.store import DuckDBStore
from andon.store.energy_queries import meter_flags, meter_hours
from andon.time import HOUR_US, SECOND_US

T0 = 1_767_225_600_000_000
M = "e/s/main"

readings = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=3_600),  # seconds after the previous reading
        st.one_of(
            st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
            st.just(0.0),
            st.floats(min_value=0.0, max_value=5.0),
        ),
        st.sampled_from([900.0, 900.0, 900.0, 0.0, -900.0, 60.0]),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(readings)
def test_every_reading_is_summed_or_flagged(rows: list[tuple[int, float, float]]) -> None:
    store = DuckDBStore(None)
    try:
        ts, t = [], T0
        for step, _, _ in rows:
            t += step * SECOND_US
            ts.append(t)
        kwh = [r[1] for r in rows]
        interval = [r[2] for r in rows]
        store.write(RecordKind.ENERGY, energy(ts=ts, path=M, kwh=kwh, interval_s=interval))
        end = ts[-1] + HOUR_US
        hours = meter_hours(store, meters=[M], start=T0, end=end).to_pylist()
        flags = meter_flags(store, meters=[M], start=T0, end=end).to_pylist()
        counted = sum(int(h["readings"]) for h in hours)
        left_out = sum(1 for f in flags if f["flag"] != "gap")
        assert counted + left_out == len(rows)
        assert all(math.isfinite(h["kwh"]) for h in hours)
        bad = {f["ts_us"] for f in flags if f["flag"] in {"counter_reset", "negative_interval"}}
        for when, value, seconds in zip(ts, kwh, interval, strict=True):
            if value < 0 or seconds <= 0:
                assert when in bad, (when, value, seconds)
        summed = sum(h["kwh"] for h in hours)
        assert summed >= 0.0
    finally:
        store.close()
