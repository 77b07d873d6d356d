"""The request and response bodies of the REST API (pydantic), strict about unknown fields."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from andon.api.problems import ApiProblem
from andon.decisions import DecisionRecord, Role
from andon.decisions.audit import AuditEntry
from andon.decisions.executions import ExecutionRow
from andon.decisions.outcomes import AppRecord
from andon.decisions.repository import TokenRow, UserRow
from andon.proposals import Action
from andon.runtime.loop import AppStatus
from andon.time import from_datetime, to_datetime

__all__ = [
    "AuditEntryOut",
    "AuditPage",
    "DecisionOut",
    "DecisionPage",
    "decode_cursor",
    "encode_cursor",
    "from_micros",
    "to_micros",
]


SiteScope = Annotated[
    str, StringConstraints(pattern=r"^(\*|[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)$", max_length=200)
]
"""A site path (``enterprise/site``) or ``*`` for every site."""


def from_micros(value: int | None) -> dt.datetime | None:
    """Return an aware UTC datetime for UTC microseconds (``None`` for none)."""
    return None if value is None else to_datetime(int(value))


def to_micros(value: dt.datetime | None) -> int | None:
    """Return UTC microseconds for an aware datetime (``None`` for none)."""
    return None if value is None else from_datetime(value)


def encode_cursor(*parts: Any) -> str:
    """Return an opaque cursor for the position after the last item of a page."""
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, types: tuple[type, ...]) -> list[Any]:
    """Return the parts of a cursor made by :func:`encode_cursor`, or a 422 problem."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(parts, list) or len(parts) != len(types):
            raise ValueError(cursor)
        if not all(
            isinstance(p, t) and not isinstance(p, bool) for p, t in zip(parts, types, strict=True)
        ):
            raise ValueError(cursor)
    except (ValueError, UnicodeDecodeError) as exc:
        msg = "the cursor is not one this API gave out; start again without it"
        raise ApiProblem(422, "cursor.invalid", msg) from exc
    return parts


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OptionOut(_Out):
    """An option that was weighed."""

    action: str
    expected_cost: float
    description: str


class FactorOut(_Out):
    """A reason behind the proposal."""

    name: str
    text: str
    weight: float
    value: float | str | None


class OutcomeOut(_Out):
    """What happened afterwards."""

    measured_at: AwareDatetime
    realised_value: float | None
    success: bool | None
    detail: dict[str, Any]


class PartQuantityOut(_Out):
    """A spare part and how many of it."""

    part: str
    quantity: int


class ActionOut(_Out):
    """A decision's typed action: a kind from its app's vocabulary, the subject and the
    parameters the kind uses (the others are empty); ``label`` is for people."""

    kind: str
    subject: str
    label: str
    failure_modes: list[str]
    slot_start: AwareDatetime | None
    slot_end: AwareDatetime | None
    window: str | None
    parts: list[PartQuantityOut]
    order: list[PartQuantityOut]
    expedite: bool
    target: str | None
    units: list[str]
    lots: list[str]
    job: str | None

    @classmethod
    def of(cls, action: Action) -> ActionOut:
        """Return the API view of an action."""
        return cls(
            kind=action.kind,
            subject=action.subject,
            label=action.label,
            failure_modes=list(action.failure_modes),
            slot_start=from_micros(action.slot_start),
            slot_end=from_micros(action.slot_end),
            window=action.window,
            parts=[PartQuantityOut(part=p.part, quantity=p.quantity) for p in action.parts],
            order=[PartQuantityOut(part=p.part, quantity=p.quantity) for p in action.order],
            expedite=action.expedite,
            target=action.target,
            units=list(action.units),
            lots=list(action.lots),
            job=action.job,
        )


class ExecutionOut(_Out):
    """What became of an approved decision's action: the executor, how far it got, why."""

    decision_id: str
    executor: str
    state: str
    detail: str
    reference: str | None
    attempts: int
    next_attempt_at: AwareDatetime | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    waits_for_person: bool

    @classmethod
    def of(cls, row: ExecutionRow) -> ExecutionOut:
        """Return the API view of an execution."""
        return cls(
            decision_id=row.decision_id,
            executor=row.executor,
            state=row.state.value,
            detail=row.detail,
            reference=row.reference,
            attempts=row.attempts,
            next_attempt_at=from_micros(row.next_attempt_at),
            created_at=from_micros(row.created_at),
            updated_at=from_micros(row.updated_at),
            waits_for_person=row.state.waits_for_person,
        )


