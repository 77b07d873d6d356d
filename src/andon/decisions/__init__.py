"""Decisions people can trust: records, approval workflow, outcomes, audit chain and drift.

Apps hand :class:`andon.proposals.Proposal` values to :class:`DecisionService`, which turns
them into :class:`DecisionRecord` values governed by a :class:`Policy` (escalation, shadow
mode); every change is appended to the hash-chained :class:`AuditLog`. Nothing here imports
an app.
"""

from andon.decisions._schema import ensure_schema
from andon.decisions.access import PasswordPolicy, Principal, Role
from andon.decisions.audit import AuditEntry, AuditLog, VerifyResult
from andon.decisions.drift import DriftMonitor, DriftReport
from andon.decisions.errors import (
    DecisionConflictError,
    DecisionExpiredError,
    DecisionNotFoundError,
    ForbiddenError,
    IllegalTransitionError,
    InvalidInputError,
    NotAuthenticatedError,
)
from andon.decisions.policy import EscalationRule, Policy, ShadowScope
from andon.decisions.record import DecisionRecord, Status, from_proposal
from andon.decisions.repository import DecisionFilter
from andon.decisions.service import DecisionService
from andon.decisions.settings import SettingsService
from andon.decisions.users import IssuedToken, UserService

__all__ = [
    "AuditEntry",
    "AuditLog",
    "DecisionConflictError",
    "DecisionExpiredError",
    "DecisionFilter",
    "DecisionNotFoundError",
    "DecisionRecord",
    "DecisionService",
    "DriftMonitor",
    "DriftReport",
    "EscalationRule",
    "ForbiddenError",
    "IllegalTransitionError",
    "InvalidInputError",
    "IssuedToken",
    "NotAuthenticatedError",
    "PasswordPolicy",
    "Policy",
    "Principal",
    "Role",
    "SettingsService",
    "ShadowScope",
    "Status",
    "UserService",
    "VerifyResult",
    "ensure_schema",
    "from_proposal",
]
