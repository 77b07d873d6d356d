"""The stored day state kept current on a schedule, alone and inside the runtime."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from kpi_helpers import at, build_model

from andon import records
from andon.kpi import StateRefresher, stored_elements
from andon.records import RecordKind, to_micros
from andon.runtime import SimulatedRun, SimulatedRunSettings
from andon.store import DuckDBStore, Store

M0 = "e/s1/a/l/c0/m"


def _us(text: str) -> int:
    return to_micros(at(text))


def test_first_run_covers_the_history_then_only_the_trailing_days(store: Store) -> None:
    model = build_model()
    store.write(
        RecordKind.STATE,
        records.states(ts=[at("2026-03-02 08:00")], path=M0, state=["running"], source="t"),
    )
    keeper = StateRefresher(every_h=1.0, lookback_h=24.0)
    assert keeper.due(now=_us("2026-03-06 00:00"))
    first = keeper.run(store, model, now=_us("2026-03-06 00:00"), since=_us("2026-03-02 00:00"))
    assert sorted(set(first["period"])) == ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    assert not keeper.due(now=_us("2026-03-06 00:30"))
    assert keeper.due(now=_us("2026-03-06 01:00"))
    # A late stop on the 5th (inside the look-back) revises that day; the 6th, begun since,
    # is stored for the first time.
    store.write(
        RecordKind.STATE,
        records.states(
            ts=[at("2026-03-05 09:00"), at("2026-03-05 10:00")],
            path=M0,
            state=["unplanned_down", "running"],
            source="t",
        ),
    )
    second = keeper.run(store, model, now=_us("2026-03-06 01:00"), since=_us("2026-03-02 00:00"))
    changed = second.filter(pl.col("path") == M0)
    assert changed["period"].to_list() == ["2026-03-05", "2026-03-06"]
    assert changed["revision"].to_list() == [2, 1]
    day = stored_elements(store).filter((pl.col("path") == M0) & (pl.col("period") == "2026-03-05"))
    assert day["adot_s"].to_list() == [3600.0]
    assert day["computed_at"].to_list() == [at("2026-03-06 01:00")]


def test_the_runtime_keeps_the_day_state(tmp_path: Path) -> None:
    settings = SimulatedRunSettings(
        workdir=tmp_path,
        history_days=2,
        stream_days=0.5,
        speed=0,
        apps=(),
        password_memory_kib=1024,
    )
    store = DuckDBStore(tmp_path / "andon.duckdb")
    runtime = SimulatedRun(settings=settings, store=store)
    runtime.run_history()
    runtime.wait_done()
    assert not [n for n in runtime.summary.notes if "KPI state" in n]
    state = stored_elements(store)
    assert state.height > 0
    # Refreshed on the simulated clock, the last time at most an hour before its end.
    last = state["computed_at"].max()
    assert isinstance(last, dt.datetime)
    end = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=runtime.now())
    assert end - dt.timedelta(hours=1) <= last <= end
    assert state["apt_s"].sum() > 0