class AppStatusOut(_Out):
    """A decision app as the loop sees it: its last fit, its rounds, its last failure."""

    name: str
    fitted_at: AwareDatetime | None
    fit_version: str | None
    fit_rows: int
    fit_metrics: dict[str, float]
    fit_notes: list[str]
    next_fit_at: AwareDatetime | None
    last_round_at: AwareDatetime | None
    next_round_at: AwareDatetime | None
    last_proposals: int
    proposals_total: int
    fit_failed_at: AwareDatetime | None
    fit_failure: str | None
    failed_at: AwareDatetime | None
    failed_stage: str | None
    failure: str | None
    stopped_inputs: int = 0
    stopped_note: str | None = None

    @classmethod
    def of(cls, status: AppStatus) -> AppStatusOut:
        """Return the API view of an app's status."""
        return cls(
            name=status.name,
            fitted_at=from_micros(status.fitted_at),
            fit_version=status.fit_version,
            fit_rows=status.fit_rows,
            fit_metrics={k: v for k, v in status.fit_metrics.items() if math.isfinite(v)},
            fit_notes=list(status.fit_notes),
            next_fit_at=from_micros(status.next_fit_at),
            last_round_at=from_micros(status.last_round_at),
            next_round_at=from_micros(status.next_round_at),
            last_proposals=status.last_proposals,
            proposals_total=status.proposals_total,
            fit_failed_at=from_micros(status.fit_failed_at),
            fit_failure=status.fit_failure,
            failed_at=from_micros(status.failed_at),
            failed_stage=status.failed_stage,
            failure=status.failure,
            stopped_inputs=status.stopped_inputs,
            stopped_note=status.stopped_note,
        )


class DecisionOut(_Out):
    """A decision record (DESIGN.md "Decisions and trust")."""

    id: str
    app: str
    supersede_key: str
    subject: str
    site: str
    title: str
    action: ActionOut
    options: list[OptionOut]
    expected_value: float
    value_low: float | None
    value_high: float | None
    confidence: float
    explanation: str
    factors: list[FactorOut]
    evidence: dict[str, Any]
    snapshot: str
    model_version: str
    created_at: AwareDatetime
    expires_at: AwareDatetime
    status: str
    shadow: bool
    required_role: str
    escalation: str
    superseded_by: str | None
    decided_by: str | None
    decided_at: AwareDatetime | None
    reason: str | None
    executed_by: str | None
    executed_at: AwareDatetime | None
    outcome: OutcomeOut | None
    updated_at: AwareDatetime
    version: int

    @classmethod
    def of(cls, record: DecisionRecord) -> DecisionOut:
        """Return the API view of a record."""
        outcome = None
        if record.outcome_at is not None:
            outcome = OutcomeOut(
                measured_at=from_micros(record.outcome_at),
                realised_value=record.realised_value,
                success=record.outcome_success,
                detail=dict(record.outcome_detail),
            )
        return cls(
            id=record.id,
            app=record.app,
            supersede_key=record.supersede_key,
            subject=record.subject,
            site=record.site,
            title=record.title,
            action=ActionOut.of(record.action),
            options=[
                OptionOut(action=o.action, expected_cost=o.expected_cost, description=o.description)
                for o in record.options
            ],
            expected_value=record.expected_value,
            value_low=record.value_low,
            value_high=record.value_high,
            confidence=record.confidence,
            explanation=record.explanation,
            factors=[
                FactorOut(name=f.name, text=f.text, weight=f.weight, value=f.value)
                for f in record.factors
            ],
            evidence=dict(record.evidence),
            snapshot=record.snapshot,
            model_version=record.model_version,
            created_at=from_micros(record.created_at),
            expires_at=from_micros(record.expires_at),
            status=record.status.value,
            shadow=record.shadow,
            required_role=record.required_role.value,
            escalation=record.escalation,
            superseded_by=record.superseded_by,
            decided_by=record.decided_by,
            decided_at=from_micros(record.decided_at),
            reason=record.reason,
            executed_by=record.executed_by,
            executed_at=from_micros(record.executed_at),
            outcome=outcome,
            updated_at=from_micros(record.updated_at),
            version=record.version,
        )


class DecisionPage(_Out):
    """A page of decisions and the cursor of the next page (``null`` at the end)."""

    items: list[DecisionOut]
    next_cursor: str | None


class ApproveIn(_In):
    """Approve a decision, optionally saying why."""

    reason: str | None = Field(default=None, max_length=2000)


class RejectIn(_In):
    """Reject a decision: the reason is required."""

    reason: str = Field(min_length=1, max_length=2000)


class OutcomeIn(_In):
    """Record what happened after a decision."""

    realised_value: float | None = Field(default=None, allow_inf_nan=False)
    success: bool | None = None
    measured_at: AwareDatetime | None = None
    detail: dict[str, str | float | int | bool | None] = Field(default_factory=dict, max_length=50)


class CalibrationBinOut(_Out):
    """Decisions with confidence in ``[low, high)``: mean confidence against success rate."""

    low: float
    high: float
    count: int
    mean_confidence: float
    success_rate: float


