"""KPIs on a plant unlike the example: a weekend without shifts, a utility, an inspection
station, a stopped feed (issue "right on any plant"); both computation paths, both stores."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from second_plant import (
    BLR,
    CAPPER,
    CHI,
    CHI_LINE,
    COMPRESSOR,
    FILLER,
    INSPECTOR,
    MONDAY,
    PRESS,
    second_plant,
    utc,
    write_week,
)

from andon.kpi import aggregate, compute, kpis
from andon.store import Store

MODEL = second_plant()
SATURDAY = MONDAY + dt.timedelta(days=5)


@pytest.mark.parametrize("in_store", [True, False])
def test_shift_period_over_a_weekend_without_shifts_gives_empty_rows(
    store: Store, in_store: bool
) -> None:
    # Chicago has no shift on Saturday and Sunday; Kolkata has one each day.
    write_week(store)
    run = compute(
        store,
        MODEL,
        start=SATURDAY,
        end=SATURDAY + dt.timedelta(days=2),
        period="shift",
        in_store=in_store,
    )
    line = run.kpis("line")
    assert set(line["path"]) == {"bev/blr/pack/l2"}
    assert line.height == 2
    assert not run.elements.filter(pl.col("site") == CHI).height


def test_both_paths_agree_on_the_second_plant(store: Store) -> None:
    write_week(store, stop_press_at=utc(MONDAY, 1) + dt.timedelta(days=3))
    for period in ("shift", "day", "week"):
        frames = [
            compute(
                store,
                MODEL,
                start=MONDAY,
                end=MONDAY + dt.timedelta(days=8),
                period=period,
                in_store=flag,
            )
            for flag in (True, False)
        ]
        a, b = (f.elements.sort("path", "period_start") for f in frames)
        assert a.columns == b.columns
        assert a.height == b.height > 0
        for name in a.columns:
            if a.schema[name].is_float():
                assert ((a[name] - b[name]).abs() < 1e-6).all(), (period, name)
            else:
                assert a[name].to_list() == b[name].to_list(), (period, name)
        ia, ib = (f.issues.sort("code", "path").select("code", "path") for f in frames)
        assert ia.to_dicts() == ib.to_dicts(), period
