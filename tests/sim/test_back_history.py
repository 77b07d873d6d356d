"""The back-history: the work orders a simulated plant implies before its start agree with
its hidden wear and its model, pass the contracts, and let the maintenance app judge every
asset with a known age after a short demo or simulation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.compute as pc
import pytest

from andon.apps.maintenance import MaintenanceApp
from andon.contracts import check
from andon.model import Model, load_model
from andon.records import RecordKind
from andon.runtime.demo import SimulatedRun, SimulatedRunSettings
from andon.sim import Scenario, simulate
from andon.sim.back_history import back_history, lives_in_progress
from andon.sim.engine import Plant
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore
from andon.time import HOUR_US, from_datetime
from conftest import TINY

ROOT = Path(__file__).resolve().parents[2]
CAVEATS = ("age counted from the first record", "no maintenance history", "age not known")
PRESS = "tiny/s1/a/l1/pressing/press1"


def _plant(model: Model, seed: int = 4) -> Plant:
    return Plant(model, Scenario(), seed=seed, days=1, schedule=None)


def _tiny(tmp_path: Path, equipment: str) -> Model:
    text = TINY.replace("MTBF_WEAR", "400").replace("MTBF_SHOCK", "600")
    text = text.replace("{id: press1, class: press,", "{id: press1, class: press, " + equipment)
    file = tmp_path / "tiny.yaml"
    file.write_text(text, encoding="utf-8")
    return load_model(file)


def test_each_life_began_when_the_hidden_wear_says(tiny: Model) -> None:
    plant = _plant(tiny)
    lives = list(lives_in_progress(plant))
    assert len(lives) == sum(len(eq.modes) for eq in plant.equipment)
    for eq in plant.equipment:
        for mode, path in zip(eq.modes, eq.paths, strict=True):
            (life,) = [x for x in lives if x.equipment == eq.path and x.failure_mode == mode.id]
            assert life.operating_h == pytest.approx(-path.offset / eq.base_rate)
            # a calendar hour holds at most one operating hour
            assert plant.start_us - life.began_us >= life.operating_h * HOUR_US - 1
    table = back_history(plant, source="sim-4")
    assert max(table.column("ts").cast("int64").to_pylist()) < plant.start_us
    result = check(RecordKind.MAINTENANCE, table, tiny, now_us=plant.start_us)
    assert result.quarantined.num_rows == 0, result.quarantined.to_pylist()
    closed = table.filter(pc.equal(table.column("event"), "closed"))
    restoring = closed.filter(pc.invert(pc.equal(closed.column("kind"), "inspection")))
    # no installation dates in the tiny plant: one repair per mode began each life
    assert restoring.num_rows == len(lives)
    assert set(restoring.column("kind").to_pylist()) == {"failure"}
    inspections = closed.filter(pc.equal(closed.column("kind"), "inspection"))
    assert inspections.num_rows == 4 * len(plant.equipment)  # four Sunday windows in 28 days


def test_the_model_dates_are_the_commissioning_and_the_restoration(tmp_path: Path) -> None:
    model = _tiny(tmp_path, "installed: 2025-12-01, restored: {jam: 2025-12-20},")
    plant = _plant(model)
    installed = from_datetime(dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
    restored = from_datetime(dt.datetime(2025, 12, 20, tzinfo=dt.UTC))
    table = back_history(plant, source="sim-4")
    mine = table.filter(pc.equal(table.column("path"), PRESS))
    closed = mine.filter(pc.equal(mine.column("event"), "closed")).to_pylist()
    stamps = {(r["kind"], r["failure_mode"]): from_datetime(r["ts"]) for r in closed}
    assert stamps[("preventive", None)] == installed  # commissioned: as new in every mode
    assert stamps[("preventive", "jam")] == restored
    (wear,) = [
        x for x in lives_in_progress(plant) if (x.equipment, x.failure_mode) == (PRESS, "wear")
    ]
    assert wear.began_us >= installed  # no life began before the machine was there
    if wear.by is None:
        assert wear.began_us == installed
        assert ("failure", "wear") not in stamps
    else:
        assert stamps[("failure", "wear")] == wear.began_us


def _no_age_caveats(store: DuckDBStore, model: Model, now: int) -> list[str]:
    risks, _, _ = MaintenanceApp().assess(store, model, now=now)
    assert risks
    return [
        f"{r.subject} {r.mode.id}: {n}"
        for r in risks
        for n in r.notes
        if any(c in n for c in CAVEATS)
    ]


def test_after_a_short_simulation_the_app_knows_every_age() -> None:
    model = load_model(ROOT / "examples" / "beverage")
    ages: dict[bool, list[str]] = {}
    for with_history in (False, True):
        store = DuckDBStore(None)
        try:
            result = simulate(
                model,
                days=0.25,
                epoch_h=6,
                seed=2,
                sink=PipelineSink.into(store, model=model),
                back_history=with_history,
            )
            assert store.quarantine_summary().num_rows == 0
            ages[with_history] = _no_age_caveats(store, model, result.end_us)
        finally:
            store.close()
    assert ages[False], "without the back-history some ages are unknown"
    assert ages[True] == []


def test_after_a_short_demo_the_app_knows_every_age(tmp_path: Path) -> None:
    settings = SimulatedRunSettings(
        workdir=tmp_path,
        history_days=0.25,
        stream_days=0,
        speed=0,
        epoch_h=6,
        apps=(),
        password_memory_kib=1024,
    )
    store = DuckDBStore(tmp_path / "andon.duckdb")
    run = SimulatedRun(settings=settings, store=store)
    try:
        run.run_history()
        run.wait_done()
        before = store.records(RecordKind.MAINTENANCE, end=run.start_us)
        assert before.num_rows > 0
        assert _no_age_caveats(store, run.model, run.now()) == []
    finally:
        run.close()
