"""The energy queries on both stores: hourly sums, and bad readings flagged, never summed."""

from __future__ import annotations

import pyarrow as pa

from andon.records import RecordKind, counts, energy, states, tariffs
from andon.store import Store
from andon.store.energy_queries import (
    count_hours,
    meter_flags,
    meter_hours,
    state_hours,
    tariff_hours,
)
from andon.time import HOUR_US, MINUTE_US

T0 = 1_767_225_600_000_000  # 2026-01-01T00:00Z, on the hour
H0 = T0 // HOUR_US
M = "e/s/main"
Q = 15 * MINUTE_US


def _rows(table: pa.Table) -> list[dict[str, object]]:
    return sorted(table.to_pylist(), key=lambda r: tuple(str(v) for v in r.values()))


def test_meter_hours_sum_the_readings_of_each_hour(store: Store) -> None:
    ts = [T0 + k * Q for k in range(1, 9)]  # two hours of 15-minute readings
    store.write(RecordKind.ENERGY, energy(ts=ts, path=M, kwh=[1.0] * 4 + [2.0] * 4, interval_s=900))
    got = _rows(meter_hours(store, meters=[M], start=T0, end=T0 + 3 * HOUR_US))
    assert [(r["hour"], r["kwh"], r["readings"]) for r in got] == [(H0, 4.0, 4), (H0 + 1, 8.0, 4)]
    assert meter_flags(store, meters=[M], start=T0, end=T0 + 3 * HOUR_US).num_rows == 0


def test_bad_readings_are_flagged_with_what_and_where(store: Store) -> None:
    # a day of 15-minute readings of 1 kWh, with a reset, a gap of two readings, a rollover
    # and a zero interval among them
    steps = [k for k in range(1, 97) if k not in (6, 7)]
    kwh = {3: -7.0, 9: 5000.0}
    interval = {12: 0.0}
    store.write(
        RecordKind.ENERGY,
        energy(
            ts=[T0 + k * Q for k in steps],
            path=M,
            kwh=[kwh.get(k, 1.0) for k in steps],
            interval_s=[interval.get(k, 900.0) for k in steps],
        ),
    )
    end = T0 + 25 * HOUR_US
    flags = meter_flags(store, meters=[M], start=T0, end=end).to_pylist()
    found = {(r["flag"], r["ts_us"]) for r in flags}
    assert found == {
        ("counter_reset", T0 + 3 * Q),
        ("gap", T0 + 8 * Q),
        ("counter_rollover", T0 + 9 * Q),
        ("negative_interval", T0 + 12 * Q),
    }
    assert {r["meter"] for r in flags} == {0}
    hours = {
        r["hour"]: r["kwh"] for r in meter_hours(store, meters=[M], start=T0, end=end).to_pylist()
    }
    # the reset, the rollover and the zero interval are left out; the reading after the gap
    # counts (only the missing time is flagged)
    assert hours[H0] == 3.0
    assert hours[H0 + 1] == 2.0
    assert hours[H0 + 2] == 2.0
    assert hours[H0 + 3] == 4.0


def test_state_hours_cut_intervals_at_hours_and_carry_the_state_in(store: Store) -> None:
    eq = "e/s/a/l/c/m1"
    ts = [T0 - HOUR_US, T0 + 30 * MINUTE_US, T0 + 90 * MINUTE_US]
    store.write(
        RecordKind.STATE,
        states(ts=ts, path=eq, state=["idle", "running", "setup"], reason=[None, None, "warmup"]),
    )
    got = _rows(state_hours(store, equipment=[eq], start=T0, end=T0 + 2 * HOUR_US))
    assert [(r["hour"], r["state"], r["reason"], r["seconds"]) for r in got] == [
        (H0, "idle", "", 1800.0),
        (H0, "running", "", 1800.0),
        (H0 + 1, "running", "", 1800.0),
        (H0 + 1, "setup", "warmup", 1800.0),
    ]


def test_tariffs_and_counts_by_hour(store: Store) -> None:
    store.write(
        RecordKind.TARIFF,
        tariffs(
            ts=[T0, T0 + HOUR_US], site="e/s", price_per_kwh=[0.1, 0.2], gco2e_per_kwh=[50, 60]
        ),
    )
    store.write(
        RecordKind.COUNT,
        counts(ts=[T0 + HOUR_US, T0 + 2 * HOUR_US], path="e/s/a/l/c/m1", product="W", good=[3, 4]),
    )
    got = _rows(tariff_hours(store, sites=["e/s"], start=T0, end=T0 + 3 * HOUR_US))
    assert [(r["hour"], r["price_per_kwh"]) for r in got] == [(H0, 0.1), (H0 + 1, 0.2)]
    made = _rows(count_hours(store, equipment=["e/s/a/l/c/m1"], start=T0, end=T0 + 3 * HOUR_US))
    assert [(r["hour"], r["good"]) for r in made] == [(H0, 3), (H0 + 1, 4)]
