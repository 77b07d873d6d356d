"""The KPI layer's queries, on every store: element sums, flagged counts, unknown records.

One small plant worked out by hand: a site's timeline of two periods with a break, two
machines (one with states, one without), a minor and a major stop, counts in working time,
in the break, of a product without a planned run time and before any state. The KPI tests
(tests/kpi/test_in_store.py) check the same queries against the Polars computation on
random records.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from andon import records
from andon.records import RecordKind
from andon.store import Store
from andon.store.kpi_queries import (
    COUNT_SUMS,
    FLAGGED_COUNT_SCHEMA,
    UNKNOWN_RECORD_SCHEMA,
    ElementQuery,
    StateSelection,
    element_sums_schema,
)

T0 = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z in microseconds
MIN = 60_000_000
PRESS = "acme/lyon/assembly/line1/press1"
LASER = "acme/lyon/assembly/line1/laser1"
RUN, DELAY, DOWN, UNKNOWN = 0, 2, 3, 6
OFF, BREAK, WORK = 0, 1, 2
SELECTIONS = {
    "run_work_s": StateSelection(zone=WORK, classes=(RUN,)),
    "down_s": StateSelection(classes=(DOWN,)),
    "major_down_s": StateSelection(classes=(DOWN,), minor=False),
    "minor_down_s": StateSelection(zone=WORK, classes=(DOWN,), minor=True),
    "break_s": StateSelection(zone=BREAK),
    "not_work_s": StateSelection(not_zone=WORK),
}


def _query(**changes: object) -> ElementQuery:
    """Work 0-120 min (period 0), a break 120-150 (period 0), work 150-240 (period 1)."""
    fields: dict[str, object] = {
        "paths": [PRESS, LASER],
        "site_of": [0, 0],
        "last_cell": [True, False],
        "products": ["P", "Q"],
        "pri_s": [6.0, None, None, 6.0, None, None],
        "scrap_cost": [2.5, 1.0, 0.0],
        "seg_site": [0, 0, 0],
        "seg_index": [0, 1, 2],
        "seg_lo": [T0, T0 + 120 * MIN, T0 + 150 * MIN],
        "seg_hi": [T0 + 120 * MIN, T0 + 150 * MIN, T0 + 240 * MIN],
        "seg_zone": [WORK, BREAK, WORK],
        "seg_period": [0, 0, 1],
        "work_zone": WORK,
        "lo": T0,
        "hi": T0 + 240 * MIN,
        "count_lo": T0,
        "count_hi": T0 + 240 * MIN,
        "minor_us": 5 * MIN,
        "fail_class": DOWN,
        "state_classes": {"running": RUN, "idle": DELAY, "unplanned_down": DOWN},
        "unknown_class": UNKNOWN,
        "selections": SELECTIONS,
    }
    fields.update(changes)
    return ElementQuery(**fields)  # type: ignore[arg-type]


def _write_plant(store: Store) -> None:
    # The press runs from before the range, stops 2 min (minor) at 60 and 30 min (major)
    # at 150; the laser reports no state at all.
    minutes = [-10, 60, 62, 150, 180]
    store.write(
        RecordKind.STATE,
        records.states(
            ts=[T0 + m * MIN for m in minutes],
            path=PRESS,
            state=["running", "unplanned_down", "running", "unplanned_down", "running"],
        ),
    )
    store.write(
        RecordKind.COUNT,
        records.counts(
            ts=[T0 + m * MIN for m in (30, 140, 200, 30)],
            path=[PRESS, PRESS, PRESS, LASER],
            product=["P", "P", "Q", "P"],
            good=[10, 5, 3, 4],
            scrap=[1, 0, 0, 0],
        ),
    )


def _rows(table: pa.Table) -> dict[tuple[int, int], dict[str, Any]]:
    return {(r["pid"], r["pidx"]): r for r in table.to_pylist()}


def test_element_sums_by_hand(store: Store) -> None:
    _write_plant(store)
    result = store.element_sums(_query())
    assert result.schema == element_sums_schema(list(SELECTIONS))
    rows = _rows(result)
    assert set(rows) == {(0, 0), (0, 1), (1, 0)}
    press_0, press_1, laser_0 = rows[0, 0], rows[0, 1], rows[1, 0]
    minutes = {name: press_0[name] / MIN for name in SELECTIONS}
    assert minutes == {
        "run_work_s": 118.0,  # 0-60 and 62-120
        "down_s": 2.0,
        "major_down_s": 0.0,
        "minor_down_s": 2.0,
        "break_s": 30.0,  # running through the break
        "not_work_s": 30.0,
    }
    minutes = {name: press_1[name] / MIN for name in SELECTIONS}
    assert minutes == {
        "run_work_s": 60.0,
        "down_s": 30.0,
        "major_down_s": 30.0,
        "minor_down_s": 0.0,
        "break_s": 0.0,
        "not_work_s": 0.0,
    }
    assert (press_0["fe"], press_1["fe"]) == (0.0, 1.0)
    assert {n: press_0[n] for n in COUNT_SUMS} == {
        "gq": 10.0,
        "sq": 1.0,
        "rq": 0.0,
        "pq": 11.0,
        "out_gq": 10.0,
        "out_pq": 11.0,
        "pq_outside": 5.0,  # made in the break
        "pq_no_state": 0.0,
        "pq_no_pri": 0.0,
        "pri_pq_s": 66.0,
        "pri_gq_s": 60.0,
        "pri_sq_s": 6.0,
        "pri_rq_s": 0.0,
        "scrap_cost": 2.5,
        "n_no_state": 0.0,
        "n_no_pri": 0.0,
        "counts": 2.0,
    }
    assert (press_1["pq"], press_1["pq_no_pri"], press_1["pri_pq_s"]) == (3.0, 3.0, 0.0)
    assert (press_1["n_no_pri"], press_1["counts"]) == (1.0, 1.0)
    # The laser's count has no state before it: not placed, and no state time at all.
    assert all(laser_0[name] is None for name in [*SELECTIONS, "fe"])
    assert (laser_0["pq"], laser_0["pq_no_state"], laser_0["n_no_state"]) == (0.0, 4.0, 1.0)


def test_element_sums_of_an_empty_store_are_an_empty_table(store: Store) -> None:
    result = store.element_sums(_query())
    assert result.num_rows == 0
    assert result.schema == element_sums_schema(list(SELECTIONS))


def test_the_minor_threshold_and_the_failure_class_are_the_callers(store: Store) -> None:
    _write_plant(store)
    # With a threshold of one minute the 2-minute stop is a failure event too.
    rows = _rows(store.element_sums(_query(minor_us=MIN)))
    assert rows[0, 0]["fe"] == 1.0
    assert rows[0, 0]["minor_down_s"] == 0.0
    # Classed as idle, down time is no failure and counts for no down selection.
    classes = {"running": RUN, "idle": DELAY, "unplanned_down": DELAY}
    rows = _rows(store.element_sums(_query(state_classes=classes)))
    assert (rows[0, 0]["down_s"], rows[0, 1]["fe"]) == (0.0, 0.0)


def test_counts_are_placed_only_in_the_callers_work_zone(store: Store) -> None:
    _write_plant(store)
    rows = _rows(store.element_sums(_query(work_zone=BREAK)))
    assert (rows[0, 0]["pq"], rows[0, 0]["pq_outside"]) == (5.0, 11.0)


def test_flagged_counts_by_hand(store: Store) -> None:
    _write_plant(store)
    result = store.flagged_counts(_query())
    assert result.schema == FLAGGED_COUNT_SCHEMA
    assert sorted(result.to_pylist(), key=lambda r: r["pid"]) == [
        {
            "pid": 0,
            "ts": T0 + 200 * MIN,
            "product": "Q",
            "qty": 3.0,
            "no_state": False,
            "no_pri": True,
        },
        {
            "pid": 1,
            "ts": T0 + 30 * MIN,
            "product": "P",
            "qty": 4.0,
            "no_state": True,
            "no_pri": False,
        },
    ]


@pytest.mark.parametrize("prefix", ["acme/lyon", "acme/lyon/"])
def test_unknown_records_by_hand(store: Store, prefix: str) -> None:
    ghost = "acme/lyon/assembly/line1/ghost"
    store.write(
        RecordKind.STATE,
        records.states(
            ts=[T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN, T0 + 300 * MIN, T0 + 4 * MIN],
            path=[PRESS, PRESS, ghost, ghost, ghost, "acme/lyons/x/y/z"],
            state=["running", "warming_up", "idle", "idle", "idle", "warming_up"],
        ),
    )
    store.write(
        RecordKind.COUNT,
        records.counts(
            ts=[T0, T0 + MIN, T0 - MIN, T0 + 240 * MIN],
            path=[PRESS, ghost, ghost, ghost],
            product="P",
            good=1,
        ),
    )
    result = store.unknown_records(
        path_prefix=prefix,
        paths=[PRESS, LASER],
        states=["running", "idle"],
        end=T0 + 240 * MIN,
        count_start=T0,
        count_end=T0 + 240 * MIN,
    )
    assert result.schema == UNKNOWN_RECORD_SCHEMA
    found = sorted((r["kind"], r["path"], r["n"]) for r in result.to_pylist())
    # The ghost's state after the end and its counts outside the count range are left out,
    # and "acme/lyons" is not below "acme/lyon".
    assert found == [("count", ghost, 1), ("state", ghost, 2), ("state", PRESS, 1)]


def test_unknown_records_of_a_known_plant_are_none(store: Store) -> None:
    _write_plant(store)
    result = store.unknown_records(
        path_prefix="acme",
        paths=[PRESS, LASER],
        states=["running", "unplanned_down"],
        end=T0 + 240 * MIN,
        count_start=T0,
        count_end=T0 + 240 * MIN,
    )
    assert result.num_rows == 0
    assert result.schema == UNKNOWN_RECORD_SCHEMA
