"""Quality holds in the simulated plant, and the flow orders that act on holds and bottlenecks.

A scenario declares holds per product (:class:`andon.sim.scenario.HoldRule`); without one no
order is ever held and the records are those of a plant without the feature. A flow order
ends a hold (:class:`HoldRelease`) or protects a cell (:class:`BottleneckProtection`).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

import andon.apps.flow.actions  # noqa: F401 - the vocabulary
from andon.errors import SimulationError
from andon.model import Model, load_model
from andon.proposals import Action, ExecutionStatus
from andon.records import RecordKind, empty
from andon.sim import MemorySink, simulate
from andon.sim.executor import SimulatorExecutor
from andon.sim.policy import (
    BottleneckProtection,
    HoldRelease,
    MaintenancePlan,
    PlantView,
)
from andon.sim.scenario import HoldRule, Scenario, check_scenario, load_scenario

PLANT = Path(__file__).resolve().parents[1] / "conformance" / "plant.yaml"
MILLING = "conf/s1/area/l1/milling"
TESTING = "conf/s1/area/l1/testing"
H = 3_600_000_000


@pytest.fixture(scope="module")
def plant() -> Model:
    """The conformance plant: one line, pressing, milling, testing (an inspection cell)."""
    return load_model(PLANT)


def _orders(sink: MemorySink) -> pl.DataFrame:
    frame = pl.from_arrow(sink.table(RecordKind.ORDER))
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(pl.col("ts").dt.epoch("us").alias("ts_us"))


def _digest(sink: MemorySink) -> str:
    digest = hashlib.sha256()
    for kind in sorted(sink.tables):
        table = sink.table(kind)
        out = io.BytesIO()
        with pa.ipc.new_stream(out, table.schema) as writer:
            writer.write_table(table)
        digest.update(kind.encode() + out.getvalue())
    return digest.hexdigest()


def _holds(orders: pl.DataFrame) -> pl.DataFrame:
    """One row per hold: order, path, held_us, unheld_us."""
    marks = orders.filter(pl.col("event").is_in(["held", "unheld"])).sort("order_id", "ts_us")
    held = marks.filter(pl.col("event") == "held").select("order_id", "path", "ts_us")
    unheld = marks.filter(pl.col("event") == "unheld").select(
        "order_id", pl.col("path").alias("_path"), pl.col("ts_us").alias("unheld_us")
    )
    return (
        held.rename({"ts_us": "held_us"}).join(unheld, on="order_id", how="left").sort("order_id")
    )


def test_a_scenario_without_holds_holds_nothing_and_a_zero_share_changes_nothing(
    plant: Model,
) -> None:
    bare, zero = MemorySink(), MemorySink()
    simulate(plant, days=2, seed=3, sink=bare)
    simulate(plant, days=2, seed=3, sink=zero, scenario=Scenario(holds={"W1": {"share": 0.0}}))
    assert not _orders(bare)["event"].is_in(["held", "unheld"]).any()
    assert _digest(bare) == _digest(zero)


def test_declared_holds_hold_orders_at_the_inspection_cell_and_end(plant: Model) -> None:
    sink = MemorySink()
    rule = HoldRule(share=1.0, mean_h=3.0, cv=0.3)
    simulate(plant, days=4, seed=3, sink=sink, scenario=Scenario(holds={"W1": rule}))
    holds = _holds(_orders(sink))
    assert holds.height >= 3  # every order held once: one order a day
    assert holds["order_id"].n_unique() == holds.height
    # By default the hold is decided at the product's inspection cell.
    assert holds["path"].str.starts_with(TESTING + "/").all()
    ended = holds.filter(pl.col("unheld_us").is_not_null())
    assert ended.height >= holds.height - 1
    assert (ended["_path"] == ended["path"]).all()
    lengths = (ended["unheld_us"] - ended["held_us"]) / H
    assert (lengths > 0).all()
    assert 1.0 < float(lengths.median()) < 6.0  # type: ignore[arg-type]


def test_a_held_orders_units_wait_in_quarantine_the_station_goes_on(plant: Model) -> None:
    sink = MemorySink()
    rule = HoldRule(cell="milling", share=1.0, mean_h=4.0, cv=0.2)
    simulate(plant, days=3, seed=5, sink=sink, scenario=Scenario(holds={"W1": rule}))
    orders = _orders(sink)
    hold = _holds(orders).row(0, named=True)
    assert hold["path"].startswith(MILLING + "/")
    units = pl.from_arrow(sink.table(RecordKind.UNIT))
    assert isinstance(units, pl.DataFrame)
    visits = units.filter(pl.col("parameter") == "cycle_time_s").with_columns(
        pl.col("ts").dt.epoch("us").alias("ts_us")
    )
    at_test = visits.filter(pl.col("path").str.starts_with(TESTING + "/"))
    # No unit of the first (held) order reaches the test cell while it is held ...
    first_serials = visits.filter(
        pl.col("path").str.starts_with(MILLING + "/")
        & (pl.col("ts_us") >= hold["held_us"])
        & (pl.col("ts_us") < hold["unheld_us"])
    )["serial"]
    assert first_serials.len() > 0
    tested = at_test.filter(pl.col("serial").is_in(first_serials.implode()))
    assert tested.height > 0
    assert (tested["ts_us"] >= hold["unheld_us"]).all()
    # ... while the mills go on making units through the hold.
    assert first_serials.len() > 10


def test_hold_rules_are_checked_against_the_model(plant: Model, tmp_path: Path) -> None:
    scenario = Scenario(holds={"W9": HoldRule(share=0.5), "W1": HoldRule(cell="paint", share=1)})
    codes = sorted(p.code for p in check_scenario(scenario, plant))
    assert codes == ["scenario.unknown_cell", "scenario.unknown_product"]
    file = tmp_path / "holds.scenario"
    file.write_text("holds:\n  W1: {cell: paint, share: 0.5}\n", encoding="utf-8")
    with pytest.raises(SimulationError) as caught:
        load_scenario(file, model=plant)
    [problem] = caught.value.problems
    assert (problem.code, problem.line) == ("scenario.unknown_cell", 2)
    file.write_text("holds:\n  W1: {share: 1.5}\n", encoding="utf-8")
    with pytest.raises(SimulationError):
        load_scenario(file, model=plant)


@dataclass
class _Plans:
    """A policy handing the plant the plans a test gives, one per epoch, and recording the
    orders held at each epoch."""

    plans: list[MaintenancePlan | None]
    name: str = "test-plans"
    held: list[frozenset[str]] = field(default_factory=list)

    def decide(self, view: PlantView) -> MaintenancePlan:
        self.held.append(view.held)
        if not self.plans:
            return MaintenancePlan()
        plan = self.plans.pop(0)
        if plan is None:  # release whatever is held now
            return MaintenancePlan(flow=tuple(HoldRelease(order_id=o) for o in sorted(view.held)))
        return plan


def test_a_release_ends_the_hold_at_the_epoch(plant: Model) -> None:
    scenario = Scenario(holds={"W1": HoldRule(share=1.0, mean_h=200.0, cv=0.1)})
    kept, released = MemorySink(), MemorySink()
    simulate(plant, days=3, seed=3, sink=kept, scenario=scenario, epoch_h=12)
    policy = _Plans(plans=[MaintenancePlan(), None, None, None, None])
    simulate(plant, days=3, seed=3, sink=released, scenario=scenario, epoch_h=12, policy=policy)
    long = _holds(_orders(kept))
    assert long.height > 0
    assert long["unheld_us"].is_null().all()  # 200 h holds outlast the run
    assert any(policy.held)
    short = _holds(_orders(released)).filter(pl.col("unheld_us").is_not_null())
    assert short.height > 0
    start = int(_orders(released)["ts_us"].min() or 0)
    epochs = (short["unheld_us"] - start) % (12 * H)
    assert (epochs.abs() < 1000).all()  # each ended at a decision epoch
    assert _orders(released).filter(pl.col("event") == "completed").height > (
        _orders(kept).filter(pl.col("event") == "completed").height
    )


def test_a_protected_cell_gets_its_parts_expedited_and_makes_more(plant: Model) -> None:
    # Three weeks in which a mill fails while the spare bearings it needs are on order at
    # their 14-day lead time: unprotected it waits for them, protected they are expedited.
    end = 1_900_000_000_000_000
    protect = MaintenancePlan(flow=(BottleneckProtection(cell=MILLING, end_us=end),))
    before = simulate(plant, days=21, seed=7)
    after = simulate(plant, days=21, seed=7, policy=_Plans(plans=[protect]))
    assert after.maintenance.expedite_count > before.maintenance.expedite_count
    assert after.maintenance.expedite_cost > before.maintenance.expedite_cost
    assert after.maintenance.unplanned_downtime_h < before.maintenance.unplanned_downtime_h
    assert after.good_units > before.good_units


def test_a_protection_of_a_cell_without_machines_is_refused(plant: Model) -> None:
    bad = MaintenancePlan(flow=(BottleneckProtection(cell="conf/s1/area", end_us=1),))
    with pytest.raises(SimulationError, match="holds no simulated machine"):
        simulate(plant, days=1, seed=1, policy=_Plans(plans=[bad]))


def _view(model: Model, held: frozenset[str] = frozenset()) -> PlantView:
    return PlantView(
        now_us=1_800_000_000_000_000,
        epoch_h=24.0,
        model=model,
        samples=empty("sample"),
        maintenance=empty("maintenance"),
        inventory={},
        operating_hours={},
        down=frozenset(),
        pending=frozenset(),
        windows={},
        held=held,
    )


def test_the_executor_releases_a_held_order_and_refuses_one_not_held(plant: Model) -> None:
    executor = SimulatorExecutor()
    executor.observe(_view(plant, held=frozenset({"O1"})))
    release = Action(kind="release_hold", subject=MILLING + "/mill1", job="O1")
    done = executor.execute(decision_id="d1", action=release, now=0)
    assert done.status is ExecutionStatus.DONE
    again = executor.execute(decision_id="d2", action=release, now=0)
    assert again.status is ExecutionStatus.REJECTED
    other = Action(kind="release_hold", subject=MILLING + "/mill1", job="O2")
    refused = executor.execute(decision_id="d3", action=other, now=0)
    assert refused.status is ExecutionStatus.REJECTED
    assert refused.detail == "nothing to do in the simulated plant: order O2 is not held"
    plan = executor.plan(_view(plant))
    assert plan.flow == (HoldRelease(order_id="O1"),)


def test_the_executor_protects_a_cell_once_over_its_slot(plant: Model) -> None:
    executor = SimulatorExecutor()
    view = _view(plant)
    protect = Action(
        kind="protect_bottleneck", subject=MILLING, slot_start=view.now_us, slot_end=view.now_us + H
    )
    executor.observe(view)
    assert executor.execute(decision_id="d1", action=protect, now=0).status is (
        ExecutionStatus.DONE
    )
    plan = executor.plan(view)
    assert plan.flow == (
        BottleneckProtection(cell=MILLING, start_us=view.now_us, end_us=view.now_us + H),
    )
    executor.observe(view)
    same = executor.execute(decision_id="d2", action=protect, now=0)
    assert same.status is ExecutionStatus.REJECTED
    nowhere = Action(kind="protect_bottleneck", subject="conf/s1", slot_start=0, slot_end=H)
    failed = executor.execute(decision_id="d3", action=nowhere, now=0)
    assert failed.status is ExecutionStatus.FAILED
    assert "no cell with machines" in failed.detail
