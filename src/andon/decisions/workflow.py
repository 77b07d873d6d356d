"""The approval workflow as pure functions: a record and an action in, a new record out.

::

    proposed ──approve──> approved ──execute──> executed ──outcome──> (outcome recorded)
       │ └──reject(reason)──> rejected
       ├──expire──> expired            (at or after expires_at, undecided)
       └──supersede──> superseded      (the app proposed again for the same subject)

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
    "record_outcome",
    "reject",
    "supersede",
]

MAX_REASON = 2000
"""The longest reason or note accepted, in characters."""

TRANSITIONS: dict[str, frozenset[Status]] = {
    "approve": frozenset({Status.PROPOSED}),
    "reject": frozenset({Status.PROPOSED}),
    "expire": frozenset({Status.PROPOSED}),
    "supersede": frozenset({Status.PROPOSED}),
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
