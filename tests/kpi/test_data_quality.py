"""Bad input is flagged with its location, and KPIs use what is sound with the gap shown."""

from __future__ import annotations

import polars as pl
import pytest
from kpi_helpers import at, build_model, counts, intervals

from andon.kpi import aggregate, elements_from_records, kpis
from andon.model import Model


@pytest.fixture
def two_machines() -> Model:
    """Site s1 in UTC, one day shift 08:00-16:00 every day, machines c0/m and c1/m."""
    return build_model()


M0 = "e/s1/a/l/c0/m"
M1 = "e/s1/a/l/c1/m"
D = "2026-03-02 "


def _issues(run_issues: pl.DataFrame, code: str) -> pl.DataFrame:
    return run_issues.filter(pl.col("code") == code)


def test_overlapping_intervals_are_flagged_and_counted_once(two_machines: Model) -> None:
    run = elements_from_records(
        two_machines,
        intervals=intervals(
            [
                (M0, "running", D + "08:00", D + "12:00"),
                (M0, "unplanned_down", D + "11:00", D + "13:00"),  # overlaps 11:00-12:00
                (M0, "running", D + "13:00", D + "16:00"),
            ]
        ),
        start=at("2026-03-02 00:00"),
        end=at("2026-03-03 00:00"),
    )
    overlap = _issues(run.issues, "state.overlap")
    assert overlap.height == 1
    row = overlap.row(0, named=True)
    assert row["path"] == M0
    assert row["start"] == at(D + "11:00")
    assert row["end"] == at(D + "12:00")
    assert row["quantity"] == 3600
    e = run.elements.filter(pl.col("path") == M0).row(0, named=True)
    # Running 08:00-11:00 and 13:00-16:00, down 11:00-13:00: the hour counts once.
    assert e["apt_s"] == 3 * 3600 + 3 * 3600
    assert e["adot_s"] == 2 * 3600
    assert e["pbt_s"] == 8 * 3600  # never more than the shift


def test_counts_without_states_are_left_out_and_shown(two_machines: Model) -> None:
    run = elements_from_records(
        two_machines,
        intervals=intervals([(M0, "running", D + "08:00", D + "16:00")]),
        counts=counts([(M0, D + "12:00", 100, 0, 0), (M1, D + "12:00", 40, 2, 0)]),
        start=at("2026-03-02 00:00"),
        end=at("2026-03-03 00:00"),
    )
    flagged = _issues(run.issues, "count.no_state")
    assert flagged["path"].to_list() == [M1]
    assert flagged.row(0, named=True)["quantity"] == 42
    assert flagged.row(0, named=True)["start"] == at(D + "12:00")
    table = kpis(aggregate(run.elements, "equipment"))
    m1 = table.filter(pl.col("path") == M1).row(0, named=True)
    assert m1["pq"] == 0
    assert m1["pq_no_state"] == 42
    line = kpis(aggregate(run.elements, "line")).row(0, named=True)
    # The line is its constraint (c1, as fast as c0 and nearer the end): no sound count,
    # and the gap shown beside them.
    assert line["pq"] == 0
    assert line["pq_no_state"] == 42


def test_a_shift_calendar_with_a_gap_is_flagged() -> None:
    days = ["mon", "tue", "wed", "thu", "fri"]
    model = build_model(
        shifts=[
            {"id": "early", "start": "06:00", "end": "14:00", "days": days},
            {"id": "late", "start": "15:00", "end": "23:00", "days": days},
        ],
        machines=1,
    )
    run = elements_from_records(
        model,
        intervals=intervals([(M0, "running", D + "00:00", D + "23:59")]),
        start=at("2026-03-02 00:00"),
        end=at("2026-03-03 00:00"),
    )
    gaps = _issues(run.issues, "calendar.gap")
    assert gaps.height >= 1
    assert gaps["path"].unique().to_list() == ["e/s1"]
    assert any("14:00" in m and "15:00" in m for m in gaps["message"].to_list())
    e = run.elements.row(0, named=True)
    assert e["pbt_s"] == 16 * 3600  # the gap hour is not planned
    assert e["outside_running_s"] == (6 + 1 + 59 / 60) * 3600  # shown, not hidden


def test_unknown_equipment_and_state_values_are_flagged(two_machines: Model) -> None:
    run = elements_from_records(
        two_machines,
        intervals=intervals(
            [
                ("e/s1/a/l/c9/ghost", "running", D + "08:00", D + "16:00"),
                (M0, "warming", D + "08:00", D + "09:00"),
                (M0, "running", D + "09:00", D + "16:00"),
            ]
        ),
        start=at("2026-03-02 00:00"),
        end=at("2026-03-03 00:00"),
    )
    assert _issues(run.issues, "state.unknown_path")["path"].to_list() == ["e/s1/a/l/c9/ghost"]
    assert _issues(run.issues, "state.unknown_value")["path"].to_list() == [M0]
    e = run.elements.filter(pl.col("path") == M0).row(0, named=True)
    assert e["unknown_state_s"] == 3600
    assert e["apt_s"] == 7 * 3600
