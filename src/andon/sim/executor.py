"""The simulated plant as an executor: approved typed actions become the simulator's orders.

``andon demo`` and every closed-loop benchmark carry out decisions through this one class, so
a benchmark measures what the demo executes. :meth:`SimulatorExecutor.execute` takes an
approved action at once (the simulated plant never refuses work); at the next decision epoch
:meth:`SimulatorExecutor.plan` turns what it took into a :class:`MaintenancePlan`:

- work (``intervene``, ``expedite``, ``move_production``) becomes a preventive order of the
  subject for the action's failure modes, starting at the action's slot (now when the slot
  has begun). Work waits with the machine stopped until its parts are on the shelf, so work
  that orders parts, or whose parts are not on hand, is not booked: the parts are ordered and
  the app proposes the work again once they have come. Several actions on one machine are
  booked as one order: the earliest start, every mode.
- parts ordered by plan actions (``order_part``, and the parts of work) are what the work
  needs: the site's shortfall against parts on hand and on order is ordered, once per part
  and site, expedited when the action says so.
- ``expedite_part`` (a failed machine waits for the part) orders its quantity as it is:
  the part already on order comes too late, which is why it is expedited.

Energy actions (:mod:`andon.apps.energy.actions`) become the plan's energy orders:

- ``switch_off_idle`` sets the machine's switch-off rule from the action's slot: once it has
  idled ``idle_minutes`` (starved, or in a break) it is switched off and warms up again
  before its next unit, at its class's warm-up power and minutes;
- ``fix_leak`` on a compressed-air meter repairs its site's leaks; on a site (its base load
  stepped up) it is refused: the simulated base load is the scenario's, no load is left on;
- ``stage_utility`` on a compressed-air meter switches its site's compressors off whenever no
  machine produces;
- ``shift_job`` holds the production order ``job`` until the action's slot starts.

A rule already in force (the same switch-off time, leaks repaired, compressors staged) is
refused as changing nothing.

Flow actions (:mod:`andon.apps.flow.actions`) become the plan's flow orders:

- ``release_hold`` ends the quality hold of the order ``job`` at the epoch (the lab
  expedited, the release rule applied), at the scenario's expedite cost of the hold; an
  order not held (its hold ended meanwhile, or it was never held) is refused as changing
  nothing;
- ``protect_bottleneck`` protects its cell over the action's slot: a failure of the cell's
  machines calls a crew out at once (at the overtime rate off its shift) and expedites the
  missing parts, and a machine of the cell down now has its missing parts expedited. A
  protection already in force to the same end is refused as changing nothing.

Kinds it does not know are refused with a failed execution, never guessed at. Shown the
plant first (:meth:`SimulatorExecutor.observe`, as the demo and the closed loop do at each
epoch), each execution says what its action does there; an action that would change nothing
(its parts are on order already and its work must wait for them) is refused with the reason,
so that its decision is not marked executed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from andon.model import Model
from andon.proposals import Action, Execution, ExecutionStatus
from andon.sim.policy import (
    BottleneckProtection,
    EnergyOrder,
    FlowOrder,
    HoldRelease,
    JobShift,
    LeakRepair,
    MaintenancePlan,
    PartOrder,
    PlantView,
    PreventiveOrder,
    SwitchOffRule,
    UtilityStaging,
)
from andon.time import to_iso

__all__ = ["SimulatorExecutor"]

_WORK = frozenset({"intervene", "expedite", "move_production"})
_PLAN_ORDERS = frozenset({"order_part", *_WORK})
_RECOVERY = "expedite_part"
_SWITCH_OFF, _FIX_LEAK, _STAGE, _SHIFT = "switch_off_idle", "fix_leak", "stage_utility", "shift_job"
_ENERGY = frozenset({_SWITCH_OFF, _FIX_LEAK, _STAGE, _SHIFT})
_RELEASE, _PROTECT = "release_hold", "protect_bottleneck"
_FLOW = frozenset({_RELEASE, _PROTECT})
_KNOWN = frozenset({*_PLAN_ORDERS, _RECOVERY, *_ENERGY, *_FLOW})


@dataclass
class SimulatorExecutor:
    """Carry out approved maintenance actions in the simulated plant (an ``Executor``)."""

    name: str = "simulator"
    _taken: list[tuple[str, Action]] = field(default_factory=list)
    _view: PlantView | None = None
    _claimed: dict[tuple[str, str, bool], int] = field(default_factory=dict)
    _in_force: dict[tuple[str, str], float] = field(default_factory=dict)
    """Energy orders handed to the plant: (kind, machine or site) -> rule minutes (0 for a
    repair or staging), so that the same order again is known to change nothing."""
    _protected: dict[str, int] = field(default_factory=dict)
    """Cells protected: cell -> the end of its protection (UTC microseconds)."""

    def observe(self, view: PlantView) -> None:
        """Show the executor the plant at this epoch, before the epoch's actions come, so
        that each execution says what it does there (and a no-op is not called done)."""
        self._view = view
        self._claimed = {}

    def execute(self, *, decision_id: str, action: Action, now: int) -> Execution:
        """Take an approved action; it reaches the plant at the next decision epoch.

        With the plant observed (:meth:`observe`), the execution says what the action does:
        the parts it orders, the work it books; an action that would change nothing (its
        parts are on order already, its machine has work booked) is refused with the reason,
        so its decision stays approved and visible instead of executed.
        """
        del now
        if action.kind not in _KNOWN:
            return Execution(
                decision_id=decision_id,
                status=ExecutionStatus.FAILED,
                detail=f"the simulated plant cannot carry out {action.kind!r} actions",
            )
        if action.kind in _ENERGY:
            return self._execute_energy(decision_id, action)
        if action.kind in _FLOW:
            return self._execute_flow(decision_id, action)
        view = self._view
        if view is None:
            self._taken.append((decision_id, action))
            return Execution(
                decision_id=decision_id,
                status=ExecutionStatus.DONE,
                detail=_what_happens(action),
                reference=f"sim:{decision_id}",
            )
        info = view.model.equipment.get(action.subject)
        if info is None:
            return Execution(
                decision_id=decision_id,
                status=ExecutionStatus.FAILED,
                detail=f"{action.subject} is no equipment of the simulated plant",
            )
        self._taken.append((decision_id, action))
        done, why = self._effect(action, view, info.site_path)
        if not done:
            return Execution(
                decision_id=decision_id,
                status=ExecutionStatus.REJECTED,
                detail="nothing to do in the simulated plant: " + "; ".join(why),
            )
        return Execution(
            decision_id=decision_id,
            status=ExecutionStatus.DONE,
            detail="; ".join([*done, *why]),
            reference=f"sim:{decision_id}",
        )

    def _execute_energy(self, decision_id: str, action: Action) -> Execution:
        """Take an approved energy action, or refuse it with what and where."""
        view = self._view
        model = None if view is None else view.model
        target, problem = _energy_target(action, model)
        if problem is NOTHING_LEFT_ON:
            return Execution(
                decision_id=decision_id,
                status=ExecutionStatus.REJECTED,
                detail=f"nothing to do in the simulated plant: {problem}",
            )
        if problem is not None:
            return Execution(decision_id=decision_id, status=ExecutionStatus.FAILED, detail=problem)
        key = (action.kind, target)
        minutes = action.idle_minutes or 0.0
        taken = {_energy_key(a): a for _, a in self._taken if a.kind in _ENERGY}
        known = self._in_force.get(key)
        if key in taken and (taken[key].idle_minutes or 0.0) == minutes:
            known = minutes
        if action.kind != _SHIFT and known == minutes:
            why = {
                _SWITCH_OFF: f"its switch-off rule after {minutes:g} min idle is in force",
                _FIX_LEAK: "the site's compressed-air leaks are repaired already",
                _STAGE: "the site's compressors are staged to demand already",
            }[action.kind]
            return Execution(
                decision_id=decision_id,
                status=ExecutionStatus.REJECTED,
                detail=f"nothing to do in the simulated plant: {why}",
            )
        self._taken.append((decision_id, action))
        when = (
            "now"
            if action.slot_start is None or (view is not None and action.slot_start <= view.now_us)
            else f"from {to_iso(action.slot_start)}"
        )
        detail = {
            _SWITCH_OFF: f"switch-off rule after {minutes:g} min idle set {when}",
            _FIX_LEAK: f"compressed-air leaks at {target} repaired {when}",
            _STAGE: f"compressors at {target} staged off while nothing produces, {when}",
            _SHIFT: f"order {action.job} held until {when.removeprefix('from ')}",
        }[action.kind]
        return Execution(
            decision_id=decision_id,
            status=ExecutionStatus.DONE,
            detail=detail,
            reference=f"sim:{decision_id}",
        )

    def _execute_flow(self, decision_id: str, action: Action) -> Execution:
        """Take an approved flow action, or refuse it with what and where."""
        view = self._view
        problem = _flow_problem(action, None if view is None else view.model)
        if problem is not None:
            return Execution(decision_id=decision_id, status=ExecutionStatus.FAILED, detail=problem)
        taken = [a for _, a in self._taken if a.kind == action.kind]
        if action.kind == _RELEASE:
            why = None
            if any(a.job == action.job for a in taken):
                why = f"the hold of order {action.job} is decided already"
            elif view is not None and action.job not in view.held:
                why = f"order {action.job} is not held"
            detail = f"the quality hold of order {action.job} ends at the next decision epoch"
        else:
            end = action.slot_end or 0
            known = max(
                [self._protected.get(action.subject, 0)]
                + [a.slot_end or 0 for a in taken if a.subject == action.subject]
            )
            why = None
            if known >= end:
                why = f"{action.subject} is protected to {to_iso(known)} already"
            detail = (
                f"{action.subject} protected to {to_iso(end)}: a failure of its machines calls "
                "a crew out at once and expedites its missing parts"
            )
        if why is not None:
            return Execution(
                decision_id=decision_id,
                status=ExecutionStatus.REJECTED,
                detail=f"nothing to do in the simulated plant: {why}",
            )
        self._taken.append((decision_id, action))
        return Execution(
            decision_id=decision_id,
            status=ExecutionStatus.DONE,
            detail=detail,
            reference=f"sim:{decision_id}",
        )

    def _effect(self, action: Action, view: PlantView, site: str) -> tuple[list[str], list[str]]:
        """Return what an action does at this epoch and why it does no more, as
        :meth:`plan` will carry it out (the same order of rules, the same netting)."""
        if action.kind == _RECOVERY:
            return [f"expedites {p.quantity} of {p.part}" for p in action.order], []
        if action.subject in view.pending:
            return [], ["work is booked on this machine already"]
        done: list[str] = []
        why: list[str] = []
        for part in action.order:
            key = (part.part, site, action.expedite)
            before = self._claimed.get(key, 0)
            self._claimed[key] = before + part.quantity
            position = _position(view, site, part.part)
            new = max(before + part.quantity - position, 0) - max(before - position, 0)
            if new > 0:
                done.append(
                    f"orders {new} of {part.part}" + (" expedited" if action.expedite else "")
                )
            else:
                why.append(f"{part.part}: enough on hand or on order already")
        if action.kind in _WORK:
            if action.order:
                why.append("the work waits for its parts and is proposed again once they come")
            elif not _on_hand(action, view, site):
                why.append("the work waits: its parts are not on the shelf")
            else:
                when = action.slot_start
                done.append(
                    "work booked now"
                    if when is None or when <= view.now_us
                    else f"work booked for {to_iso(when)}"
                )
        return done, why

    def acknowledgements(self, *, now: int) -> list[Execution]:
        """The simulated plant confirms at once: nothing is left to acknowledge."""
        del now
        return []

    @property
    def waiting(self) -> int:
        """Actions taken and not yet handed to the plant."""
        return len(self._taken)

    def plan(self, view: PlantView) -> MaintenancePlan:
        """Return the orders of every action taken since the last epoch, and forget them."""
        taken, self._taken = self._taken, []
        self._view, self._claimed = None, {}
        starts: dict[str, int | None] = {}
        modes: dict[str, set[str]] = {}
        wanted: dict[tuple[str, str, bool], int] = {}
        recovery: list[PartOrder] = []
        energy: list[EnergyOrder] = []
        flow: list[FlowOrder] = []
        for _, action in taken:
            if action.kind in _FLOW:
                flow.append(self._flow_order(action))
                continue
            if action.kind in _ENERGY:
                order = self._energy_order(action, view)
                if order is not None:
                    energy.append(order)
                continue
            info = view.model.equipment.get(action.subject)
            if info is None:
                continue
            site = info.site_path
            if action.kind == _RECOVERY:
                recovery.extend(
                    PartOrder(part=p.part, site=site, quantity=p.quantity, expedite=True)
                    for p in action.order
                )
                continue
            if action.subject in view.pending:
                continue  # work and its parts are booked already
            for part in action.order:
                key = (part.part, site, action.expedite)
                wanted[key] = wanted.get(key, 0) + part.quantity
            if action.kind not in _WORK or action.order or not _on_hand(action, view, site):
                continue
            start = action.slot_start
            if start is not None and start <= view.now_us:
                start = None
            previous = starts.get(action.subject, start)
            starts[action.subject] = (
                None if previous is None or start is None else min(previous, start)
            )
            modes.setdefault(action.subject, set()).update(action.failure_modes)
        preventive = tuple(
            PreventiveOrder(equipment=eq, failure_modes=tuple(sorted(modes[eq])), start_us=start)
            for eq, start in sorted(starts.items())
        )
        orders = [
            PartOrder(part=part, site=site, quantity=short, expedite=fast)
            for (part, site, fast), quantity in sorted(wanted.items())
            if (short := quantity - _position(view, site, part)) > 0
        ]
        return MaintenancePlan(
            preventive=preventive,
            part_orders=(*orders, *recovery),
            energy=tuple(energy),
            flow=tuple(flow),
        )

    def _flow_order(self, action: Action) -> FlowOrder:
        """Return the plant's order for a flow action, and remember a protection."""
        if action.kind == _RELEASE:
            return HoldRelease(order_id=str(action.job))
        end = action.slot_end or 0
        self._protected[action.subject] = max(self._protected.get(action.subject, 0), end)
        return BottleneckProtection(cell=action.subject, start_us=action.slot_start, end_us=end)

    def _energy_order(self, action: Action, view: PlantView) -> EnergyOrder | None:
        """Return the plant's order for an energy action, and remember it is in force."""
        target, problem = _energy_target(action, view.model)
        if problem is not None:
            return None
        start = action.slot_start
        if action.kind == _SHIFT:
            if action.job is None or start is None:
                return None
            return JobShift(order_id=action.job, start_us=start)
        self._in_force[(action.kind, target)] = action.idle_minutes or 0.0
        if action.kind == _SWITCH_OFF:
            return SwitchOffRule(
                equipment=target, idle_minutes=action.idle_minutes or 0.0, start_us=start
            )
        if action.kind == _FIX_LEAK:
            return LeakRepair(site=target, start_us=start)
        return UtilityStaging(site=target, start_us=start)


