"""The flow app's action vocabulary.

=========================  ===================================================================
kind                       what it does
=========================  ===================================================================
``release_hold``           decide the quality hold of an order (the lab expedited, or the
                           release rule applied) so that its units move again
``resequence_bottleneck``  sequence the bottleneck cell's orders to cut its changeovers
``protect_bottleneck``     keep the bottleneck running: its stops moved out of production
                           time and a maintenance crew first at it when it is down
``staff_bottleneck``       a crew change: staff the bottleneck cell through hours it stands
                           off shift, when it is active all its staffed time
=========================  ===================================================================

``release_hold`` and ``protect_bottleneck`` are ``executable``: an executor carries them
out (the simulated plant ends the hold, or calls a crew out at once and expedites the parts
for the cell's failures over the slot, :mod:`andon.sim.executor`; on a plant they are work
requests to the lab and the maintenance planner). A re-sequenced order book and a crew
change are the planner's and the plant manager's to carry out: approving one records the
judgement. Either way the app measures afterwards from the flow records what was achieved
(the hold ended, the bottleneck's lost hours fell). A bottleneck action's slot is the span
it is meant for; a hold's ``job`` is the order held.

>>> from andon.proposals import action_kind
>>> action_kind("release_hold").requires
frozenset({'job'})
>>> action_kind("protect_bottleneck").executable
True
"""

from __future__ import annotations

from andon.proposals import ActionKind, register_action_kinds

__all__ = [
    "KINDS",
    "PROTECT_BOTTLENECK",
    "RELEASE_HOLD",
    "RESEQUENCE_BOTTLENECK",
    "STAFF_BOTTLENECK",
]

APP = "flow"

RELEASE_HOLD = ActionKind(
    name="release_hold",
    app=APP,
    description="decide an order's quality hold (expedite the lab or apply the release rule)",
    requires=frozenset({"job"}),
    executable=True,
)
RESEQUENCE_BOTTLENECK = ActionKind(
    name="resequence_bottleneck",
    app=APP,
    description="sequence the bottleneck cell's orders to cut its changeovers",
    requires=frozenset({"slot_start", "slot_end"}),
    executable=False,
)
PROTECT_BOTTLENECK = ActionKind(
    name="protect_bottleneck",
    app=APP,
    description="keep the bottleneck running: stops out of production time, a crew first at it",
    requires=frozenset({"slot_start", "slot_end"}),
    executable=True,
)

STAFF_BOTTLENECK = ActionKind(
    name="staff_bottleneck",
    app=APP,
    description="a crew change: staff the bottleneck cell through hours it stands off shift",
    requires=frozenset({"slot_start", "slot_end"}),
    executable=False,
)

KINDS = (RELEASE_HOLD, RESEQUENCE_BOTTLENECK, PROTECT_BOTTLENECK, STAFF_BOTTLENECK)

register_action_kinds(*KINDS)
