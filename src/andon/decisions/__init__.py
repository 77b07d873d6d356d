"""Decisions people can trust: records, approval workflow, outcomes, audit chain and drift.

Apps hand :class:`andon.proposals.Proposal` values to :class:`DecisionService`, which turns
them into :class:`DecisionRecord` values governed by a :class:`Policy` (escalation, shadow
mode); every change is appended to the hash-chained :class:`AuditLog`. Nothing here imports
an app.

Each name is imported from its module on first use (PEP 562): the drift monitor needs SciPy
and the services need the store, which a command that only names a :class:`Role` or a
:class:`Status` does not.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
        UserExistsError,
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
    "UserExistsError",
    "UserService",
    "VerifyResult",
    "ensure_schema",
    "from_proposal",
]

_MODULES: dict[str, str] = {
    "ensure_schema": "_schema",
    "PasswordPolicy": "access",
    "Principal": "access",
    "Role": "access",
    "AuditEntry": "audit",
    "AuditLog": "audit",
    "VerifyResult": "audit",
    "DriftMonitor": "drift",
    "DriftReport": "drift",
    "DecisionConflictError": "errors",
    "DecisionExpiredError": "errors",
    "DecisionNotFoundError": "errors",
    "ForbiddenError": "errors",
    "IllegalTransitionError": "errors",
    "InvalidInputError": "errors",
    "NotAuthenticatedError": "errors",
    "UserExistsError": "errors",
    "EscalationRule": "policy",
    "Policy": "policy",
    "ShadowScope": "policy",
    "DecisionRecord": "record",
    "Status": "record",
    "from_proposal": "record",
    "DecisionFilter": "repository",
    "DecisionService": "service",
    "SettingsService": "settings",
    "IssuedToken": "users",
    "UserService": "users",
}
"""The module of ``andon.decisions`` that defines each public name."""


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    module = _MODULES.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
