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
    PRESS,
    second_plant,
    utc,
    write_week,
)

from andon.kpi import KpiSettings, compute
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


@pytest.mark.parametrize("in_store", [True, False])
def test_a_stopped_feed_is_no_data_not_a_machine_running(store: Store, in_store: bool) -> None:
    # The press's gateway dies on Thursday at 03:00 UTC while it was "running"; the other
    # machines go on. Before: the press ran until the end of the range with zero output.
    stop = utc(MONDAY, 3) + dt.timedelta(days=3)
    write_week(store, stop_press_at=stop)
    # The range ends with the data (a range past it would find every feed silent).
    start = utc(MONDAY, 0)
    end = start + dt.timedelta(days=7)
    run = compute(store, MODEL, start=start, end=end, period="day", in_store=in_store)
    press = run.kpis("equipment").filter(pl.col("path") == PRESS).sort("period_start")
    after = press.filter((pl.col("period_start") > stop) & (pl.col("calendar_work_s") > 0))
    assert after.height >= 2
    assert (after["apt_s"] == 0).all()
    assert (after["no_state_s"] > 0).all()
    assert after["availability"].is_null().all()  # no data: no value, never 0.0
    stopped = run.stopped()
    assert stopped["path"].to_list() == [PRESS]
    newest = stopped["start"][0]
    assert stop - dt.timedelta(hours=2) < newest < stop + dt.timedelta(hours=2)
    assert stopped["message"][0] == f"no data from {PRESS} since {newest.isoformat()}"
    assert run.newest is not None
    assert set(run.newest["path"]) >= {PRESS, FILLER, COMPRESSOR}


@pytest.mark.parametrize("in_store", [True, False])
def test_a_stale_bound_ends_a_state_not_repeated(store: Store, in_store: bool) -> None:
    write_week(store)
    bounded = compute(
        store,
        MODEL,
        start=MONDAY,
        end=MONDAY + dt.timedelta(days=1),
        settings=KpiSettings(stale_after_s=600.0),
        in_store=in_store,
    )
    free = compute(store, MODEL, start=MONDAY, end=MONDAY + dt.timedelta(days=1), in_store=in_store)
    # Running lasts 90 minutes before each stop: with a 10-minute bound, 80 are no data.
    a, b = (r.elements.filter(pl.col("path") == FILLER).row(0, named=True) for r in (bounded, free))
    assert a["apt_s"] < b["apt_s"]
    assert a["no_state_s"] > b["no_state_s"]
