"""Samples folded per tag and bucket in the engine, the same on both stores: rows, finite
values, mean, min, max and the newest finite value; missing and NaN values are rows only."""

from __future__ import annotations

import math

import pytest

from andon import records
from andon.records import RecordKind
from andon.store import Store
from andon.store.queries import sample_buckets

MINUTE = 60_000_000
T0 = 1_767_225_600_000_000  # 2026-01-01 00:00 UTC
TAG = "acme/lyon/machining/m1/milling/mill1/spindle_temperature"
OTHER = "acme/lyon/machining/m1/milling/mill2/spindle_temperature"


def test_buckets_fold_values_and_leave_missing_ones_out(store: Store) -> None:
    values = [1.0, 3.0, None, math.nan, 10.0, 20.0, 5.0]  # minutes 0..6
    store.write(
        RecordKind.SAMPLE,
        records.samples(
            ts=[T0 + i * MINUTE for i in range(len(values))] + [T0],
            path=[TAG] * len(values) + [OTHER],
            value=[*values, 99.0],
            seq=list(range(len(values) + 1)),
        ),
    )
    got = sample_buckets(
        store,
        path_prefix="acme/lyon/machining/m1/milling/mill1",
        start=T0,
        end=T0 + 6 * MINUTE,
        bucket_us=3 * MINUTE,
    ).to_pylist()
    assert [(r["bucket"], r["rows"], r["n"]) for r in got] == [(0, 3, 2), (1, 3, 2)]
    first, second = got
    assert first["mean"] == pytest.approx(2.0)
    assert (first["low"], first["high"], first["last_value"]) == (1.0, 3.0, 3.0)
    assert first["last_us"] == T0 + MINUTE
    assert (second["low"], second["high"], second["mean"]) == (10.0, 20.0, pytest.approx(15.0))
    assert second["last_us"] == T0 + 5 * MINUTE  # minute 6 is the window's end: outside
    assert {r["path"] for r in got} == {TAG}
