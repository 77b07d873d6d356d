"""The maintenance app as the simulator's maintenance policy, for closed-loop evaluation.

At each epoch the policy appends what the plant showed (samples, states, work orders,
stock) to its own store, exactly as a deployed app would find them in andon's store, asks the
app for its plan, and approves the typed action of each asset's choice as a planner would:
only work whose slot starts before the next epoch is booked (a later slot is a plan, not a
commitment, and the next epoch decides again with a day more of evidence), and parts are
ordered when the chosen option needs them ordered now. The approved actions are carried out
by :class:`~andon.sim.executor.SimulatorExecutor`, the same code that carries out the demo's
approved decisions. It never reads the simulator's truth.

:class:`InboxPolicy` closes the loop through the inbox instead: the app proposes as it does in
the demo, a planner approves every proposal that asks a person and nothing else, and each
proposal of the round is kept with whether it was shown (what ``benchmarks/inbox.py`` judges
against the simulator's truth).
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
from andon.proposals import Action, PartQuantity, Proposal, action_kind
from andon.records import RecordKind
from andon.sim.executor import SimulatorExecutor
from andon.sim.policy import MaintenancePlan, PlantView
from andon.store.base import Store
from andon.store.duckdb import DuckDBStore
from andon.time import HOUR_US

__all__ = ["AppPolicy", "InboxEntry", "InboxPolicy"]


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
        _record_view(self.store, view, f"epoch-{self._epoch}")


def _record_view(store: Store, view: PlantView, batch: str) -> None:
    """Append what the plant showed at an epoch to the policy's store, as andon stores it."""
    if view.samples.num_rows:
        store.write(RecordKind.SAMPLE, view.samples, batch_id=f"{batch}:sample")
    if view.states is not None and view.states.num_rows:
        store.write(RecordKind.STATE, view.states, batch_id=f"{batch}:state")
    if view.maintenance.num_rows:
        store.write(RecordKind.MAINTENANCE, view.maintenance, batch_id=f"{batch}:maintenance")
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
        store.write(RecordKind.INVENTORY, table, batch_id=f"{batch}:inventory")


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


@dataclass(frozen=True, slots=True, kw_only=True)
class InboxEntry:
    """One proposal of one round: what it proposed and whether a person saw it."""

    round_at: int
    subject: str
    site: str
    kind: str
    """The action's kind (``intervene``, ``order_part``, ``expedite_part`` ...)."""
    failure_modes: tuple[str, ...]
    parts_ordered: tuple[str, ...]
    horizon_h: float
    expected_value: float
    shown: bool
    """The proposal asked a person (or every proposal is shown, the gate off)."""
    asks: bool
    """The inbox gate's own verdict, whatever was shown."""
    urgent: bool
    """The gate let it through on urgency rather than on value."""
    evidence_kind: str
    """``forecast`` or ``recovery``."""


@dataclass
class InboxPolicy:
    """Drive a simulated plant through the app's inbox: a planner approves what it shows.

    Each epoch the app proposes as in the demo (:meth:`MaintenanceApp.propose`); the planner
    approves every proposal that asks a person (``show_all``: every proposal, the inbox with
    its gate off) and the :class:`~andon.sim.executor.SimulatorExecutor` carries the approved
    actions out; the others are recorded, never executed. :attr:`entries` keeps every
    proposal of every round. It never reads the simulator's truth.
    """

    app: MaintenanceApp
    show_all: bool = False
    store: Store = field(default_factory=lambda: DuckDBStore(None))
    name: str = "andon_inbox"
    executor: SimulatorExecutor = field(default_factory=SimulatorExecutor)
    entries: list[InboxEntry] = field(default_factory=list)
    _epoch: int = 0

    def decide(self, view: PlantView) -> MaintenancePlan:
        """Record what the plant showed, propose, approve what is shown, return the orders."""
        _record_view(self.store, view, f"epoch-{self._epoch}")
        proposals = self.app.propose(self.store, view.model, now=view.now_us)
        self.executor.observe(view)
        for number, proposal in enumerate(proposals):
            shown = proposal.asks or self.show_all
            self.entries.append(_entry(proposal, view.now_us, shown=shown))
            if shown:
                self.executor.execute(
                    decision_id=f"epoch-{self._epoch}:{number}",
                    action=proposal.action,
                    now=view.now_us,
                )
        self._epoch += 1
        return self.executor.plan(view)


def _entry(proposal: Proposal, now: int, *, shown: bool) -> InboxEntry:
    evidence = proposal.evidence
    gate = evidence.get("inbox")
    reason = str(gate.get("reason", "")) if isinstance(gate, Mapping) else ""
    horizon = evidence.get("horizon_h")
    action = proposal.action
    return InboxEntry(
        round_at=now,
        subject=proposal.subject,
        site=proposal.site,
        kind=action.kind,
        failure_modes=action.failure_modes,
        parts_ordered=tuple(p.part for p in action.order),
        horizon_h=float(horizon) if isinstance(horizon, int | float) else 0.0,
        expected_value=float(proposal.expected_value),
        shown=shown,
        asks=proposal.asks,
        urgent=reason.startswith("urgent"),
        evidence_kind=str(evidence.get("kind", "")),
    )
