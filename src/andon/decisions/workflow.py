"""The approval workflow as pure functions: a record and an action in, a new record out.

::

    proposed ──approve──> approved ──execute──> executed ──outcome──> (outcome recorded)
       │ └──reject(reason)──> rejected
       ├──expire──> expired            (at or after expires_at, undecided)
       ├──renew──> proposed            (the app proposed the same again: a later expiry)
       └──supersede──> superseded      (the app proposed something materially different)

Shadow decisions follow the same path but are never executed; their outcome is recorded
from any decided or undecided state so that a policy can be scored before it is trusted.
Every other move raises :class:`~andon.decisions.errors.IllegalTransitionError`; nothing here
touches the store.
"""

from __future__ import annotations

from andon.decisions.access import Principal
from andon.decisions.errors import (
    DecisionExpiredError,
    ForbiddenError,
    IllegalTransitionError,
    InvalidInputError,
)
from andon.decisions.record import DecisionRecord, Status
from andon.proposals import Outcome

__all__ = [
    "MAX_REASON",
    "TRANSITIONS",
    "approve",
    "execute",
    "expire",
    "materially_changed",
    "record_outcome",
    "reject",
    "renew",
    "supersede",
]

MAX_REASON = 2000
"""The longest reason or note accepted, in characters."""

TRANSITIONS: dict[str, frozenset[Status]] = {
    "approve": frozenset({Status.PROPOSED}),
    "reject": frozenset({Status.PROPOSED}),
    "expire": frozenset({Status.PROPOSED}),
    "supersede": frozenset({Status.PROPOSED}),
    "renew": frozenset({Status.PROPOSED}),
    "execute": frozenset({Status.APPROVED}),
}
"""The statuses each action may start from."""

_SHADOW_OUTCOME_FROM = frozenset(
    {Status.PROPOSED, Status.APPROVED, Status.REJECTED, Status.EXPIRED}
)


def _check(record: DecisionRecord, action: str) -> None:
    allowed = TRANSITIONS[action]
    if record.status not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        msg = f"cannot {action} decision {record.id}: it is {record.status.value} (needs {names})"
        raise IllegalTransitionError(msg)


def _check_scope(record: DecisionRecord, who: Principal) -> None:
    if not who.can_see(record.subject):
        msg = f"{who.username} may not act on {record.site}"
        raise ForbiddenError(msg)


def _clean_reason(reason: str | None, *, required: bool) -> str | None:
    text = (reason or "").strip()
    if required and not text:
        msg = "a rejection needs a reason"
        raise InvalidInputError(msg)
    if len(text) > MAX_REASON:
        msg = f"a reason is at most {MAX_REASON} characters, got {len(text)}"
        raise InvalidInputError(msg)
    return text or None


def approve(
    record: DecisionRecord, *, who: Principal, now: int, reason: str | None = None
) -> DecisionRecord:
    """Approve a proposed decision, if the user's role meets the decision's required role."""
    _check_scope(record, who)
    _check(record, "approve")
    if record.expired_at(now):
        msg = f"decision {record.id} expired before it was approved"
        raise DecisionExpiredError(msg)
    if not who.at_least(record.required_role):
        msg = (
            f"decision {record.id} is escalated ({record.escalation or 'policy'}): "
            f"it needs {'an' if record.required_role.value[0] in 'aeiou' else 'a'} "
            f"{record.required_role.value} or above, {who.username} is "
            f"{who.role.value}"
        )
        raise ForbiddenError(msg)
    return record.changed(
        now=now,
        status=Status.APPROVED,
        decided_by=who.username,
        decided_at=now,
        reason=_clean_reason(reason, required=False),
    )


def reject(record: DecisionRecord, *, who: Principal, now: int, reason: str) -> DecisionRecord:
    """Reject a proposed decision, with a reason (required)."""
    _check_scope(record, who)
    cleaned = _clean_reason(reason, required=True)
    _check(record, "reject")
    if record.expired_at(now):
        msg = f"decision {record.id} expired before it was rejected"
        raise DecisionExpiredError(msg)
    return record.changed(
        now=now, status=Status.REJECTED, decided_by=who.username, decided_at=now, reason=cleaned
    )


def execute(record: DecisionRecord, *, who: Principal, now: int) -> DecisionRecord:
    """Mark an approved decision as carried out; shadow decisions are never executed."""
    _check_scope(record, who)
    if record.shadow:
        msg = f"decision {record.id} is in shadow mode: it is scored, never executed"
        raise IllegalTransitionError(msg)
    _check(record, "execute")
    return record.changed(
        now=now, status=Status.EXECUTED, executed_by=who.username, executed_at=now
    )


