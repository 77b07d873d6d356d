"""Energy decisions carried out by the simulated plant: the executor's orders and their effect.

The executor turns approved energy actions into the plan's energy orders; the plant carries
them out under its own laws (a machine switched off draws its off power and warms up before
its next unit, repaired leaks draw no air, staged compressors are off while nothing
produces, a shifted order starts later). Each effect is read from the simulator's truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from andon.apps.energy.actions import FIX_LEAK, SHIFT_JOB, STAGE_UTILITY, SWITCH_OFF_IDLE
from andon.model import Model, load_model
from andon.proposals import Action, ExecutionStatus, action_kinds
from andon.sim import MaintenancePlan, PlantView, simulate
from andon.sim.executor import SimulatorExecutor
from andon.sim.policy import (
    EnergyOrder,
    JobShift,
    LeakRepair,
    ProductionOrder,
    ScheduleView,
    SwitchOffRule,
    UtilityStaging,
)
from andon.sim.sinks import MemorySink
from andon.time import DAY_US, HOUR_US

PRESSES = tuple(f"conf/s1/area/l1/pressing/press{i}" for i in (1, 2, 3))
ACME = Path(__file__).parents[2] / "examples" / "discrete"


@dataclass
class _Once:
    """A policy that hands the plant the given energy orders at its first epoch."""

    orders: tuple[EnergyOrder, ...]
    name: str = "energy-orders"
    epochs: int = 0

    def decide(self, view: PlantView) -> MaintenancePlan:
        self.epochs += 1
        return MaintenancePlan(energy=self.orders if self.epochs == 1 else ())


def _truth(model: Model, days: float, orders: tuple[EnergyOrder, ...] = ()) -> MemorySink:
    sink = MemorySink()
    simulate(model, days=days, seed=5, sink=sink, policy=_Once(orders))
    return sink


def _kwh(sink: MemorySink, *, paths: tuple[str, ...], causes: tuple[str, ...]) -> float:
    table = sink.truth_table("truth_energy")
    mask = pc.and_(
        pc.is_in(table["path"], pa.array(paths)), pc.is_in(table["cause"], pa.array(causes))
    )
    return float(pc.sum(table.filter(mask)["kwh"]).as_py() or 0.0)


def test_every_energy_kind_is_executable() -> None:
    kinds = {kind.name: kind for kind in action_kinds("energy")}
    assert set(kinds) == {"switch_off_idle", "fix_leak", "stage_utility", "shift_job"}
    assert all(kind.executable for kind in kinds.values())
    assert "idle_minutes" in kinds["switch_off_idle"].requires


def test_the_executor_turns_energy_actions_into_typed_orders() -> None:
    executor = SimulatorExecutor()
    actions = [
        Action(kind=SWITCH_OFF_IDLE.name, subject=PRESSES[0], slot_start=5, idle_minutes=10.0),
        Action(kind=FIX_LEAK.name, subject="acme/lyon/utilities/air/compressors/air_meter"),
        Action(kind=STAGE_UTILITY.name, subject="acme/lyon/utilities/air/compressors/air_meter"),
        Action(kind=SHIFT_JOB.name, subject="conf/s1/area/l1", job="J1", slot_start=9, slot_end=10),
    ]
    for number, action in enumerate(actions):
        done = executor.execute(decision_id=f"d{number}", action=action, now=0)
        assert done.status is ExecutionStatus.DONE, done.detail
    view = _view(load_model(Path(__file__).parent.parent / "conformance" / "plant.yaml"))
    plan = executor.plan(view)
    # The acme meter is no meter of the conformance plant: its orders are not handed over.
    assert plan.energy == (
        SwitchOffRule(equipment=PRESSES[0], idle_minutes=10.0, start_us=5),
        JobShift(order_id="J1", start_us=9),
    )
    assert executor.waiting == 0


def test_a_rule_in_force_is_refused_as_changing_nothing() -> None:
    executor = SimulatorExecutor()
    rule = Action(kind=SWITCH_OFF_IDLE.name, subject=PRESSES[1], slot_start=0, idle_minutes=15)
    first = executor.execute(decision_id="a", action=rule, now=0)
    again = executor.execute(decision_id="b", action=rule, now=0)
    assert first.status is ExecutionStatus.DONE
    assert again.status is ExecutionStatus.REJECTED
    assert again.detail.startswith("nothing to do in the simulated plant: ")
    other = Action(kind=SWITCH_OFF_IDLE.name, subject=PRESSES[1], slot_start=0, idle_minutes=30)
    assert executor.execute(decision_id="c", action=other, now=0).status is ExecutionStatus.DONE


def test_bad_energy_actions_are_refused_with_what_and_where(plant: Model) -> None:
    executor = SimulatorExecutor()
    executor.observe(_view(plant))
    no_minutes = Action(kind=SWITCH_OFF_IDLE.name, subject=PRESSES[0], slot_start=0)
    failed = executor.execute(decision_id="a", action=no_minutes, now=0)
    assert failed.status is ExecutionStatus.FAILED
    assert PRESSES[0] in failed.detail
    assert "idle minutes" in failed.detail
    unknown = Action(kind=SWITCH_OFF_IDLE.name, subject="conf/s1/x", idle_minutes=5)
    assert "no equipment" in executor.execute(decision_id="b", action=unknown, now=0).detail
    meter = Action(kind=STAGE_UTILITY.name, subject="conf/s1/main_meter", slot_start=0)
    wrong = executor.execute(decision_id="c", action=meter, now=0)
    assert wrong.status is ExecutionStatus.FAILED
    assert "conf/s1/main_meter" in wrong.detail
    site = Action(kind=FIX_LEAK.name, subject="conf/s1", slot_start=0)
    left_on = executor.execute(decision_id="d", action=site, now=0)
    assert left_on.status is ExecutionStatus.REJECTED
    assert left_on.detail.startswith("nothing to do in the simulated plant: ")


def test_a_switch_off_rule_trades_idle_energy_for_warm_up(plant: Model) -> None:
    before = _truth(plant, 5.0)
    rules = tuple(SwitchOffRule(equipment=p, idle_minutes=10.0) for p in PRESSES)
    after = _truth(plant, 5.0, rules)
    idle = ("idle", "starved")
    assert _kwh(after, paths=PRESSES, causes=idle) < 0.8 * _kwh(before, paths=PRESSES, causes=idle)
    warm = ("warmup",)
    assert _kwh(after, paths=PRESSES, causes=warm) >= _kwh(before, paths=PRESSES, causes=warm)
    waste = ("idle", "starved", "warmup")
    assert _kwh(after, paths=PRESSES, causes=waste) < _kwh(before, paths=PRESSES, causes=waste)
    states = after.table("state").sort_by([("path", "ascending"), ("ts", "ascending")])
    reasons = states["reason"].to_pylist()
    paths = states["path"].to_pylist()
    switched = [i for i, r in enumerate(reasons) if r == "switched_off"]
    assert switched
    assert {paths[i] for i in switched} <= set(PRESSES)
    # A machine switched off comes back only through its warm-up (or stays off past the shift).
    for i in switched:
        if i + 1 < len(paths) and paths[i + 1] == paths[i]:
            assert reasons[i + 1] in {"warmup", "no_shift", "switched_off"}, (paths[i], i)
    # The same plant makes the same units: switching off waits for no work.
    made = [
        pc.sum(sink.table("count")["good"]).as_py() for sink in (before, after)
    ]  # fmt: skip
    assert made[1] >= 0.95 * made[0]


@pytest.fixture(scope="module")
def acme() -> Model:
    return load_model(ACME)


def test_repaired_leaks_and_staged_compressors_save_air(acme: Model) -> None:
    site = "acme/lyon"
    before = _truth(acme, 2.0)
    repaired = _truth(acme, 2.0, (LeakRepair(site=site),))
    staged = _truth(acme, 2.0, (UtilityStaging(site=site),))
    leak_before = _kwh(before, paths=(site,), causes=("air_leak",))
    assert leak_before > 0
    # The first day's leaks are the plant's before the order (it comes at the first epoch).
    assert _kwh(repaired, paths=(site,), causes=("air_leak",)) < 0.6 * leak_before
    compressors = tuple(p for p in acme.equipment if p.startswith(f"{site}/utilities/air/"))
    assert compressors
    states = staged.table("state")
    off = states.filter(pc.equal(states["reason"], "staged_off"))
    assert set(off["path"].to_pylist()) <= set(compressors)
    all_causes = ("running", "idle", "off")
    assert _kwh(staged, paths=compressors, causes=all_causes) < _kwh(
        before, paths=compressors, causes=all_causes
    )


@dataclass
class _OneOrder:
    """Releases one order on the first day, held until ``start_us``."""

    start_us: int
    name: str = "one-order"
    released: list[str] = field(default_factory=list)

    def orders(self, view: ScheduleView) -> list[ProductionOrder]:
        if view.day or self.released:
            return []
        self.released.append("J1")
        return [
            ProductionOrder(
                order_id="J1",
                product=view.products[0],
                quantity=5,
                due_us=view.now_us + 3 * DAY_US,
                start_us=self.start_us,
            )
        ]


def test_a_shifted_job_starts_at_its_new_slot(plant: Model) -> None:
    start = 1767571200000000  # 2026-01-05 00:00 UTC, the scenario's start
    first, later = start + 30 * HOUR_US, start + 56 * HOUR_US
    runs = {}
    for name, orders in (("kept", ()), ("shifted", (JobShift(order_id="J1", start_us=later),))):
        sink = MemorySink()
        simulate(plant, days=3, seed=5, sink=sink, policy=_Once(orders), schedule=_OneOrder(first))
        table = sink.table("order")
        started = table.filter(pc.equal(table["event"], "started"))
        runs[name] = [ts.value for ts in started["ts"]]
    assert len(runs["kept"]) == 1
    assert len(runs["shifted"]) == 1
    assert runs["kept"][0] < later <= runs["shifted"][0]


def _view(model: Model) -> PlantView:
    return PlantView(
        now_us=0,
        epoch_h=24.0,
        model=model,
        samples=pa.table({}),
        maintenance=pa.table({}),
        inventory={},
        operating_hours={},
        down=frozenset(),
        pending=frozenset(),
        windows={},
    )
