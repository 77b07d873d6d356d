"""Typed reads and writes of decisions, users, tokens and settings over one store.

The statements are the store's (:mod:`andon.store.decisions`); this module turns its rows
into the decision layer's values (:class:`~andon.decisions.record.DecisionRecord`,
:class:`UserRow`, :class:`TokenRow`) and back.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from andon.decisions._json import canonical, loads_object
from andon.decisions._seal import row_seal
from andon.decisions.access import Role
from andon.decisions.record import DecisionRecord, Status
from andon.proposals import Action, Factor, Option
from andon.store.base import Store
from andon.store.decisions import (
    DecisionRowFilter,
    DecisionTable,
    SettingTable,
    TokenTable,
    UserTable,
)

__all__ = ["DecisionFilter", "Repository", "TokenRow", "UserRow"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionFilter:
    """What a decision list is narrowed to; ``sites=None`` means every site."""

    sites: tuple[str, ...] | None = None
    statuses: tuple[Status, ...] = ()
    app: str | None = None
    supersede_key: str | None = None
    subject_prefix: str | None = None
    created_from: int | None = None
    created_to: int | None = None
    shadow: bool | None = None
    escalated: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRow:
    """A stored user (the password hash stays inside the decision layer)."""

    username: str
    role: Role
    sites: tuple[str, ...]
    password_hash: str | None
    active: bool
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenRow:
    """A stored API token or browser session: only the digest of its secret is kept."""

    id: str
    username: str
    kind: str
    name: str
    secret_hash: str
    sites: tuple[str, ...] | None
    created_at: int
    expires_at: int | None
    revoked: bool


def _to_row(record: DecisionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "app": record.app,
        "kind": record.supersede_key,
        "subject": record.subject,
        "site": record.site,
        "action": canonical(record.action.to_json()),
        "options": canonical(
            [
                {"action": o.action, "expected_cost": o.expected_cost, "description": o.description}
                for o in record.options
            ]
        ),
        "expected_value": record.expected_value,
        "value_low": record.value_low,
        "value_high": record.value_high,
        "confidence": record.confidence,
        "explanation": record.explanation,
        "factors": canonical(
            [
                {"name": f.name, "text": f.text, "weight": f.weight, "value": f.value}
                for f in record.factors
            ]
        ),
        "evidence": canonical(dict(record.evidence)),
        "snapshot": record.snapshot,
        "model_version": record.model_version,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "status": record.status.value,
        "shadow": record.shadow,
        "required_role": record.required_role.value,
        "escalation": record.escalation,
        "superseded_by": record.superseded_by,
        "decided_by": record.decided_by,
        "decided_at": record.decided_at,
        "reason": record.reason,
        "executed_by": record.executed_by,
        "executed_at": record.executed_at,
        "outcome_at": record.outcome_at,
        "realised_value": record.realised_value,
        "outcome_success": record.outcome_success,
        "outcome_detail": canonical(dict(record.outcome_detail)),
        "updated_at": record.updated_at,
        "version": record.version,
    }


def _body(row: dict[str, Any]) -> dict[str, Any]:
    """Return the fields of a record that never change after it is written, parsed."""
    return {
        "id": row["id"],
        "app": row["app"],
        "supersede_key": row["kind"],
        "subject": row["subject"],
        "site": row["site"],
        "action": _action(row["action"], row["subject"]),
        "options": tuple(Option(**o) for o in json.loads(row["options"])),
        "expected_value": float(row["expected_value"]),
        "value_low": row["value_low"],
        "value_high": row["value_high"],
        "confidence": float(row["confidence"]),
        "explanation": row["explanation"],
        "factors": tuple(Factor(**f) for f in json.loads(row["factors"])),
        "evidence": loads_object(row["evidence"]),
        "snapshot": row["snapshot"],
        "model_version": row["model_version"],
        "created_at": int(row["created_at"]),
        "shadow": bool(row["shadow"]),
        "required_role": Role(row["required_role"]),
        "escalation": row["escalation"],
    }


def _action(text: str, subject: str) -> Action:
    """Return a stored action: its JSON document (the ``action`` column)."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        # Written before actions were typed: the text was a label; its kind is unknown,
        # so no executor will act on it.
        return Action(kind="unknown", subject=subject, label=text)
    return Action.from_json(data)


def _head(row: dict[str, Any]) -> dict[str, Any]:
    """Return the fields of a record that its workflow changes."""
    return {
        "status": Status(row["status"]),
        "superseded_by": row["superseded_by"],
        "decided_by": row["decided_by"],
        "decided_at": row["decided_at"],
        "reason": row["reason"],
        "executed_by": row["executed_by"],
        "executed_at": row["executed_at"],
        "outcome_at": row["outcome_at"],
        "realised_value": row["realised_value"],
        "outcome_success": row["outcome_success"],
        "outcome_detail": loads_object(row["outcome_detail"]),
        "updated_at": int(row["updated_at"]),
        "version": int(row["version"]),
        # An unchanged proposal renews its decision: the expiry is part of the head.
        "expires_at": int(row["expires_at"]),
    }


