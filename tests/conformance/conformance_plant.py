"""The conformance plant: five simulated weeks of one small site, in a store and copies of it.

Every family's generic checks read the same history: the simulator writes it through the
contracts (:class:`andon.sim.sinks.PipelineSink`) into a DuckDB store, as a plant's
connectors would. :func:`copy_records` writes the same records into another store, whole or
shuffled row by row, so that a check can compare two stores that hold the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from andon.apps import get_app
from andon.decisions import DecisionFilter, Principal, Role, Status
from andon.model import Model, load_model
from andon.proposals import Proposal, action_kind
from andon.records import RecordKind
from andon.runtime import Runtime, Schedule, TickReport
from andon.sim import MaintenancePlan, PlantView, SimResult, simulate
from andon.sim.executor import SimulatorExecutor
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore, Store

PLANT = Path(__file__).with_name("plant.yaml")
HISTORY_DAYS = 35.0
"""Weeks enough for the plant's short lives to end in failures that a model can learn from."""
SEED = 7


@dataclass(frozen=True, slots=True)
class History:
    """The conformance plant's history in a store: from ``start_us`` up to ``now``."""

    model: Model
    store: DuckDBStore
    result: SimResult

    @property
    def start_us(self) -> int:
        """When the history begins (UTC microseconds)."""
        return self.result.start_us

    @property
    def now(self) -> int:
        """When the history ends: the moment the apps fit and propose at."""
        return self.result.end_us


def load_plant() -> Model:
    """Return the conformance plant's model."""
    return load_model(PLANT)


def simulate_history(model: Model, *, days: float = HISTORY_DAYS, seed: int = SEED) -> History:
    """Simulate ``days`` of the plant into a new in-memory store, through the contracts."""
    store = DuckDBStore(None)
    sink = PipelineSink.into(store, model=model)
    result = simulate(model, days=days, seed=seed, sink=sink)
    if sink.quarantined:
        msg = f"the simulator's records were quarantined: {sink.quarantined}"
        raise AssertionError(msg)
    return History(model=model, store=store, result=result)


def copy_records(source: Store, target: Store, *, seed: int | None = None, parts: int = 3) -> int:
    """Write every record of ``source`` into ``target``; return the rows written.

    With ``seed`` each kind's rows are shuffled and the kinds come in another order, each in
    ``parts`` batches, so that the target holds the same records in no order of time.
    """
    kinds = list(RecordKind)
    rng = np.random.default_rng(seed) if seed is not None else None
    if rng is not None:
        kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    written = 0
    for kind in kinds:
        table = source.records(kind)
        if table.num_rows == 0:
            continue
        if rng is not None:
            table = table.take(pa.array(rng.permutation(table.num_rows)))
        step = -(-table.num_rows // parts)
        for number, offset in enumerate(range(0, table.num_rows, step)):
            part = table.slice(offset, step)
            target.write(kind, part, batch_id=f"copy:{kind.value}:{number}")
            written += part.num_rows
    return written


OUTCOME_DAYS = 7.0
"""Simulated days after the first decisions, in which their outcomes show."""
DECIDE_EPOCHS = 3
"""Epochs from the end of the history in which the loop looks for an executable proposal."""

PLANNER = Principal(username="conformance-planner", role=Role.ADMIN, sites=("*",))


@dataclass
class ClosedLoop:
    """The simulated plant's maintenance policy: the one runtime, with a planner who approves.

    After ``history_days`` of history, at each epoch until one decision is executed (at most
    :data:`DECIDE_EPOCHS`), the runtime fits the app and collects its proposals into
    decisions; the planner approves every proposed decision whose kind is executable; the
    runtime hands them to the :class:`SimulatorExecutor`, whose plan for the epoch is what
    the simulated plant does next.
    """

    store: Store
    model: Model
    app_name: str
    history_days: float = HISTORY_DAYS
    name: str = "conformance-loop"
    now: int = 0
    epoch: int = 0
    executor: SimulatorExecutor = field(default_factory=SimulatorExecutor)
    runtime: Runtime = field(init=False)
    fitted: bool = False
    proposals: list[Proposal] = field(default_factory=list)
    approved: list[str] = field(default_factory=list)
    executed_at: int | None = None
    plan: MaintenancePlan | None = None
    reports: list[TickReport] = field(default_factory=list)

    def __post_init__(self) -> None:
        off = Schedule(
            fit_every_s=0, propose_every_s=0, upkeep_every_s=0, execute_every_s=0, kpi_every_s=0
        )
        self.runtime = Runtime(
            store=self.store,
            model=self.model,
            apps={self.app_name: get_app(self.app_name)},
            executor=self.executor,
            clock=lambda: self.now,
            schedule=off,
        )

    def decide(self, view: PlantView) -> MaintenancePlan:
        """Run one round of the loop once the history is there, until work is executed."""
        self.now = view.now_us
        self.epoch += 1
        if self.epoch < self.history_days or self.plan is not None:
            return MaintenancePlan()
        if self.epoch >= self.history_days + DECIDE_EPOCHS:
            return MaintenancePlan()
        report = TickReport(now=view.now_us)
        self.reports.append(report)
        if not self.fitted:
            self.fitted = self.runtime.fit(self.app_name, now=view.now_us, report=report)
        made = self.runtime.propose(now=view.now_us, report=report)
        self.proposals.extend(made.get(self.app_name, []))
        proposed = self.runtime.decisions.list(
            DecisionFilter(statuses=(Status.PROPOSED,), app=self.app_name), limit=1000
        )
        for record in proposed:
            if action_kind(record.action.kind).executable:
                self.runtime.decisions.approve(record.id, who=PLANNER, now=view.now_us)
                self.approved.append(record.id)
        if not self.approved:
            return MaintenancePlan()
        self.executor.observe(view)  # as the demo does: each execution says what it does
        self.runtime.execute_approved(now=view.now_us, report=report)
        plan = self.executor.plan(view)
        if report.executed:  # else the plant refused it all as changing nothing: next epoch
            self.executed_at = view.now_us
            self.plan = plan
        return plan


def run_closed_loop(model: Model, app_name: str) -> tuple[ClosedLoop, SimResult]:
    """Simulate the history and the days after it with the app in the loop."""
    store = DuckDBStore(None)
    loop = ClosedLoop(store=store, model=model, app_name=app_name)
    result = simulate(
        model,
        days=HISTORY_DAYS + OUTCOME_DAYS,
        seed=SEED,
        policy=loop,
        sink=PipelineSink.into(store, model=model),
    )
    return loop, result
