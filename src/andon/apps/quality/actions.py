"""The quality app's action vocabulary: hold, extra test, release, and real-time release of
a batch before its lab result.

Each names the units (serials) and lots it concerns in :attr:`andon.proposals.Action.units`
and :attr:`~andon.proposals.Action.lots`; its subject is the test station that would test
them (or the line, where the line has no inspection station).

The kinds are not executable here: the simulated plant has no quarantine store or test
queue to carry them out, so approving one records the judgement for the quality engineer,
who moves the units, and its outcome is measured from the later inspections of those units.
"""

from __future__ import annotations

from andon.proposals import ActionKind, register_action_kinds

__all__ = ["EXTRA_TEST", "HOLD", "QUALITY_KINDS", "REAL_TIME_RELEASE", "RELEASE"]

HOLD = "hold"
EXTRA_TEST = "extra_test"
RELEASE = "release"
REAL_TIME_RELEASE = "real_time_release"

QUALITY_KINDS = (
    ActionKind(
        name=HOLD,
        app="quality",
        description="hold units or lots in quarantine until they can be tested",
        requires=frozenset({"units"}),
        executable=False,
    ),
    ActionKind(
        name=EXTRA_TEST,
        app="quality",
        description="send units to an extra test at the test station this shift",
        requires=frozenset({"units"}),
        executable=False,
    ),
    ActionKind(
        name=RELEASE,
        app="quality",
        description="release held units or lots whose risk no longer warrants a test",
        requires=frozenset({"units"}),
        executable=False,
    ),
    ActionKind(
        name=REAL_TIME_RELEASE,
        app="quality",
        description=(
            "release a batch before its lab result: its signature lies inside the normal "
            "region; the lab result, when it comes, is the decision's outcome"
        ),
        requires=frozenset({"units"}),
        executable=False,
    ),
)

register_action_kinds(*QUALITY_KINDS)
