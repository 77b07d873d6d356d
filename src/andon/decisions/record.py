"""The decision record: a proposal with its governance (status, who decided, outcome).

Fields follow DESIGN.md "Decisions and trust". A record is an immutable value; every change
is a new record made by :mod:`andon.decisions.workflow` and stored with an audit entry.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from andon.decisions._json import digest
from andon.decisions.access import Role
from andon.proposals import Action, Factor, Option, Proposal

__all__ = ["DecisionRecord", "Status", "from_proposal", "new_id"]


class Status(StrEnum):
    """Where a decision stands in the workflow."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    EXECUTED = "executed"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRecord:
    """One governed decision: what was proposed, on what evidence, who decided, what happened.

    ``snapshot`` is the SHA-256 of the evidence's canonical JSON, so the inputs a decision was
    taken on can be proven later. ``required_role`` is the least role that may approve it
    (raised by escalation rules); ``shadow`` decisions are recorded and scored, never executed.
    ``version`` counts changes and guards against two people deciding at once. ``action`` is
    the proposal's typed action; ``supersede_key`` groups an app's decisions on a subject, of
    which one at a time is open.
    """

    id: str
    app: str
    supersede_key: str
    subject: str
    site: str
    action: Action
    options: tuple[Option, ...]
    expected_value: float
    value_low: float | None
    value_high: float | None
    confidence: float
    explanation: str
    factors: tuple[Factor, ...]
    evidence: Mapping[str, Any]
    snapshot: str
    model_version: str
    created_at: int
    expires_at: int
    status: Status = Status.PROPOSED
    shadow: bool = False
    required_role: Role = Role.OPERATOR
    escalation: str = ""
    superseded_by: str | None = None
    decided_by: str | None = None
    decided_at: int | None = None
    reason: str | None = None
    executed_by: str | None = None
    executed_at: int | None = None
    outcome_at: int | None = None
    realised_value: float | None = None
    outcome_success: bool | None = None
    outcome_detail: Mapping[str, Any] = field(default_factory=dict)
    updated_at: int = 0
    version: int = 1

    @property
    def title(self) -> str:
        """The action in plain words (its label, else its kind)."""
        return self.action.label or self.action.kind

    @property
    def has_outcome(self) -> bool:
        """Whether an outcome has been recorded."""
        return self.outcome_at is not None

    def expired_at(self, now: int) -> bool:
        """Whether an undecided decision has passed its expiry at ``now``."""
        return self.status is Status.PROPOSED and now >= self.expires_at

    def changed(self, *, now: int, **changes: Any) -> DecisionRecord:
        """Return a copy with ``changes``, a new ``updated_at`` and the next version."""
        return replace(self, updated_at=now, version=self.version + 1, **changes)

    def summary(self) -> dict[str, Any]:
        """Return the fields an audit entry keeps of the record (its state, not its evidence)."""
        return {
            "app": self.app,
            "subject": self.subject,
            "action": self.action.to_json(),
            "status": self.status.value,
            "expected_value": self.expected_value,
            "confidence": self.confidence,
            "snapshot": self.snapshot,
            "shadow": self.shadow,
            "required_role": self.required_role.value,
            "version": self.version,
        }


def new_id(now: int) -> str:
    """Return a new decision id: the time in hex (so ids sort by creation), then 64 random bits.

    >>> new_id(1_700_000_000_000_000)[:16]
    '00060a24181e4000'
    """
    return f"{now:016x}{secrets.token_hex(8)}"


def from_proposal(
    proposal: Proposal,
    *,
    now: int,
    shadow: bool = False,
    required_role: Role = Role.OPERATOR,
    escalation: str = "",
    decision_id: str | None = None,
) -> DecisionRecord:
    """Return a new ``proposed`` record for an app's proposal."""
    evidence = dict(proposal.evidence)
    return DecisionRecord(
        id=decision_id or new_id(now),
        app=proposal.app,
        supersede_key=proposal.supersede_key,
        subject=proposal.subject,
        site=proposal.site,
        action=proposal.action,
        options=tuple(proposal.options),
        expected_value=float(proposal.expected_value),
        value_low=proposal.value_low,
        value_high=proposal.value_high,
        confidence=float(proposal.confidence),
        explanation=proposal.explanation,
        factors=tuple(proposal.factors),
        evidence=evidence,
        snapshot=digest(evidence),
        model_version=proposal.model_version,
        created_at=proposal.created_at,
        expires_at=proposal.expires_at,
        shadow=shadow,
        required_role=required_role,
        escalation=escalation,
        updated_at=now,
    )
