"""Settings kept in the store (escalation rules, shadow scopes, model versions), each change
audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from andon.decisions._json import digest, now_us
from andon.decisions.audit import AuditLog
from andon.decisions.errors import InvalidInputError
from andon.decisions.policy import EscalationRule, Policy, ShadowScope
from andon.decisions.repository import Repository
from andon.model import Model
from andon.proposals import FitReport
from andon.store.base import Store

__all__ = ["SettingsService"]

RULES_KEY = "decisions.escalation_rules"
SHADOW_KEY = "decisions.shadow"
MODEL_KEY = "model.digest"


class SettingsService:
    """Read and change governance settings; every change is appended to the audit chain."""

    def __init__(self, *, store: Store, clock: Callable[[], int] = now_us) -> None:
        self._store = store
        self._repo = Repository(store=store)
        self._audit = AuditLog(store=store)
        self._clock = clock

    def get(self, key: str) -> Any:
        """Return a setting's value, or ``None``."""
        return self._repo.get_setting(key)

    def all(self) -> dict[str, Any]:
        """Return every setting."""
        return self._repo.list_settings()

    def set(self, key: str, value: Any, *, actor: str) -> None:
        """Change a setting and audit the old and new values."""
        now = self._clock()
        with self._audit.transaction():
            old = self._repo.get_setting(key)
            self._repo.put_setting(key, value, now=now, actor=actor)
            self._audit.append(
                actor=actor,
                action="setting.changed",
                entity="setting",
                entity_id=key,
                data={"old": old, "new": value},
                ts=now,
            )

    def policy(self) -> Policy:
        """Return the escalation rules and shadow scopes in force."""
        rules = self._repo.get_setting(RULES_KEY) or []
        shadow = self._repo.get_setting(SHADOW_KEY) or []
        return Policy(
            rules=tuple(EscalationRule.from_json(r) for r in rules),
            shadow=tuple(
                ShadowScope(app=str(s.get("app", "*")), site=str(s.get("site", "*")))
                for s in shadow
            ),
        )

    def set_policy(self, policy: Policy, *, actor: str) -> None:
        """Replace the escalation rules and shadow scopes."""
        names = [r.name for r in policy.rules]
        if len(set(names)) != len(names):
            msg = "escalation rule names must be unique"
            raise InvalidInputError(msg)
        self.set(RULES_KEY, [r.to_json() for r in policy.rules], actor=actor)
        self.set(SHADOW_KEY, [{"app": s.app, "site": s.site} for s in policy.shadow], actor=actor)

    def note_model(self, model: Model, *, actor: str = "system") -> bool:
        """Audit the plant model when it differs from the last one noted; return whether."""
        fingerprint = digest(model.plant.model_dump(mode="json"))
        if self._repo.get_setting(MODEL_KEY) == fingerprint:
            return False
        now = self._clock()
        with self._audit.transaction():
            self._repo.put_setting(MODEL_KEY, fingerprint, now=now, actor=actor)
            self._audit.append(
                actor=actor,
                action="model.changed",
                entity="model",
                entity_id=model.root,
                data={"digest": fingerprint, "counts": model.counts()},
                ts=now,
            )
        return True

    def note_fit(self, report: FitReport, *, actor: str = "system") -> None:
        """Audit a newly fitted model version of an app."""
        key = f"fit.{report.app}"
        record = {
            "version": report.version,
            "trained_until": report.trained_until,
            "metrics": dict(report.metrics),
        }
        now = self._clock()
        with self._audit.transaction():
            self._repo.put_setting(key, record, now=now, actor=actor)
            self._audit.append(
                actor=actor,
                action="fitted_model.registered",
                entity="fitted_model",
                entity_id=f"{report.app}@{report.version}",
                data=record,
                ts=now,
            )
