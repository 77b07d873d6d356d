"""The maintenance app as the simulator's maintenance policy, for closed-loop evaluation.

At each epoch the policy appends what the plant showed (samples, states, work orders,
stock) to its own store, exactly as a deployed app would find them in andon's store, asks the
app for its plan, and turns the plan into the simulator's orders. Only work whose slot starts
before the next epoch is booked: a later slot is a plan, not a commitment, and the next epoch
decides again with a day more of evidence. Parts are ordered when the chosen option needs
them ordered now (normal or expedited), less what is already on order. It never reads the
simulator's truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from andon import records
from andon.apps.maintenance.app import MaintenanceApp
from andon.apps.maintenance.criticality import SiteCalendar, site_calendar
from andon.apps.maintenance.history import HOUR_US
from andon.apps.maintenance.plan import PlannedAsset
from andon.apps.maintenance.recovery import expedite_for_failures
from andon.records import RecordKind
from andon.sim.policy import MaintenancePlan, PartOrder, PlantView, PreventiveOrder
from andon.store.base import Store
from andon.store.duckdb import DuckDBStore

__all__ = ["AppPolicy"]


@dataclass
class AppPolicy:
    """Drive a simulated plant with a (fitted) :class:`MaintenanceApp`."""

    app: MaintenanceApp
    store: Store = field(default_factory=lambda: DuckDBStore(None))
    name: str = "andon_maintenance"
    expedite_failures: bool = True
    """Expedite the parts a failed asset waits for when the hours saved pay the fee."""
    _epoch: int = 0
    _expedited: set[tuple[str, str]] = field(default_factory=set)

    def decide(self, view: PlantView) -> MaintenancePlan:
        """Record what the plant showed, plan, and return this epoch's orders."""
        self._record(view)
        model = view.model
        risks, stock, history = self.app.assess(self.store, model, now=view.now_us)
        risks = [r for r in risks if r.subject not in view.down]
        result = self.app.plan_risks(model, risks, stock, now=view.now_us)
        starts: dict[str, int | None] = {}
        modes: dict[str, set[str]] = {}
        orders: dict[tuple[str, str, bool], int] = {}
        next_epoch = view.now_us + int(view.epoch_h * HOUR_US)
        for asset in result.assets:
            choice = asset.choice
            subject = asset.risk.subject
            if subject in view.pending:
                continue  # work and its parts are already booked
            for part in choice.ordered:
                key = (part, asset.risk.site, False)
                orders[key] = orders.get(key, 0) + asset.risk.mode.parts.get(part, 1)
            for part in choice.expedited:
                key = (part, asset.risk.site, True)
                orders[key] = orders.get(key, 0) + asset.risk.mode.parts.get(part, 1)
            if choice.slot is None:
                continue
            start = None if choice.slot == "now" else view.now_us + int(choice.eval_h * HOUR_US)
            if start is not None and start >= next_epoch:
                continue  # a later slot: the next epoch decides again
            if choice.ordered or choice.expedited or not _parts_on_hand(asset, view):
                # A simulated (and a real) work order waits with the machine stopped until
                # its parts come: order them now, book the work once they are on the shelf.
                continue
            previous = starts.get(subject, start)
            starts[subject] = None if previous is None or start is None else min(previous, start)
            modes.setdefault(subject, set()).add(asset.risk.mode.id)
        preventive = tuple(
            PreventiveOrder(equipment=eq, failure_modes=tuple(sorted(modes[eq])), start_us=start)
            for eq, start in sorted(starts.items())
        )
        part_orders = [
            PartOrder(part=part, site=site, quantity=short, expedite=fast)
            for (part, site, fast), qty in sorted(orders.items())
            if (short := qty - _position(view, site, part)) > 0
        ]
        if self.expedite_failures:
            calendars: dict[str, SiteCalendar] = {}

            def production_hours(site: str, start_h: float, end_h: float) -> float:
                calendar = calendars.get(site)
                if calendar is None:
                    calendar = calendars[site] = site_calendar(
                        model.sites[site], now=view.now_us, horizon_h=24.0 * 60
                    )
                return calendar.planned_hours(start_h, max(end_h - start_h, 0.0))

            for fast in expedite_for_failures(
                model,
                history.maintenance,
                stock,
                now=view.now_us,
                production_hours=production_hours,
            ):
                done = (fast.work_order, fast.part)
                if done in self._expedited:
                    continue
                self._expedited.add(done)
                part_orders.append(
                    PartOrder(part=fast.part, site=fast.site, quantity=fast.quantity, expedite=True)
                )
        self._epoch += 1
        return MaintenancePlan(preventive=preventive, part_orders=tuple(part_orders))

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


def _position(view: PlantView, site: str, part: str) -> int:
    stock = view.inventory.get((site, part))
    return 0 if stock is None else stock.on_hand + stock.on_order


def _parts_on_hand(asset: PlannedAsset, view: PlantView) -> bool:
    site = asset.risk.site
    for part, qty in asset.risk.mode.parts.items():
        stock = view.inventory.get((site, part))
        if stock is not None and stock.on_hand < qty:
            return False
    return True
