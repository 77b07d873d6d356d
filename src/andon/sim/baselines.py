"""Baseline policies: the yardsticks every decision app is scored against.

Maintenance: run-to-failure, fixed-interval preventive maintenance, a condition threshold on
the signal tags, and a perfect-foresight oracle that reads the true health (a bound, never a
deployable policy). Release: ship everything, or (oracle) hold exactly the defective units.
Schedule: each line's daily capacity split by the products' demand mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from andon.sim.policy import (
    MaintenancePlan,
    PlantView,
    PreventiveOrder,
    ProductionOrder,
    ScheduleView,
    UnitView,
)

__all__ = [
    "ConditionThreshold",
    "FixedInterval",
    "HoldTrueDefects",
    "MixSchedule",
    "Oracle",
    "ReleaseAll",
    "RunToFailure",
    "next_window_start",
]


def next_window_start(view: PlantView, equipment: str, *, within_h: float) -> int | None:
    """Return the start of the site's next maintenance window within ``within_h``, if any."""
    site = "/".join(equipment.split("/")[:2])
    limit = view.now_us + int(within_h * 3.6e9)
    for start, _end in view.windows.get(site, ()):
        if view.now_us <= start <= limit:
            return start
    return None


@dataclass
class RunToFailure:
    """Never service preventively: repair what breaks."""

    name: str = "run_to_failure"

    def decide(self, view: PlantView) -> MaintenancePlan:
        """Return an empty plan."""
        del view
        return MaintenancePlan()


@dataclass
class FixedInterval:
    """Service every equipment after a fixed share of its shortest wear-mode MTBF.

    The work goes into the site's next maintenance window when one comes within
    ``window_h``, else it starts at once.
    """

    fraction: float = 0.5
    window_h: float = 168.0
    name: str = "fixed_interval"

    def decide(self, view: PlantView) -> MaintenancePlan:
        """Order preventive work where running hours since the last one passed the interval."""
        orders: list[PreventiveOrder] = []
        for path, info in view.model.equipment.items():
            modes = [m for m in info.equipment_class.failure_modes if m.signals]
            if not modes or path in view.pending or path in view.down:
                continue
            interval = self.fraction * min(m.mtbf_h for m in modes)
            if view.operating_hours.get(path, 0.0) < interval:
                continue
            start = next_window_start(view, path, within_h=self.window_h)
            orders.append(
                PreventiveOrder(
                    equipment=path, failure_modes=tuple(m.id for m in modes), start_us=start
                )
            )
        return MaintenancePlan(preventive=tuple(orders))


@dataclass
class ConditionThreshold:
    """Service an equipment when a signal tag moves ``threshold`` of its range from its norm.

    The norm of each tag is its 90th percentile in the first epoch after the equipment's
    last maintenance (before that: the median over the class's fleet in the first epoch).
    """

    threshold: float = 0.15
    name: str = "condition_threshold"
    _reference: dict[str, float] = field(default_factory=dict)
    _fleet: dict[tuple[str, str], float] = field(default_factory=dict)
    _reset: set[str] = field(default_factory=set)

    def decide(self, view: PlantView) -> MaintenancePlan:
        """Compare each tag's epoch p90 with its norm; order work where it drifted."""
        closed = view.maintenance.filter(pc.equal(view.maintenance["event"], "closed"))
        for path in closed.column("path").to_pylist():
            self._reset.add(path)
        level = _p90_by_tag(view.samples)
        if not self._fleet and level:
            groups: dict[tuple[str, str], list[float]] = {}
            for tag, value in level.items():
                info = view.model.tags.get(tag)
                if info is None:
                    continue
                cls = view.model.equipment[info.equipment_path].equipment_class.id
                groups.setdefault((cls, info.definition.name), []).append(value)
            self._fleet = {key: float(np.median(v)) for key, v in groups.items()}
        orders: list[PreventiveOrder] = []
        flagged: dict[str, set[str]] = {}
        for tag, value in level.items():
            info = view.model.tags.get(tag)
            if info is None:
                continue
            eq = info.equipment_path
            if eq in self._reset:
                self._reference[tag] = value
                continue
            eq_class = view.model.equipment[eq].equipment_class
            ref = self._reference.get(tag, self._fleet.get((eq_class.id, info.definition.name)))
            lo, hi = info.definition.min, info.definition.max
            if ref is None or lo is None or hi is None or hi <= lo:
                continue
            if abs(value - ref) / (hi - lo) > self.threshold:
                for mode in eq_class.failure_modes:
                    if info.definition.name in mode.signals:
                        flagged.setdefault(eq, set()).add(mode.id)
        self._reset -= {
            tag_eq for tag_eq in self._reset if any(t.startswith(tag_eq) for t in level)
        }
        for eq, modes in sorted(flagged.items()):
            if eq in view.pending or eq in view.down:
                continue
            orders.append(PreventiveOrder(equipment=eq, failure_modes=tuple(sorted(modes))))
        return MaintenancePlan(preventive=tuple(orders))