def _from_row(row: dict[str, Any]) -> DecisionRecord:
    return DecisionRecord(**_body(row), **_head(row))


_BODIES_KEPT = 10_000


class _Bodies:
    """The unchanging part of recently listed decisions, parsed, newest use last.

    A decision's body (subject, action, options, evidence, ...) is written once and never
    updated, so it cannot go stale; only the head (status, who decided, outcome, version) is
    read again for every page.
    """

    def __init__(self) -> None:
        self._kept: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        with self._lock:
            found = {i: self._kept[i] for i in ids if i in self._kept}
            for i in found:
                self._kept.move_to_end(i)
        return found

    def put(self, bodies: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            self._kept.update(bodies)
            while len(self._kept) > _BODIES_KEPT:
                self._kept.popitem(last=False)


_ALL_BODIES: weakref.WeakKeyDictionary[Store, _Bodies] = weakref.WeakKeyDictionary()
_ALL_BODIES_LOCK = threading.Lock()


def _bodies_of(store: Store) -> _Bodies:
    with _ALL_BODIES_LOCK:
        bodies = _ALL_BODIES.get(store)
        if bodies is None:
            bodies = _ALL_BODIES[store] = _Bodies()
        return bodies


def _user(row: dict[str, Any]) -> UserRow:
    return UserRow(
        username=row["username"],
        role=Role(row["role"]),
        sites=tuple(json.loads(row["sites"])),
        password_hash=row["password_hash"],
        active=bool(row["active"]),
        created_at=int(row["created_at"]),
        updated_at=int(row["updated_at"]),
    )


def _token(row: dict[str, Any]) -> TokenRow:
    return TokenRow(
        id=row["id"],
        username=row["username"],
        kind=row["kind"],
        name=row["name"],
        secret_hash=row["secret_hash"],
        sites=None if row["sites"] is None else tuple(json.loads(row["sites"])),
        created_at=int(row["created_at"]),
        expires_at=row["expires_at"],
        revoked=bool(row["revoked"]),
    )


def _row_filter(filters: DecisionFilter) -> DecisionRowFilter:
    """Return a decision filter in the table's values."""
    return DecisionRowFilter(
        sites=filters.sites,
        statuses=tuple(s.value for s in filters.statuses),
        app=filters.app,
        kind=filters.supersede_key,
        subject_prefix=filters.subject_prefix,
        created_from=filters.created_from,
        created_to=filters.created_to,
        shadow=filters.shadow,
        escalated=filters.escalated,
    )


def _user_row(user: UserRow) -> dict[str, Any]:
    return {
        "username": user.username,
        "role": user.role.value,
        "sites": json.dumps(list(user.sites)),
        "password_hash": user.password_hash,
        "active": user.active,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


_SHADOW_SCORED = (Status.APPROVED.value, Status.REJECTED.value, Status.EXPIRED.value)
"""The statuses in which a shadow decision's outcome is measured (it is never executed)."""


class Repository:
    """Typed reads and writes of the decision layer's tables over one store."""

    def __init__(self, *, store: Store) -> None:
        self.store = store
        self._decisions = DecisionTable(store=store)
        self._users = UserTable(store=store)
        self._tokens = TokenTable(store=store)
        self._settings = SettingTable(store=store)
        self._bodies = _bodies_of(store)

    # decisions -----------------------------------------------------------------------------

    def insert_decision(self, record: DecisionRecord) -> str:
        """Insert a new decision record; return the seal of the row written
        (:func:`andon.decisions._seal.row_seal`, what its audit entry keeps)."""
        row = _to_row(record)
        self._decisions.insert(row)
        return row_seal(row)

    def update_decision(self, record: DecisionRecord, *, expected_version: int) -> str | None:
        """Write a changed record if nobody changed it since ``expected_version``; return
        the seal of the row written, or ``None`` when someone else changed it first."""
        row = _to_row(record)
        if not self._decisions.update(row, expected_version=expected_version):
            return None
        return row_seal(row)

    def get_decision(self, decision_id: str) -> DecisionRecord | None:
        """Return a decision by id, or ``None``."""
        row = self._decisions.get(decision_id)
        return None if row is None else _from_row(row)

    def open_for_subject(
        self, *, app: str, supersede_key: str, subject: str
    ) -> list[DecisionRecord]:
        """Return undecided decisions of an app for a subject (to supersede)."""
        rows = self._decisions.open_for_subject(
            app=app, kind=supersede_key, subject=subject, status=Status.PROPOSED.value
        )
        return [_from_row(r) for r in rows]

    def due_to_expire(self, *, now: int, limit: int = 10_000) -> list[DecisionRecord]:
        """Return undecided decisions whose expiry is at or before ``now``."""
        rows = self._decisions.due_to_expire(status=Status.PROPOSED.value, now=now, limit=limit)
        return [_from_row(r) for r in rows]

    def list_decisions(
        self, filters: DecisionFilter, *, limit: int, after: tuple[int, str] | None = None
    ) -> list[DecisionRecord]:
        """Return a page of decisions, newest first, after a ``(created_at, id)`` cursor.

        One top-N query of the changing columns only (:meth:`DecisionTable.page
        <andon.store.decisions.DecisionTable.page>`). The unchanging rest of each record
        (evidence, options, explanation: most of its bytes) comes from memory, and from one
        lookup by id for those not seen lately.
        """
        heads = self._decisions.page(_row_filter(filters), limit=limit, after=after)
        ids = [h["id"] for h in heads]
        bodies = self._bodies.get(ids)
        missing = [i for i in ids if i not in bodies]
        if missing:
            fetched = {r["id"]: _body(r) for r in self._decisions.bodies(missing)}
            self._bodies.put(fetched)
            bodies.update(fetched)
        return [DecisionRecord(**bodies[h["id"]], **_head(h)) for h in heads if h["id"] in bodies]

    def awaiting_outcome(self, *, apps: tuple[str, ...], limit: int) -> list[DecisionRecord]:
        """Return decisions of ``apps`` whose outcome is due to be measured, oldest first.

        Executed decisions without an outcome, and shadow decisions once decided or expired
        (they are scored, never executed).
        """
        rows = self._decisions.awaiting_outcome(
            apps=apps, executed=Status.EXECUTED.value, shadow_statuses=_SHADOW_SCORED, limit=limit
        )
        return [_from_row(r) for r in rows]

    def fitted_models(self, *, apps: tuple[str, ...]) -> list[tuple[str, str, str, int]]:
        """Return the newest model version of each app at each site and when it was first
        used: ``(app, model_version, site, first created_at)``, by app and site."""
        newest: dict[tuple[str, str], tuple[str, str, str, int]] = {}
        for r in self._decisions.model_first_use(apps=apps):
            key = (r["app"], r["site"])
            found = (r["app"], r["model_version"], r["site"], int(r["first_at"]))
            if key not in newest or found[3] > newest[key][3]:
                newest[key] = found
        return [newest[k] for k in sorted(newest)]

    def outcome_table(self, *, sites: tuple[str, ...] | None, app: str | None) -> pa.Table:
        """Return the columns an outcome summary needs, one row per decision."""
        return self._decisions.outcome_columns(DecisionRowFilter(sites=sites, app=app))

    # users and tokens ----------------------------------------------------------------------

    def insert_user(self, user: UserRow) -> None:
        """Insert a new user."""
        self._users.insert(_user_row(user))

    def update_user(self, user: UserRow) -> None:
        """Write a user's role, sites, password hash and active flag."""
        self._users.update(_user_row(user))

    def get_user(self, username: str) -> UserRow | None:
        """Return a user by name, or ``None``."""
        row = self._users.get(username)
        return None if row is None else _user(row)

    def list_users(self) -> list[UserRow]:
        """Return every user by name."""
        return [_user(r) for r in self._users.all()]

    def count_users(self) -> int:
        """Return how many users exist."""
        return self._users.count()

    def insert_token(self, token: TokenRow) -> None:
        """Insert a token or session (its secret's digest only)."""
        self._tokens.insert(
            {
                "id": token.id,
                "username": token.username,
                "kind": token.kind,
                "name": token.name,
                "secret_hash": token.secret_hash,
                "sites": None if token.sites is None else json.dumps(list(token.sites)),
                "created_at": token.created_at,
                "expires_at": token.expires_at,
                "revoked": token.revoked,
            }
        )

    def get_token(self, token_id: str) -> TokenRow | None:
        """Return a token by id, or ``None``."""
        row = self._tokens.get(token_id)
        return None if row is None else _token(row)

    def list_tokens(self, username: str | None = None, *, kind: str = "api") -> list[TokenRow]:
        """Return tokens (of one user, or all), oldest first."""
        return [_token(r) for r in self._tokens.of_kind(kind, username=username)]

    def revoke_token(self, token_id: str) -> bool:
        """Revoke a token; return whether it existed and was active."""
        return self._tokens.revoke(token_id)

    def revoke_user_tokens(self, username: str) -> int:
        """Revoke every token and session of a user; return how many."""
        return self._tokens.revoke_user(username)

    def delete_sessions(self, *, before: int) -> int:
        """Delete browser sessions that expired before ``before``."""
        return self._tokens.delete_sessions(before=before)

    # settings ------------------------------------------------------------------------------

    def get_setting(self, key: str) -> Any:
        """Return a setting's JSON value, or ``None`` when unset."""
        text = self._settings.get(key)
        return None if text is None else json.loads(text)

    def put_setting(self, key: str, value: Any, *, now: int, actor: str) -> None:
        """Set a setting's JSON value."""
        self._settings.put(key, canonical(value), now=now, actor=actor)

    def list_settings(self) -> dict[str, Any]:
        """Return every setting."""
        return {key: json.loads(text) for key, text in self._settings.all().items()}
