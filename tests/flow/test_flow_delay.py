"""The causes of delay on the hand-written plant history, the same from DuckDB and
PostgreSQL: every hour of every wait given to one cause, the hold first, the oven's
breakdown, the queues, and the bottleneck by the active period method."""

from __future__ import annotations

import polars as pl
import pytest

from andon.apps.flow.delay import STATE_CAUSES, delays
from andon.store import Store

from .flow_samples import LINE, PRINT, REFLOW, H, M

CAUSE_COLUMNS = [
    "hold", "queue", "processing", "no state",
    *sorted(set(STATE_CAUSES.values()) - {"running"}),
]  # fmt: skip


def test_every_hour_of_every_wait_has_one_cause(filled: Store) -> None:
    report = delays(filled, start=0, end=10 * H)
    assert report.waits.height == 8  # four units, two steps each
    total = report.waits.select(pl.sum_horizontal(CAUSE_COLUMNS) - pl.col("wait_h"))
    assert total.to_series().abs().max() == pytest.approx(0.0, abs=1e-9)
    assert report.waits["wait_h"].sum() == pytest.approx(
        (10 + 30 + 15 + 130 + 10 + 40 + 15 + 40) * M / H
    )


def test_the_hold_comes_first_then_the_breakdown(filled: Store) -> None:
    report = delays(filled, start=0, end=10 * H)
    u2 = report.waits.filter((pl.col("serial") == "U2") & (pl.col("station") == REFLOW)).row(
        0, named=True
    )
    assert u2["order_id"] == "O1"
    assert u2["wait_h"] == pytest.approx(130 / 60)
    assert u2["hold"] == pytest.approx(1.0)  # O1 held from 2 h to 3 h
    free = (130 - 60) / 130
    assert u2["down"] == pytest.approx(1.0 * free)  # the oven down 2 h to 3 h
    assert u2["processing"] + u2["queue"] == pytest.approx(70 / 60 * free)
    held = report.orders.filter((pl.col("order_id") == "O1") & (pl.col("cause") == "hold"))
    assert held["hours"].to_list() == [pytest.approx(1.0)]
    assert report.causes.filter(pl.col("cause") == "processing").height == 0


def test_queues_are_running_time_beyond_the_quick_passage(filled: Store) -> None:
    report = delays(filled, start=0, end=10 * H)
    at_print = report.waits.filter(pl.col("station") == PRINT).sort("serial")
    # print passages of 10, 15, 10 and 15 minutes: the quick one is 10 minutes
    assert (at_print["processing"] * 60).to_list() == pytest.approx([10, 10, 10, 10])
    assert (at_print["queue"] * 60).to_list() == pytest.approx([0, 5, 0, 5])


def test_the_bottleneck_is_the_station_never_starved_or_blocked(filled: Store) -> None:
    report = delays(filled, start=0, end=10 * H)
    shares = dict(report.stations.select("station", "active_share").iter_rows())
    assert shares[REFLOW] == pytest.approx(1.0)  # running or down all the time
    assert shares[PRINT] == pytest.approx((10 * 60 - 110) / (10 * 60))  # blocked 110 min
    assert report.bottleneck == REFLOW
    assert report.limited_by == "capacity"
    line = report.lines.row(0, named=True)
    assert line["line"] == LINE
    assert line["bottleneck"] == f"{LINE}/reflow"
    reflow = report.stations.filter(pl.col("station") == REFLOW).row(0, named=True)
    assert reflow["down_active_h"] == pytest.approx(1.0)


def test_nothing_in_range(filled: Store) -> None:
    report = delays(filled, start=20 * H, end=30 * H)
    assert report.waits.height == 0
    assert report.causes.height == 0
    assert report.bottleneck is None


def test_each_order_waits_for_its_line_before_it_starts(filled: Store) -> None:
    report = delays(filled, start=0, end=10 * H)
    queue = report.orders.filter(pl.col("cause") == "line queue")
    assert dict(queue.select("order_id", "hours").iter_rows()) == {"O1": 1.0, "O2": 4.0}


def test_the_bottleneck_hours_lost_are_worth_its_output(filled: Store) -> None:
    report = delays(filled, start=0, end=10 * H, unit_prices={"P": 50.0})
    line = report.lines.row(0, named=True)
    assert line["lost_h"] == pytest.approx(1.0)  # the oven down one hour
    assert line["units_per_h"] == pytest.approx(4 / 9.0)  # four units in nine running hours
    assert line["lost_value"] == pytest.approx(1.0 * 4 / 9.0 * 50.0)
    unpriced = delays(filled, start=0, end=10 * H).lines.row(0, named=True)
    assert unpriced["lost_value"] is None