def _p90_by_tag(samples: pa.Table) -> dict[str, float]:
    if samples.num_rows == 0:
        return {}
    good = samples.filter(pc.equal(samples["quality"], "good"))
    grouped = good.group_by("path").aggregate([("value", "tdigest", pc.TDigestOptions(q=0.9))])
    paths = grouped.column("path").to_pylist()
    values = grouped.column("value_tdigest").to_pylist()
    return {p: float(v[0]) for p, v in zip(paths, values, strict=True) if v}


@dataclass
class Oracle:
    """Perfect foresight: service each mode just before its true failure, in a window if it can.

    Reads :attr:`PlantView.truth`; it avoids the failures it sees coming (a bound on
    unplanned downtime, not on total cost: it services whatever would fail), never deployable.
    """

    margin: float = 1.25
    window_h: float = 168.0
    name: str = "oracle"
    uses_truth: bool = True

    def decide(self, view: PlantView) -> MaintenancePlan:
        """Order work on each mode whose true remaining life ends before it can wait."""
        truth = view.truth
        if truth is None:
            return MaintenancePlan()
        orders: list[PreventiveOrder] = []
        for eq, remaining in sorted(truth.failure_at_wear.items()):
            if eq in view.down:
                continue
            rate = max(truth.wear_rate.get(eq, 1.0), 1e-6)
            window = next_window_start(view, eq, within_h=self.window_h)
            until_window_h = (window - view.now_us) / 3.6e9 if window is not None else self.window_h
            urgent = [m for m, w in remaining.items() if w < self.margin * rate * view.epoch_h]
            soon = [
                m
                for m, w in remaining.items()
                if w < self.margin * rate * (until_window_h + view.epoch_h)
            ]
            if urgent:
                orders.append(PreventiveOrder(equipment=eq, failure_modes=tuple(sorted(soon))))
            elif soon and window is not None and eq not in view.pending:
                orders.append(
                    PreventiveOrder(
                        equipment=eq, failure_modes=tuple(sorted(soon)), start_us=window
                    )
                )
        return MaintenancePlan(preventive=tuple(orders))


@dataclass
class ReleaseAll:
    """Ship every unit that passed its inspections."""

    name: str = "release_all"

    def hold(self, view: UnitView) -> frozenset[str]:
        """Hold nothing."""
        del view
        return frozenset()


@dataclass
class HoldTrueDefects:
    """Oracle release: hold exactly the truly defective units (reads the truth)."""

    name: str = "hold_true_defects"
    uses_truth: bool = True

    def hold(self, view: UnitView) -> frozenset[str]:
        """Hold the defective serials the truth names."""
        return view.truth_defective or frozenset()


@dataclass
class MixSchedule:
    """Split a line's daily capacity between its products by their demand mix.

    ``load`` is the share of capacity released (below 1 leaves slack for losses); the
    backlog is subtracted so work in progress stays bounded.
    """

    load: float = 0.85
    name: str = "mix"

    def orders(self, view: ScheduleView) -> Sequence[ProductionOrder]:
        """Return one order per product, largest share first, due a day later."""
        total = max(0, int(view.capacity_units * self.load) - view.backlog_units)
        share = sum(view.mix.values()) or 1.0
        due = view.now_us + 2 * 86_400_000_000
        result: list[ProductionOrder] = []
        for product in sorted(view.products, key=lambda p: (-view.mix[p], p)):
            qty = round(total * view.mix[product] / share)
            if qty > 0:
                order_id = (
                    f"{view.line.split('/', 1)[1].replace('/', '-')}-{view.day:04d}-{product}"
                )
                result.append(
                    ProductionOrder(order_id=order_id, product=product, quantity=qty, due_us=due)
                )
        return result
