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

People carry these out: the quality engineer and the lab decide a hold, the planner
re-sequences the order book, the maintenance planner moves stops and crews. None is carried
out by an executor (they are not ``executable``): approving one records the judgement, and
the app measures afterwards from the flow records what it achieved (the hold ended, the
bottleneck's lost hours fell). A bottleneck action's slot is the span it is meant for; a
hold's ``job`` is the order held.

>>> from andon.proposals import action_kind
>>> action_kind("release_hold").requires
frozenset({'job'})
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
    executable=False,
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
    executable=False,
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
