"""Elements summed inside the store equal the Polars computation on the fetched records.

Random state and count records (duplicate instants, re-reported states, unknown states,
paths and products, counts before any state) on two sites in time zones with daylight
saving changes, a night shift and breaks, for every period; on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kpi_helpers import build_model

from andon import records
from andon.kpi import KpiSettings, compute
from andon.records import EquipmentState, RecordKind
from andon.store import Store

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MODEL = build_model(
    timezone="Europe/Paris",
    shifts=[
        {"id": "early", "start": "06:00", "end": "14:00", "days": EVERY_DAY},
        {
            "id": "late",
            "start": "14:00",
            "end": "22:00",
            "days": EVERY_DAY,
            "breaks": [["18:00", "18:30"]],
        },
        {
            "id": "night",
            "start": "22:00",
            "end": "06:00",
            "days": ["mon", "tue", "wed", "thu", "fri", "sat"],
            "breaks": [["02:00", "02:20"]],
        },
    ],
    machines=3,
    sites=("s1", "s2"),
)
PATHS = sorted(MODEL.equipment)
# Paris leaves winter time on Sunday 2026-03-29 at 02:00 local.
START = dt.datetime(2026, 3, 27, 20, tzinfo=dt.UTC)
END = START + dt.timedelta(days=4)
STATES = [s.value for s in EquipmentState]
MINUTE = 60_000_000
START_US = int(START.timestamp()) * 1_000_000

state_row = st.tuples(
    st.sampled_from([PATHS[0]] * 6 + [PATHS[3]] * 3 + [*PATHS, "e/s1/a/l/ghost/m"]),
    # Minutes after the previous record: often on a minor-stop threshold or at the same instant.
    st.one_of(st.sampled_from([0, 1, 1, 5, 60]), st.integers(min_value=0, max_value=240)),
    st.sampled_from([*STATES, *STATES, "warming_up"]),
)
count_row = st.tuples(
    st.sampled_from([*PATHS, "e/s2/a/l/ghost/m"]),
    st.integers(min_value=0, max_value=5800),
    st.sampled_from(["P", "P", "Q"]),
    st.integers(min_value=0, max_value=90),
)


def _reset(store: Store) -> None:
    store.execute("DELETE FROM rec_state")
    store.execute("DELETE FROM rec_count")


def _write(
    store: Store, states: list[tuple[str, int, str]], counts: list[tuple[str, int, str, int]]
) -> None:
    """Write state rows (minutes after the previous row, from an hour before START) and
    count rows (minutes from START)."""
    clock = -60
    timed = []
    for path, gap, state in states:
        clock += gap
        timed.append((path, clock, state))
    states = timed
    if states:
        store.write(
            RecordKind.STATE,
            records.states(
                ts=[START_US + m * MINUTE for _, m, _ in states],
                path=[p for p, _, _ in states],
                state=[s for _, _, s in states],
                seq=list(range(len(states))),
                source="t",
            ),
        )
    if counts:
        store.write(
            RecordKind.COUNT,
            records.counts(
                ts=[START_US + m * MINUTE for _, m, _, _ in counts],
                path=[p for p, _, _, _ in counts],
                product=[prod for _, _, prod, _ in counts],
                good=[g for _, _, _, g in counts],
                scrap=[g // 7 for _, _, _, g in counts],
                rework=[g // 11 for _, _, _, g in counts],
                seq=list(range(len(counts))),
                source="t",
            ),
        )


def assert_same(a: pl.DataFrame, b: pl.DataFrame, keys: list[str]) -> None:
    """Equal frames up to row order and float rounding."""
    assert a.columns == b.columns
    a, b = a.sort(keys, nulls_last=True), b.sort(keys, nulls_last=True)
    assert a.height == b.height
    for name in a.columns:
        left, right = a[name], b[name]
        if left.dtype.is_float():
            diff = (left - right).abs()
            scale = right.abs().fill_null(0.0) + 1.0
            assert ((diff / scale).fill_null(0.0) < 1e-9).all(), name
        else:
            assert left.to_list() == right.to_list(), name


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    states=st.lists(state_row, max_size=80),
    counts=st.lists(count_row, max_size=25),
    period=st.sampled_from(["day", "shift", "week", "custom"]),
    minor_stop_s=st.sampled_from([60.0, 300.0, 3600.0]),
    prefix=st.sampled_from([None, "e/s2"]),
)
def test_in_store_equals_polars(
    store: Store,
    states: list[tuple[str, int, str]],
    counts: list[tuple[str, int, str, int]],
    period: str,
    minor_stop_s: float,
    prefix: str | None,
) -> None:
    _reset(store)
    _write(store, states, counts)
    options = {
        "start": START,
        "end": END,
        "period": period,
        "settings": KpiSettings(minor_stop_s=minor_stop_s),
        "path_prefix": prefix,
        "custom_bounds": (START + dt.timedelta(hours=31),),
    }
    in_store = compute(store, MODEL, in_store=True, **options)  # type: ignore[arg-type]
    in_polars = compute(store, MODEL, in_store=False, **options)  # type: ignore[arg-type]
    assert_same(in_store.elements, in_polars.elements, ["path", "period_start"])
    issue_keys = ["code", "path", "start", "message"]
    assert_same(in_store.issues, in_polars.issues, issue_keys)


@pytest.mark.parametrize("minutes", [1, 2])
def test_a_stop_as_long_as_the_threshold_is_not_minor(store: Store, minutes: int) -> None:
    # 09:00 local is in the early shift; the stop lasts exactly the 60 s threshold, or more.
    rows = [(PATHS[0], 9 * 60, "running"), (PATHS[0], 60, "unplanned_down")]
    _write(store, [*rows, (PATHS[0], minutes, "running")], [])
    options = {"start": START, "end": END, "settings": KpiSettings(minor_stop_s=60.0 * minutes)}
    in_store = compute(store, MODEL, in_store=True, **options).elements  # type: ignore[arg-type]
    in_polars = compute(store, MODEL, in_store=False, **options).elements  # type: ignore[arg-type]
    assert_same(in_store, in_polars, ["path", "period_start"])
    assert in_store["adot_s"].sum() == 60.0 * minutes
    assert in_store["minor_down_s"].sum() == 0.0
    assert in_store["fe"].sum() == 1


def test_dates_mean_local_days_in_store_too(store: Store) -> None:
    _write(store, [(PATHS[0], 60, "running"), (PATHS[0], 700, "unplanned_down")], [])
    start, end = dt.date(2026, 3, 28), dt.date(2026, 3, 30)
    in_store = compute(store, MODEL, start=start, end=end, in_store=True)
    in_polars = compute(store, MODEL, start=start, end=end, in_store=False)
    assert_same(in_store.elements, in_polars.elements, ["path", "period_start"])
    # The day of the change to summer time is 23 hours long at the site.
    days = in_store.elements.filter(pl.col("path") == PATHS[0])
    lengths = (days["period_end"] - days["period_start"]).dt.total_hours().to_list()
    assert lengths == [24, 23]
    assert days["apt_s"].sum() > 0


@pytest.mark.parametrize("period", ["day", "week"])
def test_an_empty_store_gives_no_time_but_the_calendar(store: Store, period: str) -> None:
    run = compute(store, MODEL, start=START, end=END, period=period, in_store=True)
    assert run.elements["apt_s"].sum() == 0
    assert run.elements["no_state_s"].sum() > 0
    assert set(run.issues["code"]) == {"state.no_data"}
