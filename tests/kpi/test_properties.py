"""Properties of the KPI engine over random plants' days (hypothesis)."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kpi_helpers import build_model

from andon.kpi import KPI_DEFINITIONS, aggregate, elements_from_records, kpis, loss_tree
from andon.records import EquipmentState

MODEL = build_model(
    shifts=[
        {
            "id": "day",
            "start": "06:00",
            "end": "18:00",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "breaks": [["12:00", "12:30"]],
        },
        {
            "id": "night",
            "start": "22:00",
            "end": "04:00",
            "days": ["mon", "tue", "wed", "thu", "fri"],
        },
    ],
    machines=3,
)
PATHS = sorted(MODEL.equipment)
START = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
END = START + dt.timedelta(days=3)
STATES = [s.value for s in EquipmentState]

segment = st.tuples(st.sampled_from(STATES), st.integers(min_value=1, max_value=400))
machine = st.lists(segment, min_size=1, max_size=40)


def _frames(plan: list[list[tuple[str, int]]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Intervals back to back from START (minutes), and a count at the end of each run."""
    rows, made = [], []
    for path, segments in zip(PATHS, plan, strict=False):
        t = START
        for state, minutes in segments:
            end = t + dt.timedelta(minutes=minutes)
            rows.append((path, state, t, end))
            if state == "running":
                good = minutes  # one unit a minute at a 60 s ideal cycle: never faster
                made.append((end, path, good * 9 // 10, good // 20, good // 50))
            t = end
    intervals = pl.DataFrame(
        rows, schema=["path", "state", "start", "end"], orient="row"
    ).with_columns(reason=pl.lit(None, pl.String))
    counts = pl.DataFrame(
        made, schema=["ts", "path", "good", "scrap", "rework"], orient="row"
    ).with_columns(product=pl.lit("P"))
    if counts.is_empty():
        counts = counts.cast({"good": pl.Int64, "scrap": pl.Int64, "rework": pl.Int64})
    return intervals, counts


def _elements(intervals: pl.DataFrame, counts: pl.DataFrame, period: str = "day") -> pl.DataFrame:
    return elements_from_records(
        MODEL, intervals=intervals, counts=counts, start=START, end=END, period=period
    ).elements


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.lists(machine, min_size=1, max_size=3))
def test_every_ratio_is_in_its_range(plan: list[list[tuple[str, int]]]) -> None:
    table = kpis(aggregate(_elements(*_frames(plan)), "equipment"))
    for definition in KPI_DEFINITIONS:
        values = table[definition.name].drop_nulls()
        assert not values.is_nan().any(), definition.name
        assert (values >= 0).all(), definition.name
        if definition.upper is not None:
            assert (values <= definition.upper + 1e-9).all(), definition.name


@FAST
@given(st.lists(machine, min_size=1, max_size=3))
def test_loss_tree_splits_planned_busy_time(plan: list[list[tuple[str, int]]]) -> None:
    elements = _elements(*_frames(plan))
    tree = loss_tree(elements, MODEL, "line", by_period=False)
    total = tree["hours"].sum()
    pbt = aggregate(elements, "line", by_period=False)["pbt_s"].sum() / 3600
    assert abs(total - pbt) < 1e-6


@FAST
@given(st.lists(machine, min_size=2, max_size=3))
def test_aggregation_equals_computing_on_merged_records(
    plan: list[list[tuple[str, int]]],
) -> None:
    intervals, counts = _frames(plan)
    together = aggregate(_elements(intervals, counts), "line", by_period=False)
    apart = pl.concat(
        [
            _elements(
                intervals.filter(pl.col("path") == path), counts.filter(pl.col("path") == path)
            ).filter(pl.col("path") == path)
            for path in PATHS
        ]
    )
    merged = aggregate(apart, "line", by_period=False)
    for name in ("pbt_s", "apt_s", "adot_s", "minor_down_s", "pri_pq_s", "pq", "gq", "fe"):
        assert abs(together[name][0] - merged[name][0]) < 1e-6, name
    # Periods merge too: three days summed equal one custom period over the whole range.
    days = aggregate(_elements(intervals, counts, "day"), "line", by_period=False)
    whole = aggregate(_elements(intervals, counts, "custom"), "line", by_period=False)
    for name in ("pbt_s", "apt_s", "aust_s", "adet_s", "pq", "gq", "fe", "no_state_s"):
        assert abs(days[name][0] - whole[name][0]) < 1e-6, name


@FAST
@given(st.lists(machine, min_size=1, max_size=3), st.integers(min_value=0, max_value=999))
def test_permuting_input_changes_nothing(plan: list[list[tuple[str, int]]], seed: int) -> None:
    intervals, counts = _frames(plan)
    shuffled = _elements(
        intervals.sample(fraction=1.0, shuffle=True, seed=seed),
        counts.sample(fraction=1.0, shuffle=True, seed=seed),
    )
    assert shuffled.equals(_elements(intervals, counts))
