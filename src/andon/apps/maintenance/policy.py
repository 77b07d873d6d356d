"""The maintenance app as the simulator's maintenance policy, for closed-loop evaluation.

At each epoch the policy appends what the plant showed (samples, work orders, stock) to its
own store, exactly as a deployed app would find them in andon's store, asks the app for its
plan, and turns the plan into the simulator's orders: preventive work now or at the chosen
slot's start, and part orders (normal or expedited). It never reads the simulator's truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from andon import records
from andon.apps.maintenance.app import MaintenanceApp
from andon.apps.maintenance.history import HOUR_US
from andon.apps.maintenance.plan import PlannedAsset
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
    _epoch: int = 0

    def decide(self, view: PlantView) -> MaintenancePlan:
        """Record what the plant showed, plan, and return this epoch's orders."""
        self._record(view)
        model = view.model
        risks, stock, _ = self.app.assess(self.store, model, now=view.now_us)
        risks = [r for r in risks if r.subject not in view.down]
        result = self.app.plan_risks(model, risks, stock, now=view.now_us)
        starts: dict[str, int | None] = {}
        modes: dict[str, set[str]] = {}
        orders: dict[tuple[str, str, bool], int] = {}
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
            if choice.ordered or choice.expedited or not _parts_on_hand(asset, view):
                # A simulated (and a real) work order waits with the machine stopped until
                # its parts come: order them now, book the work once they are on the shelf.
                continue
            start = None if choice.slot == "now" else view.now_us + int(choice.eval_h * HOUR_US)
            previous = starts.get(subject, start)
            starts[subject] = None if previous is None or start is None else min(previous, start)
            modes.setdefault(subject, set()).add(asset.risk.mode.id)
        preventive = tuple(
            PreventiveOrder(equipment=eq, failure_modes=tuple(sorted(modes[eq])), start_us=start)
            for eq, start in sorted(starts.items())
        )
        part_orders = tuple(
            PartOrder(part=part, site=site, quantity=qty, expedite=fast)
            for (part, site, fast), qty in sorted(orders.items())
        )
        self._epoch += 1
        return MaintenancePlan(preventive=preventive, part_orders=part_orders)

    def _record(self, view: PlantView) -> None:
        batch = f"epoch-{self._epoch}"
        if view.samples.num_rows:
            self.store.write(RecordKind.SAMPLE, view.samples, batch_id=f"{batch}:sample")
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


def _parts_on_hand(asset: PlannedAsset, view: PlantView) -> bool:
    site = asset.risk.site
    for part, qty in asset.risk.mode.parts.items():
        stock = view.inventory.get((site, part))
        if stock is not None and stock.on_hand < qty:
            return False
    return True
