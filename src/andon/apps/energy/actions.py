"""The energy app's action vocabulary.

=================  ==========================================================================
kind               what it does
=================  ==========================================================================
``switch_off_idle`` switch the machine off once it has idled for the rule's minutes
``fix_leak``        find and fix the compressed-air leak, or the load left on, behind a base load
``stage_utility``   stage the utility to demand: compressors off when nothing produces
``shift_job``       move a flexible job to the slot the schedule chose (price, carbon, due date)
=================  ==========================================================================

People carry these out in a plant (an operator's switch-off standard, a maintenance request
for the leak, the utility's sequencer, the planner's order book); the simulated plant carries
each out through its executor (:mod:`andon.sim.executor`), so an approved decision is
executed in the closed loop and its outcome is measured from the meters afterwards. A
switch-off rule names its idle time (``Action.idle_minutes``).

>>> from andon.proposals import action_kind
>>> action_kind("fix_leak").app
'energy'
"""

from __future__ import annotations

from andon.proposals import ActionKind, register_action_kinds

__all__ = ["FIX_LEAK", "KINDS", "SHIFT_JOB", "STAGE_UTILITY", "SWITCH_OFF_IDLE"]

APP = "energy"

SWITCH_OFF_IDLE = ActionKind(
    name="switch_off_idle",
    app=APP,
    description="switch the machine off once it has idled for the rule's minutes",
    requires=frozenset({"slot_start", "idle_minutes"}),
    executable=True,
)
FIX_LEAK = ActionKind(
    name="fix_leak",
    app=APP,
    description="find and fix the compressed-air leak or the load left on behind a base load",
    requires=frozenset({"slot_start"}),
    executable=True,
)
STAGE_UTILITY = ActionKind(
    name="stage_utility",
    app=APP,
    description="stage the utility to demand: its machines off when nothing produces",
    requires=frozenset({"slot_start"}),
    executable=True,
)
SHIFT_JOB = ActionKind(
    name="shift_job",
    app=APP,
    description="move a flexible job to the slot the schedule chose",
    requires=frozenset({"job", "slot_start", "slot_end"}),
    executable=True,
)

KINDS = (SWITCH_OFF_IDLE, FIX_LEAK, STAGE_UTILITY, SHIFT_JOB)

register_action_kinds(*KINDS)
