"""KPIs from each store, the stored day state, and revisions when late records arrive."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from kpi_helpers import at, build_model

from andon import records
from andon.kpi import (
    aggregate,
    compute,
    data_quality,
    kpis,
    late_range,
    refresh,
    rollup,
    stored_elements,
)
from andon.model import Model
from andon.records import RecordKind
from andon.store import Store


@pytest.fixture
def two_machines() -> Model:
    """Site s1 in UTC, one day shift 08:00-16:00 every day, machines c0/m and c1/m."""
    return build_model()


M0 = "e/s1/a/l/c0/m"
M1 = "e/s1/a/l/c1/m"


def _fill(store: Store) -> None:
    store.write(
        RecordKind.STATE,
        records.states(
            ts=[at("2026-03-02 08:00"), at("2026-03-02 12:00"), at("2026-03-02 13:00")],
            path=M0,
            state=["running", "unplanned_down", "running"],
            source="test",
        ),
    )
    store.write(
        RecordKind.STATE,
        # Idle all day, and said so again in the evening: a state lasts no longer than the
        # records of its equipment.
        records.states(
            ts=[at("2026-03-02 08:00"), at("2026-03-03 23:00")],
            path=M1,
            state=["idle", "idle"],
            source="test",
        ),
    )
    store.write(
        RecordKind.COUNT,
        records.counts(
            ts=[at("2026-03-02 12:00"), at("2026-03-03 12:00")],
            path=M0,
            product="P",
            good=[200, 300],
            scrap=[4, 0],
            source="test",
        ),
    )


def test_kpis_from_the_store(store: Store, two_machines: Model) -> None:
    _fill(store)
    run = compute(store, two_machines, start=at("2026-03-02 00:00"), end=at("2026-03-04 00:00"))
    table = kpis(aggregate(run.elements, "equipment"))
    day1 = table.filter((pl.col("path") == M0) & (pl.col("period") == "2026-03-02"))
    row = day1.row(0, named=True)
    # 08:00-16:00 shift: running 4 h + 3 h, down 1 h; the last state lasts to the range end.
    assert row["apt_s"] == 7 * 3600
    assert row["adot_s"] == 3600
    assert row["availability"] == pytest.approx(7 / 8)
    assert row["pq"] == 204
    assert row["quality_ratio"] == pytest.approx(200 / 204)
    assert row["fe"] == 1
    assert row["mttr_h"] == pytest.approx(1.0)
    idle = table.filter((pl.col("path") == M1) & (pl.col("period") == "2026-03-02"))
    assert idle.row(0, named=True)["availability"] == 0.0


def test_late_records_revise_only_the_days_they_change(store: Store, two_machines: Model) -> None:
    _fill(store)
    first = refresh(
        store,
        two_machines,
        start=at("2026-03-02 00:00"),
        end=at("2026-03-04 00:00"),
        computed_at=at("2026-03-05 00:00"),
    )
    assert set(first["revision"].to_list()) == {1}
    assert refresh(
        store, two_machines, start=at("2026-03-02 00:00"), end=at("2026-03-04 00:00")
    ).is_empty()
    late = records.counts(
        ts=[at("2026-03-02 15:00")], path=M0, product="P", good=[50], source="late"
    )
    store.write(RecordKind.COUNT, late)
    window = late_range(store, RecordKind.COUNT, late)
    assert window is not None
    revised = refresh(
        store,
        two_machines,
        start=window[0],
        end=window[1],
        computed_at=at("2026-03-06 00:00"),
    )
    assert revised.select("path", "period", "revision").rows() == [(M0, "2026-03-02", 2)]
    assert revised.row(0, named=True)["gq"] == 250
    current = stored_elements(store)
    m0_day = current.filter((pl.col("path") == M0) & (pl.col("period") == "2026-03-02"))
    assert m0_day.row(0, named=True)["revision"] == 2
    history = stored_elements(store, all_revisions=True).filter(
        (pl.col("path") == M0) & (pl.col("period") == "2026-03-02")
    )
    assert history["revision"].to_list() == [1, 2]  # the correction is visible
    assert history["computed_at"].to_list() == [at("2026-03-05 00:00"), at("2026-03-06 00:00")]
    week = kpis(aggregate(rollup(current, two_machines, "week"), "equipment"))
    week = week.filter(pl.col("path") == M0)
    assert week.row(0, named=True)["revision"] == 2
    assert week.row(0, named=True)["gq"] == 250 + 300


def test_a_late_state_record_reaches_until_the_next_state(
    store: Store, two_machines: Model
) -> None:
    _fill(store)
    late = records.states(ts=[at("2026-03-02 09:00")], path=M1, state=["running"], source="late")
    store.write(RecordKind.STATE, late)
    window = late_range(store, RecordKind.STATE, late)
    assert window is not None
    assert window[0] == records.to_micros(at("2026-03-02 09:00"))
    assert window[1] > records.to_micros(at("2026-03-02 09:00")) + 3_600_000_000


def test_week_rollup_of_days_equals_weeks_computed_directly(
    store: Store, two_machines: Model
) -> None:
    _fill(store)
    start, end = at("2026-03-02 00:00"), at("2026-03-09 00:00")
    days = compute(store, two_machines, start=start, end=end, period="day").elements
    weeks = compute(store, two_machines, start=start, end=end, period="week").elements
    rolled = rollup(days, two_machines, "week")
    cols = ["apt_s", "pbt_s", "adot_s", "pq", "gq", "fe"]
    assert (
        rolled.sort("path")
        .select("path", "period", *cols)
        .equals(weeks.sort("path").select("path", "period", *cols))
    )
    _ = dt


def test_conflicting_and_competing_state_sources_are_reported(
    store: Store, two_machines: Model
) -> None:
    _fill(store)
    store.write(
        RecordKind.STATE,
        records.states(
            ts=[at("2026-03-02 08:00"), at("2026-03-02 10:00")],
            path=M0,
            state=["idle", "running"],
            source="plc-2",
        ),
    )
    report = data_quality(
        store, two_machines, start=at("2026-03-02 00:00"), end=at("2026-03-03 00:00")
    )
    conflict = report.filter(pl.col("code") == "state.conflict")
    assert conflict["path"].to_list() == [M0]
    assert conflict.row(0, named=True)["start"] == at("2026-03-02 08:00")
    assert "idle, running" in conflict.row(0, named=True)["message"]
    sources = report.filter(pl.col("code") == "state.sources")
    assert sources["path"].to_list() == [M0]
    assert "plc-2" in sources.row(0, named=True)["message"]
    assert "test" in sources.row(0, named=True)["message"]