def expire(record: DecisionRecord, *, now: int) -> DecisionRecord:
    """Mark an undecided decision whose expiry has passed as expired."""
    _check(record, "expire")
    if now < record.expires_at:
        msg = f"decision {record.id} does not expire before {record.expires_at}"
        raise IllegalTransitionError(msg)
    return record.changed(now=now, status=Status.EXPIRED)


def supersede(record: DecisionRecord, *, by: str, now: int) -> DecisionRecord:
    """Mark an undecided decision as replaced by a newer proposal ``by``."""
    _check(record, "supersede")
    return record.changed(now=now, status=Status.SUPERSEDED, superseded_by=by)


def renew(record: DecisionRecord, *, expires_at: int, now: int) -> DecisionRecord:
    """Keep an undecided decision open until ``expires_at``: its app proposed it again,
    unchanged in substance, so a person's page and links stay valid."""
    _check(record, "renew")
    return record.changed(now=now, expires_at=max(record.expires_at, expires_at))


SLOT_TOLERANCE_US = 12 * 3_600_000_000
"""Slots of two proposals closer than this are the same slot (a plan made an hour later
moves "now" by an hour, not the work)."""

VALUE_TOLERANCE = 0.25
"""Relative change of the expected value that counts as material when it also leaves the
old proposal's band."""


def materially_changed(old: DecisionRecord, new: DecisionRecord) -> bool:
    """Whether ``new`` says something else than the open ``old``: another action (kind,
    failure modes, parts, order, window, target, expediting), a slot moved by more than
    :data:`SLOT_TOLERANCE_US`, shown to people or not, or an expected value that left the
    old band by more than :data:`VALUE_TOLERANCE`.

    >>> from andon.proposals import Action, ActionKind, Proposal, register_action_kinds
    >>> from andon.decisions.record import from_proposal
    >>> register_action_kinds(ActionKind(name="example_tune", app="example",
    ...     description="tune a loop"))
    >>> def rec(value: float, at: int) -> DecisionRecord:
    ...     return from_proposal(Proposal(app="example", subject="e/s/a/l", action=Action(
    ...         kind="example_tune", subject="e/s/a/l"), expected_value=value,
    ...         value_low=value * 0.8, value_high=value * 1.2, confidence=0.5,
    ...         explanation="", created_at=at, expires_at=at + 10), now=at)
    >>> materially_changed(rec(100.0, 0), rec(105.0, 1))
    False
    >>> materially_changed(rec(100.0, 0), rec(200.0, 1))
    True
    """
    a, b = old.action, new.action
    same = (
        a.kind == b.kind
        and a.subject == b.subject
        and tuple(sorted(a.failure_modes)) == tuple(sorted(b.failure_modes))
        and a.parts == b.parts
        and a.order == b.order
        and a.window == b.window
        and a.target == b.target
        and a.expedite == b.expedite
        and old.shadow == new.shadow
    )
    if not same:
        return True
    if (a.slot_start is None) != (b.slot_start is None):
        return True
    if (
        a.slot_start is not None
        and b.slot_start is not None
        and abs(a.slot_start - b.slot_start) > SLOT_TOLERANCE_US
    ):
        return True
    low = old.value_low if old.value_low is not None else old.expected_value
    high = old.value_high if old.value_high is not None else old.expected_value
    outside = not (min(low, high) <= new.expected_value <= max(low, high))
    moved = abs(new.expected_value - old.expected_value) > VALUE_TOLERANCE * max(
        abs(old.expected_value), 1e-9
    )
    return outside and moved


def record_outcome(record: DecisionRecord, *, outcome: Outcome, now: int) -> DecisionRecord:
    """Attach the measured outcome: to an executed decision, or to a shadow one when scored."""
    if record.has_outcome:
        msg = f"decision {record.id} already has an outcome (measured at {record.outcome_at})"
        raise IllegalTransitionError(msg)
    allowed = record.status is Status.EXECUTED or (
        record.shadow and record.status in _SHADOW_OUTCOME_FROM
    )
    if not allowed:
        msg = (
            f"cannot record an outcome of decision {record.id}: it is {record.status.value} "
            "(needs executed, or any undecided or decided state in shadow mode)"
        )
        raise IllegalTransitionError(msg)
    return record.changed(
        now=now,
        outcome_at=outcome.measured_at,
        realised_value=outcome.realised_value,
        outcome_success=outcome.success,
        outcome_detail=dict(outcome.detail),
    )
