"""Governance settings applied when a proposal becomes a decision: escalation and shadow mode.

>>> rule = EscalationRule(name="big-money", min_value=10_000.0, role=Role.ENGINEER)
>>> policy = Policy(rules=(rule,), shadow=(ShadowScope(app="energy", site="acme/brno"),))
>>> policy.required_role(app="maintenance", expected_value=12_000.0, confidence=0.9)
(<Role.ENGINEER: 'engineer'>, 'big-money')
>>> policy.is_shadow(app="energy", site="acme/brno")
True
>>> policy.is_shadow(app="energy", site="acme/lyon")
False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from andon.decisions.access import Role
from andon.decisions.errors import InvalidInputError

__all__ = ["EscalationRule", "Policy", "ShadowScope"]

ANY = "*"


@dataclass(frozen=True, slots=True, kw_only=True)
class EscalationRule:
    """Send a proposal to ``role`` when its value is above ``min_value`` or its confidence
    below ``max_confidence`` (either condition, whichever are set), for ``app`` (or all)."""

    name: str
    role: Role
    min_value: float | None = None
    max_confidence: float | None = None
    app: str = ANY

    def matches(self, *, app: str, expected_value: float, confidence: float) -> bool:
        """Return whether a proposal falls under this rule."""
        if self.app not in (ANY, app):
            return False
        above = self.min_value is not None and expected_value > self.min_value
        unsure = self.max_confidence is not None and confidence < self.max_confidence
        return above or unsure

    def to_json(self) -> dict[str, Any]:
        """Return the rule as a JSON object for the settings table."""
        return {
            "name": self.name,
            "role": self.role.value,
            "min_value": self.min_value,
            "max_confidence": self.max_confidence,
            "app": self.app,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> EscalationRule:
        """Return a rule from its JSON object, refusing unknown roles and empty conditions."""
        try:
            role = Role(value["role"])
            name = str(value["name"])
        except (KeyError, ValueError) as exc:
            msg = f"an escalation rule needs a name and a role of {[r.value for r in Role]}"
            raise InvalidInputError(msg) from exc
        min_value = value.get("min_value")
        max_confidence = value.get("max_confidence")
        if min_value is None and max_confidence is None:
            msg = f"escalation rule {name!r} needs min_value or max_confidence"
            raise InvalidInputError(msg)
        return cls(
            name=name,
            role=role,
            min_value=None if min_value is None else float(min_value),
            max_confidence=None if max_confidence is None else float(max_confidence),
            app=str(value.get("app", ANY)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ShadowScope:
    """An app (or ``*``) at a site (or ``*``) whose decisions are recorded, never executed."""

    app: str = ANY
    site: str = ANY

    def covers(self, *, app: str, site: str) -> bool:
        """Return whether a decision of ``app`` at ``site`` is in shadow mode."""
        return self.app in (ANY, app) and self.site in (ANY, site)


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Escalation rules and shadow scopes, as stored in the settings table."""

    rules: tuple[EscalationRule, ...] = ()
    shadow: tuple[ShadowScope, ...] = ()
    default_role: Role = Role.OPERATOR

    def required_role(
        self, *, app: str, expected_value: float, confidence: float
    ) -> tuple[Role, str]:
        """Return the least role that may approve, and the names of the rules that raised it."""
        role = self.default_role
        names: list[str] = []
        for rule in self.rules:
            if rule.matches(app=app, expected_value=expected_value, confidence=confidence):
                names.append(rule.name)
                if rule.role.rank > role.rank:
                    role = rule.role
        return role, ", ".join(names)

    def is_shadow(self, *, app: str, site: str) -> bool:
        """Return whether decisions of ``app`` at ``site`` are in shadow mode."""
        return any(scope.covers(app=app, site=site) for scope in self.shadow)
