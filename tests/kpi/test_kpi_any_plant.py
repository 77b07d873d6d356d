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

from andon.kpi import KpiSettings, aggregate, compute, kpis, loss_tree
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
    # The site's OEE elements are those of its line's constraint (the capper) alone: no
    # compressor, no inspection station, and not the filler's time a second time.
    assert site["pbt_s"] == pytest.approx(_row(equipment, CAPPER)["pbt_s"])
    assert site["oee"] == pytest.approx(_row(equipment, CAPPER)["oee"])
    assert site["equipment"] == 2
    assert site["constraint_equipment"] == 1
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


def test_site_and_enterprise_oee_by_hand(store: Store) -> None:
    write_week(store)
    # Chicago's Monday: shifts 06:00-22:00 local = 12:00-04:00 UTC, eight whole two-hour
    # blocks of 90 min running, 20 down, 10 idle. The capper (60 s, the constraint: the
    # filler makes two a minute) counts 9 good and 1 scrap every 10 minutes, 11 times a
    # block: PBT 16 h, APT 12 h, PQ 880, GQ 792.
    chi_pbt, chi_valuable = 16 * 3600, 792 * 60.0
    # Kolkata's Monday: 06:30-14:30 local = 01:00-09:00 UTC: the press runs 30 + 3 * 90 + 60
    # minutes; counts 28 + 1 at ts in (01:00, 09:00]: 5 + 3 * 11 + 6 = 44 counts, GQ 1232.
    blr_pbt, blr_valuable = 8 * 3600, 1232 * 20.0
    sites = _day(store, "site")
    chi, blr = _row(sites, CHI), _row(sites, BLR)
    assert chi["pbt_s"] == pytest.approx(chi_pbt)
    assert chi["availability"] == pytest.approx(12 / 16)
    assert chi["effectiveness"] == pytest.approx(880 / 720)
    assert chi["quality_ratio"] == pytest.approx(792 / 880)
    assert chi["oee"] == pytest.approx(chi_valuable / chi_pbt)
    assert blr["availability"] == pytest.approx(360 / 480)
    assert blr["oee"] == pytest.approx(blr_valuable / blr_pbt)
    # The enterprise weighs its sites by planned busy time.
    run = compute(store, MODEL, start=MONDAY, end=MONDAY + dt.timedelta(days=1))
    # (Each site's Monday is its own period; the whole range is one row.)
    enterprise = kpis(aggregate(run.elements, "enterprise", by_period=False)).row(0, named=True)
    assert enterprise["oee"] == pytest.approx((chi_valuable + blr_valuable) / (chi_pbt + blr_pbt))
    assert enterprise["oee"] == pytest.approx(
        (chi["oee"] * chi_pbt + blr["oee"] * blr_pbt) / (chi_pbt + blr_pbt)
    )


def test_loss_money_is_counted_once_per_line(store: Store) -> None:
    write_week(store)
    run = compute(store, MODEL, start=MONDAY, end=MONDAY + dt.timedelta(days=1))
    tree = loss_tree(run.elements, MODEL, "line", by_period=False)
    breakdowns = tree.filter((pl.col("path") == CHI_LINE) & (pl.col("loss") == "breakdowns"))
    # Eight 20-minute stops of the constraint at 600 an hour; before, the filler's and the
    # inspection station's same stops were priced again (4,800).
    assert breakdowns["hours"][0] == pytest.approx(8 * 20 / 60)
    assert breakdowns["money"][0] == pytest.approx(8 * 20 / 60 * 600.0)