NOTHING_LEFT_ON = (
    "the simulated site's base load is its scenario's: no load is left on to switch off"
)


def _energy_key(action: Action) -> tuple[str, str]:
    return (action.kind, _energy_target(action, None)[0])


def _site_of(path: str) -> str:
    return "/".join(path.split("/")[:2])


def _energy_target(action: Action, model: Model | None) -> tuple[str, str | None]:
    """Return what an energy action changes (a machine, a site, an order) and, when the
    simulated plant cannot carry it out, why."""
    kind, subject = action.kind, action.subject
    if kind == _SHIFT:
        if action.job is None or action.slot_start is None:
            return subject, f"shift_job on {subject} names no job or no slot to move it to"
        return action.job, None
    if kind == _SWITCH_OFF:
        if action.idle_minutes is None or action.idle_minutes < 0:
            return subject, f"switch_off_idle on {subject} gives no idle minutes"
        if model is not None and subject not in model.equipment:
            return subject, f"{subject} is no equipment of the simulated plant"
        return subject, None
    if model is None:
        return _site_of(subject), None
    meter = model.meters.get(subject)
    if meter is None:
        if kind == _FIX_LEAK and subject in model.sites:
            return subject, NOTHING_LEFT_ON
        return subject, f"{kind} on {subject}: no compressed-air meter of the simulated plant"
    if meter.meter.medium != "compressed_air":
        return subject, f"{kind} on {subject}: the meter measures {meter.meter.medium}"
    return _site_of(subject), None


