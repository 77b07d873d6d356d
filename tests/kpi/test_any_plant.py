"""KPIs on a plant unlike the example: a weekend without shifts, a utility, an inspection
station, a stopped feed (issue "right on any plant"); both computation paths, both stores."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from second_plant import (
    CAPPER,
    CHI,
    COMPRESSOR,
    FILLER,
    INSPECTOR,
    MONDAY,
    second_plant,
    utc,
    write_week,
)

from andon.kpi import compute
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


def _day(store: Store, grain: str, **kwargs: object) -> pl.DataFrame:
    run = compute(store, MODEL, start=MONDAY, end=MONDAY + dt.timedelta(days=1), **kwargs)  # type: ignore[arg-type]
    return run.kpis(grain)


def _row(frame: pl.DataFrame, path: str) -> dict[str, object]:
    return frame.filter(pl.col("path") == path).row(0, named=True)


def test_a_utility_has_no_effectiveness_and_stays_out_of_site_oee(store: Store) -> None:
    write_week(store)
    equipment = _day(store, "equipment")
    compressor = _row(equipment, COMPRESSOR)
    assert compressor["effectiveness"] is None  # no cycle time: no value, never 0.0
    assert compressor["oee"] is None
    assert compressor["quality_ratio"] is None
    assert compressor["availability"] == pytest.approx(1.0)
    assert _row(equipment, INSPECTOR)["effectiveness"] is None
    site = _row(_day(store, "site"), CHI)
    # The site's production elements are its producing machines' alone.
    producers = equipment.filter(pl.col("path").is_in([FILLER, CAPPER]))
    assert site["pbt_s"] == pytest.approx(producers["pbt_s"].sum())
    assert site["equipment"] == 2
    assert site["utilities"] == 2
    assert site["utility_availability"] == pytest.approx(
        (compressor["apt_s"] + _row(equipment, INSPECTOR)["apt_s"])
        / (compressor["pbt_s"] + _row(equipment, INSPECTOR)["pbt_s"])
    )
    assert site["utility_running_h"] > 0
