"""An engineering change as a decision: one proposal per site it touches, with the typed
action ``release_engineering_change`` and the impact as its evidence, for approval and the
audit chain like every other decision.

People carry the release out (the change board, the line's process engineer), so the kind
is not executable: approving records the judgement; its effect (yield, cycle time) is
measured after release as the decision's outcome.

>>> from andon.proposals import action_kind
>>> action_kind("release_engineering_change").app
'change'
"""

from __future__ import annotations

from andon.change.impact import Impact
from andon.change.request import ChangeKind
from andon.proposals import Action, ActionKind, Proposal, register_action_kinds

__all__ = ["APP", "RELEASE_CHANGE", "change_proposals"]

APP = "change"

RELEASE_CHANGE = ActionKind(
    name="release_engineering_change",
    app=APP,
    description="release the engineering change on the lines and equipment its impact names",
    executable=False,
)

register_action_kinds(RELEASE_CHANGE)

_DAY_US = 86_400_000_000


def _common(paths: list[str]) -> str:
    parts = [p.split("/") for p in paths]
    shared: list[str] = []
    for segment in zip(*parts, strict=False):
        if len(set(segment)) != 1:
            break
        shared.append(segment[0])
    return "/".join(shared)


def _changed(found: Impact) -> str:
    request = found.request
    named = {
        ChangeKind.PART_SUBSTITUTION: f"{request.part}->{request.replacement}",
        ChangeKind.FIRMWARE: f"{request.station}@{request.version}",
        ChangeKind.PARAMETER_LIMIT: f"{request.product}/{request.parameter}",
        ChangeKind.ROUTING: f"{request.product}@{request.line}",
    }
    return f"{request.kind.value}:{named[request.kind]}"


def change_proposals(
    found: Impact, *, now: int, valid_days: float = 14.0, confidence: float = 0.8
) -> list[Proposal]:
    """Return one proposal per site the change touches (its subject: the deepest path that
    holds every line and equipment touched there), each with the site's share of the cost
    as a negative expected value and the impact as evidence."""
    by_site: dict[str, list[str]] = {}
    for path in (*found.lines, *found.equipment):
        by_site.setdefault("/".join(path.split("/")[:2]), []).append(path)
    if not by_site:
        return []
    touched = sum(len(paths) for paths in by_site.values())
    request = found.request
    label = f"release {request.kind.value.replace('_', ' ')}" + (
        f": {request.title}" if request.title else ""
    )
    out: list[Proposal] = []
    for site, paths in sorted(by_site.items()):
        subject = _common(sorted(set(paths))) or site
        if len(subject.split("/")) < 2:
            subject = site
        share = found.cost * len(paths) / touched
        lots = tuple(found.lots)
        evidence = found.to_json()
        evidence["site"] = site
        out.append(
            Proposal(
                app=APP,
                subject=subject,
                action=Action(kind=RELEASE_CHANGE.name, subject=subject, label=label, lots=lots),
                expected_value=-share,
                value_low=-share * 1.5,
                value_high=-share * 0.5,
                confidence=confidence,
                explanation=(
                    f"touches {len(found.lines)} line(s), {len(found.equipment)} equipment, "
                    f"{len(found.tests)} check(s), {len(found.open_orders)} open order(s); "
                    f"cost about {found.cost:,.0f} {found.currency}, "
                    f"{found.schedule_h:g} h"
                ),
                created_at=now,
                expires_at=now + int(valid_days * _DAY_US),
                evidence=evidence,
                supersede_key=_changed(found),
            )
        )
    return out
