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

Kinds it does not know are refused with a failed execution, never guessed at. Shown the
plant first (:meth:`SimulatorExecutor.observe`, as the demo and the closed loop do at each
epoch), each execution says what its action does there; an action that would change nothing
(its parts are on order already and its work must wait for them) is refused with the reason,
so that its decision is not marked executed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from andon.proposals import Action, Execution, ExecutionStatus
from andon.sim.policy import MaintenancePlan, PartOrder, PlantView, PreventiveOrder
from andon.time import to_iso

__all__ = ["SimulatorExecutor"]

_WORK = frozenset({"intervene", "expedite", "move_production"})
_PLAN_ORDERS = frozenset({"order_part", *_WORK})
_RECOVERY = "expedite_part"
_KNOWN = frozenset({*_PLAN_ORDERS, _RECOVERY})


@dataclass
class SimulatorExecutor:
    """Carry out approved maintenance actions in the simulated plant (an ``Executor``)."""

    name: str = "simulator"
    _taken: list[tuple[str, Action]] = field(default_factory=list)
    _view: PlantView | None = None
    _claimed: dict[tuple[str, str, bool], int] = field(default_factory=dict)

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
        for _, action in taken:
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
        return MaintenancePlan(preventive=preventive, part_orders=(*orders, *recovery))


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