class AppRecordOut(_Out):
    """One app's record: proposals, approvals, realised vs expected value, calibration."""

    app: str
    proposals: int
    approved: int
    rejected: int
    expired: int
    executed: int
    superseded: int
    shadow: int
    with_outcome: int
    expected_value: float
    realised_value: float
    realisation: float | None
    brier: float | None
    calibration_error: float | None
    bins: list[CalibrationBinOut]

    @classmethod
    def of(cls, record: AppRecord) -> AppRecordOut:
        """Return the API view of an app's record."""
        data = {name: getattr(record, name) for name in AppRecord.__slots__}
        data["bins"] = [
            CalibrationBinOut(**{n: getattr(b, n) for n in type(b).__slots__}) for b in record.bins
        ]
        return cls(**data)


class AuditEntryOut(_Out):
    """One audit entry with its chain hashes."""

    seq: int
    ts: AwareDatetime
    actor: str
    action: str
    entity: str
    entity_id: str
    site: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        """Return the API view of an audit entry."""
        return cls(
            seq=entry.seq,
            ts=from_micros(entry.ts),
            actor=entry.actor,
            action=entry.action,
            entity=entry.entity,
            entity_id=entry.entity_id,
            site=entry.site,
            data=dict(entry.data),
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )


class AuditPage(_Out):
    """A page of audit entries, newest first."""

    items: list[AuditEntryOut]
    next_cursor: str | None


class VerifyOut(_Out):
    """The result of checking the audit chain."""

    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    broken_seq: int | None
    reason: str | None
    decisions: int = Field(description="Decision rows checked against the chain.")
    unsealed: int = Field(description="Decisions whose entries all predate row seals.")
    decision_id: str | None = Field(
        description="The first decision whose row the chain does not vouch for."
    )
    decisions_failed: int = Field(description="Decisions whose rows the chain does not vouch for.")
    head_file: str | None = Field(
        description="The head file the head was checked against, if one is configured."
    )


class LoginIn(_In):
    """A user name and password."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class MeOut(_Out):
    """Who the caller is."""

    username: str
    role: Role
    sites: list[str]


class LoginOut(MeOut):
    """A browser session: send ``csrf_token`` as the X-CSRF-Token header on unsafe requests."""

    csrf_token: str
    expires_at: AwareDatetime


class TokenIn(_In):
    """A new API token: a name, optionally fewer sites and a lifetime."""

    name: str = Field(min_length=1, max_length=100)
    sites: list[SiteScope] | None = Field(default=None, min_length=1, max_length=100)
    ttl_s: int | None = Field(default=None, ge=60, le=10 * 365 * 86_400)


class TokenOut(_Out):
    """An API token's metadata (never its secret)."""

    id: str
    username: str
    name: str
    sites: list[str] | None
    created_at: AwareDatetime
    expires_at: AwareDatetime | None
    revoked: bool

    @classmethod
    def of(cls, row: TokenRow) -> TokenOut:
        """Return the API view of a token."""
        return cls(
            id=row.id,
            username=row.username,
            name=row.name,
            sites=None if row.sites is None else list(row.sites),
            created_at=from_micros(row.created_at),
            expires_at=from_micros(row.expires_at),
            revoked=row.revoked,
        )


class IssuedTokenOut(TokenOut):
    """A token just made: ``token`` is shown this once and never again."""

    token: str


class UserOut(_Out):
    """A user (never the password hash)."""

    username: str
    role: Role
    sites: list[str]
    active: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime

    @classmethod
    def of(cls, row: UserRow) -> UserOut:
        """Return the API view of a user."""
        return cls(
            username=row.username,
            role=row.role,
            sites=list(row.sites),
            active=row.active,
            created_at=from_micros(row.created_at),
            updated_at=from_micros(row.updated_at),
        )


class UserIn(_In):
    """A new user."""

    username: str = Field(min_length=1, max_length=64)
    role: Role
    sites: list[SiteScope] = Field(min_length=1, max_length=100)
    password: str | None = Field(default=None, min_length=1, max_length=1024)


class UserPatch(_In):
    """Changes to a user; fields left out stay as they are."""

    role: Role | None = None
    sites: list[SiteScope] | None = Field(default=None, min_length=1, max_length=100)
    password: str | None = Field(default=None, min_length=1, max_length=1024)
    active: bool | None = None


class RuleModel(_In):
    """An escalation rule: above ``min_value`` or below ``max_confidence``, ``role`` approves."""

    name: str = Field(min_length=1, max_length=100)
    role: Role
    min_value: float | None = Field(default=None, allow_inf_nan=False)
    max_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    app: str = Field(default="*", min_length=1, max_length=100)


class ShadowModel(_In):
    """An app (or ``*``) at a site (or ``*``) whose decisions are never executed."""

    app: str = Field(default="*", min_length=1, max_length=100)
    site: str = Field(default="*", min_length=1, max_length=200)


class PolicyModel(_In):
    """Escalation rules and shadow scopes."""

    rules: list[RuleModel] = Field(default_factory=list, max_length=100)
    shadow: list[ShadowModel] = Field(default_factory=list, max_length=1000)


class HealthOut(_Out):
    """The service is up and its store answers."""

    status: str
    version: str
