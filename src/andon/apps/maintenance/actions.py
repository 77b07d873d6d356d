"""The maintenance app's action vocabulary, and the typed action of each plan option.

=================  ==========================================================================
kind               what it does
=================  ==========================================================================
``watch``          nothing in the plant: keep the asset and mode on the watch list
``order_part``     order the mode's missing parts (normal lead time unless ``expedite``)
``intervene``      preventive work on the mode in the slot, parts from stock or ordered first
``expedite``       expedite the missing parts and intervene in the slot
``move_production`` move the line's work to ``target`` and intervene on the mode now
``expedite_part``  expedite a part a failed asset is waiting for (the quantity short)
=================  ==========================================================================

Work waits with the machine stopped until its parts are on the shelf, so an executor books
the work of an action that orders parts only once they have come (the app proposes it again
then, parts from stock).

>>> from andon.proposals import action_kind
>>> action_kind("intervene").requires == frozenset({"failure_modes", "slot_start"})
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from andon.proposals import Action, ActionKind, PartQuantity, register_action_kinds
from andon.time import HOUR_US

if TYPE_CHECKING:
    from andon.apps.maintenance.plan import AssetRisk, PlanOption

__all__ = [
    "EXPEDITE",
    "EXPEDITE_PART",
    "INTERVENE",
    "KINDS",
    "MOVE_PRODUCTION",
    "ORDER_PART",
    "WATCH",
    "WORK_KINDS",
    "action_for",
    "part_quantities",
]

APP = "maintenance"

WATCH = ActionKind(
    name="watch",
    app=APP,
    description="keep the asset and failure mode on the watch list; nothing is done",
    requires=frozenset({"failure_modes"}),
    executable=False,
)
ORDER_PART = ActionKind(
    name="order_part",
    app=APP,
    description="order the failure mode's missing spare parts (expedited if the action says)",
    requires=frozenset({"failure_modes", "order"}),
)
INTERVENE = ActionKind(
    name="intervene",
    app=APP,
    description="preventive work on the failure mode in the slot",
    requires=frozenset({"failure_modes", "slot_start"}),
)
EXPEDITE = ActionKind(
    name="expedite",
    app=APP,
    description="expedite the missing spare parts and intervene in the slot",
    requires=frozenset({"failure_modes", "slot_start", "order"}),
)
MOVE_PRODUCTION = ActionKind(
    name="move_production",
    app=APP,
    description="move production to another line and intervene on the failure mode now",
    requires=frozenset({"failure_modes", "slot_start", "target"}),
)
EXPEDITE_PART = ActionKind(
    name="expedite_part",
    app=APP,
    description="expedite the spare parts a failed asset is waiting for",
    requires=frozenset({"failure_modes", "order"}),
)

KINDS = (WATCH, ORDER_PART, INTERVENE, EXPEDITE, MOVE_PRODUCTION, EXPEDITE_PART)
WORK_KINDS = frozenset({INTERVENE.name, EXPEDITE.name, MOVE_PRODUCTION.name})
"""Kinds that book preventive work on the subject."""

register_action_kinds(*KINDS)


def part_quantities(
    quantities: Mapping[str, int], which: Sequence[str] | None = None
) -> tuple[PartQuantity, ...]:
    """Return ``quantities`` (of the parts in ``which``, default all) as sorted part quantities.

    >>> part_quantities({"b": 2, "a": 1}, ("b",))
    (PartQuantity(part='b', quantity=2),)
    """
    names = sorted(quantities if which is None else which)
    return tuple(PartQuantity(name, quantities[name]) for name in names if quantities[name] > 0)


def action_for(option: PlanOption, risk: AssetRisk, *, now: int) -> Action:
    """Return the typed action of one plan option for an asset's failure mode at ``now``."""
    mode = risk.mode
    needed = dict(mode.parts)
    modes = (mode.id,)
    label = option.action
    if option.kind == WATCH.name:
        return Action(kind=WATCH.name, subject=risk.subject, failure_modes=modes, label=label)
    if option.kind == ORDER_PART.name:
        return Action(
            kind=ORDER_PART.name,
            subject=risk.subject,
            failure_modes=modes,
            order=part_quantities(needed, option.ordered),
            label=label,
        )
    start = now + round(option.eval_h * HOUR_US)
    slot = option.slot or "now"
    window = None if slot == "now" or slot.startswith("day+") else slot
    ordered = option.expedited or option.ordered
    return Action(
        kind=option.kind,
        subject=risk.subject,
        failure_modes=modes,
        slot_start=start,
        slot_end=start + round(option.crew_hours * HOUR_US),
        window=window,
        parts=part_quantities(needed),
        order=part_quantities(needed, ordered),
        expedite=bool(option.expedited),
        target=risk.criticality.alternative_line if option.kind == MOVE_PRODUCTION.name else None,
        label=label,
    )
