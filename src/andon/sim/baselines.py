"""Baseline policies: the yardsticks every decision app is scored against.

Maintenance: run-to-failure, fixed-interval preventive maintenance, a condition threshold on
the signal tags, and a perfect-foresight oracle that reads the true health (a bound, never a
deployable policy). Release: ship everything, or (oracle) hold exactly the defective units.
Schedule: each line's daily capacity split by the products' demand mix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from andon.sim.policy import (
    MaintenancePlan,
    PartOrder,
    PlantView,
    PreventiveOrder,
    ProductionOrder,
    ScheduleView,
    TruthView,
    UnitView,
)
from andon.sim.wear import failure_probability_of
from andon.time import DAY_US, HOUR_US

__all__ = [
    "ConditionThreshold",
    "FixedInterval",
    "HoldTrueDefects",
    "MixSchedule",
    "Oracle",
    "ReleaseAll",
    "RunToFailure",
    "TrueHealth",
    "WaitingFailures",
    "next_window_start",
]


def next_window_start(view: PlantView, equipment: str, *, within_h: float) -> int | None:
    """Return the start of the site's next maintenance window within ``within_h``, if any."""
    site = "/".join(equipment.split("/")[:2])
    limit = view.now_us + int(within_h * HOUR_US)
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
    As planners do with a condition alarm, the work goes into the site's next maintenance
    window when one comes within ``window_h``, else it starts at once; a drift past
    ``urgent`` times the threshold starts it at once.
    """

    threshold: float = 0.15
    window_h: float = 168.0
    urgent: float = 2.0
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
        urgent: set[str] = set()
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
            drift = abs(value - ref) / (hi - lo)
            if drift > self.threshold:
                for mode in eq_class.failure_modes:
                    if info.definition.name in mode.signals:
                        flagged.setdefault(eq, set()).add(mode.id)
                if drift > self.urgent * self.threshold:
                    urgent.add(eq)
        self._reset -= {
            tag_eq for tag_eq in self._reset if any(t.startswith(tag_eq) for t in level)
        }
        for eq, modes in sorted(flagged.items()):
            if eq in view.down or (eq in view.pending and eq not in urgent):
                continue
            start = None if eq in urgent else next_window_start(view, eq, within_h=self.window_h)
            orders.append(
                PreventiveOrder(equipment=eq, failure_modes=tuple(sorted(modes)), start_us=start)
            )
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
class WaitingFailures:
    """Follows failures from the work orders a policy sees; expedites the parts they wait for.

    No foresight is needed for this, so every reference policy may do it: a part is expedited
    once per work order when the production hours the faster delivery saves cost more than
    the fee (about a third of the hours saved fall in production).
    """

    _open: dict[str, tuple[str, tuple[str, ...], int]] = field(default_factory=dict)
    _expedited: set[tuple[str, str]] = field(default_factory=set)

    def expedite(self, view: PlantView) -> list[PartOrder]:
        """Expedite what a failed machine waits for, when the stop costs more than the fee."""
        events = view.maintenance
        if events.num_rows:
            columns = ("work_order", "path", "kind", "event", "failure_mode")
            for opened, wo, path, kind, event, modes in zip(
                events.column("ts").cast(pa.int64()).to_pylist(),
                *(events.column(c).to_pylist() for c in columns),
                strict=True,
            ):
                if event == "closed":
                    self._open.pop(wo, None)
                elif kind == "failure" and event == "opened":
                    self._open[wo] = (path, tuple((modes or "").split(",")), opened)
        model = view.model
        out: list[PartOrder] = []
        for wo, (path, mode_ids, opened) in sorted(self._open.items()):
            info = model.equipment.get(path)
            if info is None or path not in view.down:
                continue
            cost_h = info.equipment.downtime_cost_per_hour
            for mode in info.equipment_class.failure_modes:
                if mode.id not in mode_ids:
                    continue
                for part_id, qty in mode.parts.items():
                    part = model.parts.get(part_id)
                    stock = view.inventory.get((info.site_path, part_id))
                    if part is None or stock is None or stock.on_hand >= qty:
                        continue
                    fast_days = part.expedite_lead_time_days
                    if fast_days is None or (wo, part_id) in self._expedited:
                        continue
                    waited_h = (view.now_us - opened) / HOUR_US
                    normal_h = part.lead_time_days * 24.0 - waited_h
                    # About a third of the hours saved are production hours.
                    saved_h = (normal_h - fast_days * 24.0) / 3.0
                    if saved_h * cost_h <= part.expedite_cost:
                        continue
                    self._expedited.add((wo, part_id))
                    out.append(
                        PartOrder(
                            part=part_id,
                            site=info.site_path,
                            quantity=qty - stock.on_hand,
                            expedite=True,
                        )
                    )
        return out


@dataclass
class Oracle:
    """Perfect foresight: service each mode just before its true failure, in a window if it can.

    Reads :attr:`PlantView.truth`, including when every future failure will come (shocks too),
    so it is a bound, never a deployable policy. It also does what money allows with that
    knowledge: the parts of a failure it sees coming within the part's lead time (plus a
    week) are ordered at once, expedited when a normal delivery would come too late, and the
    parts an unforeseen failure waits for are expedited when the stop costs more than the fee.
    """

    margin: float = 1.25
    window_h: float = 168.0
    name: str = "oracle"
    uses_truth: bool = True
    _waiting: WaitingFailures = field(default_factory=WaitingFailures)

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
            until_window_h = (
                (window - view.now_us) / HOUR_US if window is not None else self.window_h
            )
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
        parts = self._parts_ahead(view, truth) + self._waiting.expedite(view)
        return MaintenancePlan(preventive=tuple(orders), part_orders=tuple(parts))

    def _parts_ahead(self, view: PlantView, truth: TruthView) -> list[PartOrder]:
        """Order the parts of failures due within their lead time, fast where it must be."""
        model = view.model
        wanted: dict[tuple[str, str], tuple[int, bool]] = {}
        for eq, remaining in sorted(truth.failure_at_wear.items()):
            info = model.equipment.get(eq)
            if info is None or eq in view.down:
                continue
            site = info.site_path
            # The earliest the mode can fail: as if the equipment ran every hour from now.
            rate = max(truth.wear_rate.get(eq, 1.0), 1e-6)
            for mode in info.equipment_class.failure_modes:
                hours_left = remaining.get(mode.id, math.inf) / rate
                for part_id, qty in mode.parts.items():
                    part = model.parts.get(part_id)
                    if part is None:
                        continue
                    lead_h = part.lead_time_days * 24.0
                    if hours_left > lead_h + self.window_h:
                        continue
                    fast_h = (part.expedite_lead_time_days or part.lead_time_days) * 24.0
                    fast = hours_left < lead_h + view.epoch_h and fast_h < lead_h
                    count, was_fast = wanted.get((site, part_id), (0, False))
                    wanted[(site, part_id)] = (count + qty, was_fast or fast)
        return _top_up(view, wanted)


@dataclass
class TrueHealth:
    """Knows the true health now and the law of wear, but not the future: a condition bound.

    What the best condition monitoring could tell, with no sensor noise and the true model
    of degradation (the law of each mode's kind: :func:`andon.sim.wear.failure_probability_of`):
    for each mode that tags show, the probability that it fails before the
    next maintenance window and in the week after. Work goes into the window when the
    expected failure cost of that week exceeds ``weight`` times the cost of the work, and
    starts at once when the failure cost expected before the window does. A mode that
    fails by shocks is left alone: its true health says nothing. Reads
    :attr:`PlantView.truth`; an evaluation's reference, never deployable.
    """

    weight: float = 1.0
    window_h: float = 168.0
    overtime_factor: float = 1.5
    order_ahead: float = 0.05
    """Order a mode's parts when it fails within their lead time and a week with this
    probability (they are used at its next repair anyway; holding them is cheap)."""
    name: str = "true_health"
    uses_truth: bool = True
    _waiting: WaitingFailures = field(default_factory=WaitingFailures)
    _running: dict[str, float] = field(default_factory=dict)
    _last_hours: dict[str, float] = field(default_factory=dict)

    def decide(self, view: PlantView) -> MaintenancePlan:
        """Order the work whose expected failure cost outweighs it."""
        truth = view.truth
        if truth is None:
            return MaintenancePlan()
        model = view.model
        orders: list[PreventiveOrder] = []
        wanted: dict[tuple[str, str], tuple[int, bool]] = {}
        for eq, health in sorted(truth.health.items()):
            share = self._running_share(view, eq)
            if eq in view.down:
                continue
            info = model.equipment[eq]
            crews = model.site_of(eq).crews
            hourly = float(np.mean([c.hourly_cost for c in crews])) if crews else 0.0
            cost_h = info.equipment.downtime_cost_per_hour
            wear_h = max(truth.wear_rate.get(eq, 1.0), 0.0) * share
            window = next_window_start(view, eq, within_h=self.window_h)
            until_h = (window - view.now_us) / HOUR_US if window is not None else self.window_h
            now_modes: list[str] = []
            window_modes: list[str] = []
            for mode in info.equipment_class.failure_modes:
                if not mode.signals or mode.degradation_kind == "random" or mode.id not in health:
                    continue
                parts = sum(model.parts[p].unit_cost * q for p, q in mode.parts.items())
                work_h = mode.preventive_h or mode.repair_h / 2
                fail = mode.repair_h * (cost_h + hourly) + mode.repair_cost + parts
                in_window = work_h * hourly * self.overtime_factor + mode.repair_cost / 2 + parts
                at_once = work_h * (hourly + cost_h) + mode.repair_cost / 2 + parts
                before, by_week_end = (
                    failure_probability_of(
                        mode, health[mode.id], shape=truth.wear_shape, wear_h=wear_h * hours
                    )
                    for hours in (until_h, until_h + self.window_h)
                )
                week = by_week_end - before
                for part_id, qty in mode.parts.items():
                    part = model.parts[part_id]
                    ahead = failure_probability_of(
                        mode,
                        health[mode.id],
                        shape=truth.wear_shape,
                        wear_h=wear_h * (part.lead_time_days * 24.0 + self.window_h),
                    )
                    if ahead >= self.order_ahead:
                        key = (info.site_path, part_id)
                        wanted[key] = (wanted.get(key, (0, False))[0] + qty, False)
                if before * fail > self.weight * at_once:
                    now_modes.append(mode.id)
                elif week * fail > self.weight * in_window:
                    window_modes.append(mode.id)
            if now_modes:
                modes = tuple(sorted(now_modes + window_modes))
                orders.append(PreventiveOrder(equipment=eq, failure_modes=modes))
            elif window_modes and window is not None and eq not in view.pending:
                orders.append(
                    PreventiveOrder(
                        equipment=eq, failure_modes=tuple(sorted(window_modes)), start_us=window
                    )
                )
        part_orders = _top_up(view, wanted) + self._waiting.expedite(view)
        return MaintenancePlan(preventive=tuple(orders), part_orders=tuple(part_orders))

    def _running_share(self, view: PlantView, eq: str) -> float:
        """Share of wall hours the equipment runs, learnt from its operating-hour counter."""
        hours = view.operating_hours.get(eq, 0.0)
        last = self._last_hours.get(eq)
        self._last_hours[eq] = hours
        share = self._running.get(eq, 0.5)
        if last is not None and hours >= last and view.epoch_h > 0:
            share = 0.8 * share + 0.2 * min((hours - last) / view.epoch_h, 1.0)
            self._running[eq] = share
        return share


def _top_up(view: PlantView, wanted: dict[tuple[str, str], tuple[int, bool]]) -> list[PartOrder]:
    """Order what each wanted ``(site, part): (quantity, expedite)`` lacks beyond stock on hand
    and on order."""
    out: list[PartOrder] = []
    for (site, part_id), (qty, fast) in sorted(wanted.items()):
        stock = view.inventory.get((site, part_id))
        position = 0 if stock is None else stock.on_hand + stock.on_order
        if qty > position:
            out.append(PartOrder(part=part_id, site=site, quantity=qty - position, expedite=fast))
    return out


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
        due = view.now_us + 2 * DAY_US
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
