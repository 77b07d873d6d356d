"""Every SQL statement of decisions, users, tokens and settings (the audit log has its own).

Statements use ``?`` placeholders and portable types so that they run unchanged on DuckDB
and PostgreSQL through :meth:`andon.store.Store.execute`.
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
from andon.decisions.access import Role
from andon.decisions.record import DecisionRecord, Status
from andon.proposals import Action, Factor, Option
from andon.store.base import Store

__all__ = ["DecisionFilter", "Repository", "TokenRow", "UserRow"]

_DECISION_COLUMNS = (
    "id", "app", "kind", "subject", "site", "action", "options", "expected_value", "value_low",
    "value_high", "confidence", "explanation", "factors", "evidence", "snapshot",
    "model_version", "created_at", "expires_at", "status", "shadow", "required_role",
    "escalation", "superseded_by", "decided_by", "decided_at", "reason", "executed_by",
    "executed_at", "outcome_at", "realised_value", "outcome_success", "outcome_detail",
    "updated_at", "version",
)  # fmt: skip
_SELECT = ", ".join(_DECISION_COLUMNS)
_MUTABLE = tuple(
    c
    for c in _DECISION_COLUMNS
    if c
    in {
        "status", "superseded_by", "decided_by", "decided_at", "reason", "executed_by",
        "executed_at", "outcome_at", "realised_value", "outcome_success", "outcome_detail",
        "updated_at", "version",
    }
)  # fmt: skip


def _count(result: pa.Table) -> int:
    """Return the rows a DML statement changed (the ``Count`` both stores report)."""
    return int(result.column("Count")[0].as_py()) if result.num_rows else 0


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"


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
        "expires_at": int(row["expires_at"]),
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
    }


def _from_row(row: dict[str, Any]) -> DecisionRecord:
    return DecisionRecord(**_body(row), **_head(row))


_BODY_COLUMNS = ", ".join(c for c in _DECISION_COLUMNS if c not in _MUTABLE)
_HEAD_COLUMNS = ", ".join(("id", *_MUTABLE))
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


class Repository:
    """Typed reads and writes of the decision layer's tables over one store."""

    def __init__(self, *, store: Store) -> None:
        self.store = store
        self._bodies = _bodies_of(store)

    # decisions -----------------------------------------------------------------------------

    def insert_decision(self, record: DecisionRecord) -> None:
        """Insert a new decision record."""
        row = _to_row(record)
        marks = ", ".join("?" * len(_DECISION_COLUMNS))
        self.store.execute(
            f"INSERT INTO decisions ({_SELECT}) VALUES ({marks})",
            [row[c] for c in _DECISION_COLUMNS],
        )

    def update_decision(self, record: DecisionRecord, *, expected_version: int) -> bool:
        """Write a changed record if nobody changed it since ``expected_version``.

        No ``RETURNING``: on DuckDB it turns a one-row update of a million-row table from
        about 1.5 ms into more than 10 ms; the statement's row count says the same.
        """
        row = _to_row(record)
        sets = ", ".join(f"{c} = ?" for c in _MUTABLE)
        result = self.store.execute(
            f"UPDATE decisions SET {sets} WHERE id = ? AND version = ?",
            [*(row[c] for c in _MUTABLE), record.id, expected_version],
        )
        return _count(result) == 1

    def get_decision(self, decision_id: str) -> DecisionRecord | None:
        """Return a decision by id, or ``None``."""
        rows = self.store.rows(f"SELECT {_SELECT} FROM decisions WHERE id = ?", [decision_id])
        return _from_row(rows[0]) if rows else None

    def open_for_subject(
        self, *, app: str, supersede_key: str, subject: str
    ) -> list[DecisionRecord]:
        """Return undecided decisions of an app for a subject (to supersede)."""
        rows = self.store.rows(
            f"SELECT {_SELECT} FROM decisions WHERE app = ? AND subject = ? AND kind = ? "
            "AND status = ?",
            [app, subject, supersede_key, Status.PROPOSED.value],
        )
        return [_from_row(r) for r in rows]

    def due_to_expire(self, *, now: int, limit: int = 10_000) -> list[DecisionRecord]:
        """Return undecided decisions whose expiry is at or before ``now``."""
        rows = self.store.rows(
            f"SELECT {_SELECT} FROM decisions WHERE status = ? AND expires_at <= ? "
            f"ORDER BY expires_at LIMIT {int(limit)}",
            [Status.PROPOSED.value, now],
        )
        return [_from_row(r) for r in rows]

    @staticmethod
    def _where(filters: DecisionFilter) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if filters.sites is not None:
            if not filters.sites:
                return " WHERE FALSE", []
            clauses.append(f"site IN ({', '.join('?' * len(filters.sites))})")
            params.extend(filters.sites)
        if filters.statuses:
            clauses.append(f"status IN ({', '.join('?' * len(filters.statuses))})")
            params.extend(s.value for s in filters.statuses)
        if filters.app is not None:
            clauses.append("app = ?")
            params.append(filters.app)
        if filters.supersede_key is not None:
            clauses.append("kind = ?")
            params.append(filters.supersede_key)
        if filters.subject_prefix:
            prefix = filters.subject_prefix.rstrip("/")
            clauses.append("(subject = ? OR subject LIKE ? ESCAPE '\\')")
            params.extend([prefix, _like_prefix(prefix)])
        if filters.created_from is not None:
            clauses.append("created_at >= ?")
            params.append(filters.created_from)
        if filters.created_to is not None:
            clauses.append("created_at < ?")
            params.append(filters.created_to)
        if filters.shadow is not None:
            clauses.append("shadow = ?")
            params.append(filters.shadow)
        if filters.escalated is not None:
            clauses.append("escalation <> ''" if filters.escalated else "escalation = ''")
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def page_query(
        self, filters: DecisionFilter, *, limit: int, after: tuple[int, str] | None = None
    ) -> tuple[str, list[Any]]:
        """Return the SQL and parameters of a page's top-N query of the changing columns.

        One site and one status are equalities (``IN`` of one value is ``=`` to PostgreSQL),
        so its ``(site, status, app, created_at, id)`` index hands the newest rows of a
        site's inbox, of one app or of all, in order; the path prefix is checked on those.
        """
        where, params = self._where(filters)
        if after is not None:
            # ``created_at <= ?`` alone, then the tie: PostgreSQL starts its index scan at
            # the cursor and DuckDB skips newer row groups, where ``a < ? OR (a = ? AND
            # b < ?)`` is a filter on every newer row (PostgreSQL, halfway down a million
            # rows: 86 ms against 1.7 ms; DuckDB 21 against 7 ms; a row comparison
            # ``(a, b) < (?, ?)`` is as quick on PostgreSQL but takes DuckDB 40 ms).
            where += (" AND " if where else " WHERE ") + (
                "created_at <= ? AND (created_at < ? OR id < ?)"
            )
            params.extend([after[0], after[0], after[1]])
        sql = (
            f"SELECT {_HEAD_COLUMNS} FROM decisions{where} "
            f"ORDER BY created_at DESC, id DESC LIMIT {int(limit)}"
        )
        return sql, params

    def list_decisions(
        self, filters: DecisionFilter, *, limit: int, after: tuple[int, str] | None = None
    ) -> list[DecisionRecord]:
        """Return a page of decisions, newest first, after a ``(created_at, id)`` cursor.

        One top-N query of the changing columns only (:meth:`page_query`): PostgreSQL walks
        one of its ``(..., created_at, id)`` indexes backwards from the cursor; DuckDB pushes
        the running top-N bound into its scan, so row groups older than the page are skipped
        by their zone maps. The unchanging rest of each record (evidence, options,
        explanation: most of its bytes) comes from memory, and from one lookup by id for
        those not seen lately.
        """
        heads = self.store.rows(*self.page_query(filters, limit=limit, after=after))
        ids = [h["id"] for h in heads]
        bodies = self._bodies.get(ids)
        missing = [i for i in ids if i not in bodies]
        if missing:
            fetched = {
                r["id"]: _body(r)
                for r in self.store.rows(
                    f"SELECT {_BODY_COLUMNS} FROM decisions "
                    f"WHERE id IN ({', '.join('?' * len(missing))})",
                    missing,
                )
            }
            self._bodies.put(fetched)
            bodies.update(fetched)
        return [DecisionRecord(**bodies[h["id"]], **_head(h)) for h in heads if h["id"] in bodies]

    def awaiting_outcome(self, *, apps: tuple[str, ...], limit: int) -> list[DecisionRecord]:
        """Return decisions of ``apps`` whose outcome is due to be measured, oldest first.

        Executed decisions without an outcome, and shadow decisions once decided or expired
        (they are scored, never executed).
        """
        if not apps:
            return []
        marks = ", ".join("?" * len(apps))
        rows = self.store.rows(
            f"SELECT {_SELECT} FROM decisions WHERE app IN ({marks}) AND outcome_at IS NULL "
            "AND (status = ? OR (shadow AND status IN (?, ?, ?))) "
            f"ORDER BY created_at, id LIMIT {int(limit)}",
            [
                *apps,
                Status.EXECUTED.value,
                Status.APPROVED.value,
                Status.REJECTED.value,
                Status.EXPIRED.value,
            ],
        )
        return [_from_row(r) for r in rows]

    def fitted_models(self, *, apps: tuple[str, ...]) -> list[tuple[str, str, str, int]]:
        """Return the newest model version of each app at each site and when it was first
        used: ``(app, model_version, site, first created_at)``, by app and site."""
        if not apps:
            return []
        marks = ", ".join("?" * len(apps))
        rows = self.store.rows(
            "SELECT app, model_version, site, min(created_at) AS first_at FROM decisions "
            f"WHERE app IN ({marks}) AND model_version <> '' "
            "GROUP BY app, model_version, site",
            list(apps),
        )
        newest: dict[tuple[str, str], tuple[str, str, str, int]] = {}
        for r in rows:
            key = (r["app"], r["site"])
            found = (r["app"], r["model_version"], r["site"], int(r["first_at"]))
            if key not in newest or found[3] > newest[key][3]:
                newest[key] = found
        return [newest[k] for k in sorted(newest)]

    def outcome_table(self, *, sites: tuple[str, ...] | None, app: str | None) -> pa.Table:
        """Return the columns an outcome summary needs, one row per decision."""
        where, params = self._where(DecisionFilter(sites=sites, app=app))
        return self.store.execute(
            "SELECT app, status, shadow, expected_value, confidence, outcome_at, "
            f"realised_value, outcome_success FROM decisions{where}",
            params,
        )

    # users and tokens ----------------------------------------------------------------------

    def insert_user(self, user: UserRow) -> None:
        """Insert a new user."""
        self.store.execute(
            "INSERT INTO users (username, role, sites, password_hash, active, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                user.username,
                user.role.value,
                json.dumps(list(user.sites)),
                user.password_hash,
                user.active,
                user.created_at,
                user.updated_at,
            ],
        )

    def update_user(self, user: UserRow) -> None:
        """Write a user's role, sites, password hash and active flag."""
        self.store.execute(
            "UPDATE users SET role = ?, sites = ?, password_hash = ?, active = ?, updated_at = ? "
            "WHERE username = ?",
            [
                user.role.value,
                json.dumps(list(user.sites)),
                user.password_hash,
                user.active,
                user.updated_at,
                user.username,
            ],
        )

    def get_user(self, username: str) -> UserRow | None:
        """Return a user by name, or ``None``."""
        rows = self.store.rows(
            "SELECT username, role, sites, password_hash, active, created_at, updated_at "
            "FROM users WHERE username = ?",
            [username],
        )
        return _user(rows[0]) if rows else None

    def list_users(self) -> list[UserRow]:
        """Return every user by name."""
        rows = self.store.rows(
            "SELECT username, role, sites, password_hash, active, created_at, updated_at "
            "FROM users ORDER BY username"
        )
        return [_user(r) for r in rows]

    def count_users(self) -> int:
        """Return how many users exist."""
        table = self.store.execute("SELECT count(*) AS n FROM users")
        return int(table.column("n")[0].as_py())

    def insert_token(self, token: TokenRow) -> None:
        """Insert a token or session (its secret's digest only)."""
        self.store.execute(
            "INSERT INTO api_tokens (id, username, kind, name, secret_hash, sites, created_at, "
            "expires_at, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                token.id,
                token.username,
                token.kind,
                token.name,
                token.secret_hash,
                None if token.sites is None else json.dumps(list(token.sites)),
                token.created_at,
                token.expires_at,
                token.revoked,
            ],
        )

    def get_token(self, token_id: str) -> TokenRow | None:
        """Return a token by id, or ``None``."""
        rows = self.store.rows(
            "SELECT id, username, kind, name, secret_hash, sites, created_at, expires_at, "
            "revoked FROM api_tokens WHERE id = ?",
            [token_id],
        )
        return _token(rows[0]) if rows else None

    def list_tokens(self, username: str | None = None, *, kind: str = "api") -> list[TokenRow]:
        """Return tokens (of one user, or all), oldest first."""
        sql = (
            "SELECT id, username, kind, name, secret_hash, sites, created_at, expires_at, "
            "revoked FROM api_tokens WHERE kind = ?"
        )
        params: list[Any] = [kind]
        if username is not None:
            sql += " AND username = ?"
            params.append(username)
        rows = self.store.rows(sql + " ORDER BY created_at, id", params)
        return [_token(r) for r in rows]

    def revoke_token(self, token_id: str) -> bool:
        """Revoke a token; return whether it existed and was active."""
        result = self.store.execute(
            "UPDATE api_tokens SET revoked = TRUE WHERE id = ? AND NOT revoked", [token_id]
        )
        return _count(result) == 1

    def revoke_user_tokens(self, username: str) -> int:
        """Revoke every token and session of a user; return how many."""
        result = self.store.execute(
            "UPDATE api_tokens SET revoked = TRUE WHERE username = ? AND NOT revoked",
            [username],
        )
        return _count(result)

    def delete_sessions(self, *, before: int) -> int:
        """Delete browser sessions that expired before ``before``."""
        result = self.store.execute(
            "DELETE FROM api_tokens WHERE kind = 'session' AND expires_at < ?", [before]
        )
        return _count(result)

    # settings ------------------------------------------------------------------------------

    def get_setting(self, key: str) -> Any:
        """Return a setting's JSON value, or ``None`` when unset."""
        rows = self.store.rows("SELECT value FROM settings WHERE key = ?", [key])
        return json.loads(rows[0]["value"]) if rows else None

    def put_setting(self, key: str, value: Any, *, now: int, actor: str) -> None:
        """Set a setting's JSON value."""
        text = canonical(value)
        updated = self.store.execute(
            "UPDATE settings SET value = ?, updated_at = ?, updated_by = ? WHERE key = ?",
            [text, now, actor, key],
        )
        if _count(updated) == 0:
            self.store.execute(
                "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)",
                [key, text, now, actor],
            )

    def list_settings(self) -> dict[str, Any]:
        """Return every setting."""
        rows = self.store.rows("SELECT key, value FROM settings ORDER BY key")
        return {r["key"]: json.loads(r["value"]) for r in rows}