def _flow_problem(action: Action, model: Model | None) -> str | None:
    """Why the simulated plant cannot carry out a flow action, or ``None``."""
    if action.kind == _RELEASE:
        return None if action.job else f"release_hold on {action.subject} names no order"
    if action.slot_end is None:
        return f"protect_bottleneck on {action.subject} gives no end to its slot"
    if model is not None and not any(
        info.cell_path == action.subject for info in model.equipment.values()
    ):
        return f"{action.subject} is no cell with machines in the simulated plant"
    return None


def _position(view: PlantView, site: str, part: str) -> int:
    stock = view.inventory.get((site, part))
    return 0 if stock is None else stock.on_hand + stock.on_order


def _on_hand(action: Action, view: PlantView, site: str) -> bool:
    for part in action.parts:
        stock = view.inventory.get((site, part.part))
        if stock is not None and stock.on_hand < part.quantity:
            return False
    return True


def _what_happens(action: Action) -> str:
    if action.kind == _RECOVERY:
        return "parts expedited in the simulated plant"
    if action.kind in _WORK and action.order:
        return (
            "parts ordered in the simulated plant; the work waits for them and is proposed "
            "again once they are on the shelf"
        )
    if action.kind in _WORK:
        return "work booked in the simulated plant at the next decision epoch"
    return "parts ordered in the simulated plant"
