"""The maintenance app as the simulator's maintenance policy, for closed-loop evaluation.

At each epoch the policy appends what the plant showed (samples, states, work orders,
stock) to its own store, exactly as a deployed app would find them in andon's store, asks the
app for its plan, and approves the typed action of each asset's choice as a planner would:
only work whose slot starts before the next epoch is booked (a later slot is a plan, not a
commitment, and the next epoch decides again with a day more of evidence), and parts are
ordered when the chosen option needs them ordered now. The approved actions are carried out
by :class:`~andon.sim.executor.SimulatorExecutor`, the same code that carries out the demo's
approved decisions. It never reads the simulator's truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import polars as pl
import pyarrow as pa

from andon import records
from andon.apps.maintenance.actions import EXPEDITE_PART, ORDER_PART, WORK_KINDS, action_for
from andon.apps.maintenance.app import MaintenanceApp, on_order_of
from andon.apps.maintenance.criticality import PlanningCalendar, site_calendar
from andon.apps.maintenance.recovery import expedite_for_failures
from andon.proposals import Action, PartQuantity, action_kind
from andon.records import RecordKind
from andon.sim.executor import SimulatorExecutor
from andon.sim.policy import MaintenancePlan, PlantView
from andon.store.base import Store
from andon.store.duckdb import DuckDBStore
from andon.time import HOUR_US

__all__ = ["AppPolicy"]


@dataclass
class AppPolicy:
    """Drive a simulated plant with a (fitted) :class:`MaintenanceApp`.

    It plays the planner who approves every plan the app makes for the coming epoch: each
    asset's chosen action, as the app proposes it, is carried out by the same
    :class:`~andon.sim.executor.SimulatorExecutor` as the demo's approved decisions.
    """

    app: MaintenanceApp
    store: Store = field(default_factory=lambda: DuckDBStore(None))
    name: str = "andon_maintenance"
    expedite_failures: bool = True
    """Expedite the parts a failed asset waits for when the hours saved pay the fee."""
    executor: SimulatorExecutor = field(default_factory=SimulatorExecutor)
    _epoch: int = 0
    _expedited: set[tuple[str, str]] = field(default_factory=set)

    def decide(self, view: PlantView) -> MaintenancePlan:
        """Record what the plant showed, plan, and return this epoch's orders."""
        self._record(view)
        model = view.model
        risks, stock, history = self.app.assess(self.store, model, now=view.now_us)
        risks = [r for r in risks if r.subject not in view.down]
        result = self.app.plan_risks(
            model, risks, stock, now=view.now_us, on_order=on_order_of(history.inventory)
        )
        next_epoch = view.now_us + int(view.epoch_h * HOUR_US)
        self.executor.observe(view)
        for number, asset in enumerate(result.assets):
            action = _commitment(
                action_for(asset.choice, asset.risk, now=view.now_us), next_epoch=next_epoch
            )
            if action is not None:
                self.executor.execute(
                    decision_id=f"epoch-{self._epoch}:{number}", action=action, now=view.now_us
                )
        if self.expedite_failures:
            self._expedite_for_failures(view, history.maintenance, stock)
        self._epoch += 1
        return self.executor.plan(view)

    def _expedite_for_failures(
        self, view: PlantView, maintenance: pl.DataFrame, stock: Mapping[tuple[str, str], int]
    ) -> None:
        model = view.model
        calendars: dict[str, PlanningCalendar] = {}

        def production_hours(site: str, start_h: float, end_h: float) -> float:
            calendar = calendars.get(site)
            if calendar is None:
                calendar = calendars[site] = site_calendar(
                    model.sites[site], now=view.now_us, horizon_h=24.0 * 60
                )
            return calendar.planned_hours(start_h, max(end_h - start_h, 0.0))

        for fast in expedite_for_failures(
            model, maintenance, stock, now=view.now_us, production_hours=production_hours
        ):
            done = (fast.work_order, fast.part)
            if done in self._expedited:
                continue
            self._expedited.add(done)
            self.executor.execute(
                decision_id=f"epoch-{self._epoch}:{fast.work_order}:{fast.part}",
                action=Action(
                    kind=EXPEDITE_PART.name,
                    subject=fast.equipment,
                    failure_modes=(fast.failure_mode,),
                    order=(PartQuantity(fast.part, fast.quantity),),
                    expedite=True,
                    label=f"expedite {fast.part} x{fast.quantity} for {fast.work_order}",
                ),
                now=view.now_us,
            )

    def _record(self, view: PlantView) -> None:
        batch = f"epoch-{self._epoch}"
        if view.samples.num_rows:
            self.store.write(RecordKind.SAMPLE, view.samples, batch_id=f"{batch}:sample")
        if view.states is not None and view.states.num_rows:
            self.store.write(RecordKind.STATE, view.states, batch_id=f"{batch}:state")
        if view.maintenance.num_rows:
            self.store.write(
                RecordKind.MAINTENANCE, view.maintenance, batch_id=f"{batch}:maintenance"
            )
        if view.inventory:
            keys = sorted(view.inventory)
            table: pa.Table = records.inventory(
                ts=[view.now_us] * len(keys),
                part=[part for _, part in keys],
                site=[site for site, _ in keys],
                on_hand=[view.inventory[k].on_hand for k in keys],
                on_order=[view.inventory[k].on_order for k in keys],
                source="policy",
            )
            self.store.write(RecordKind.INVENTORY, table, batch_id=f"{batch}:inventory")


def _commitment(action: Action, *, next_epoch: int) -> Action | None:
    """Return what a planner approves of a plan now: the work that starts before the next
    epoch, and the parts that later work needs ordered now; ``None`` for nothing.

    A later slot is a plan, not a commitment: the next epoch decides again with a day more
    of evidence.
    """
    if not action_kind(action.kind).executable:
        return None
    if action.kind not in WORK_KINDS:
        return action
    if action.slot_start is not None and action.slot_start >= next_epoch:
        if not action.order:
            return None
        return replace(action, kind=ORDER_PART.name, slot_start=None, slot_end=None, window=None)
    return action
