"""Every statement of the decision layer's tables, for both dialects.

The tables are made by migrations :data:`andon.store._sql.DECISION_VERSION` and 4
(``executions``). Statements use ``?`` placeholders and portable types (times are BIGINT
microseconds, JSON is TEXT), so one text runs on DuckDB and PostgreSQL through
:meth:`andon.store.Store.execute`; where the engines differ (the audit head), a builder
takes the dialect. Builders return ``(sql, params)`` and touch no connection, so the tests
can read a plan of exactly what runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AUDIT_COLUMNS",
    "AUDIT_HEAD",
    "AUDIT_RANGE",
    "AUDIT_SET_HEAD",
    "BOOKED_ACTIONS",
    "COUNT_USERS",
    "DECISION_BODY_COLUMNS",
    "DECISION_BY_ID",
    "DECISION_COLUMNS",
    "DECISION_HEAD_COLUMNS",
    "DECISION_MUTABLE",
    "DECISION_STATES",
    "DELETE_SESSIONS",
    "EXECUTIONS_IN_STATE",
    "EXECUTION_BY_ID",
    "EXECUTION_COLUMNS",
    "INSERT_AUDIT",
    "INSERT_DECISION",
    "INSERT_EXECUTION",
    "INSERT_SETTING",
    "INSERT_TOKEN",
    "INSERT_USER",
    "MEASURED_OUTCOMES",
    "OPEN_FOR_SUBJECT",
    "REQUEUE_EXECUTION",
    "REVOKE_TOKEN",
    "REVOKE_USER_TOKENS",
    "SETTING",
    "SETTINGS",
    "TOKEN_BY_ID",
    "TOKEN_COLUMNS",
    "UPDATE_DECISION",
    "UPDATE_EXECUTION",
    "UPDATE_SETTING",
    "UPDATE_USER",
    "USERS",
    "USER_BY_NAME",
    "USER_COLUMNS",
    "DecisionRowFilter",
    "audit_after",
    "audit_entries",
    "audit_next",
    "awaiting_outcome",
    "decision_bodies",
    "decision_page",
    "decision_where",
    "due_to_expire",
    "executions_of",
    "model_first_use",
    "outcome_columns",
    "tokens",
]


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def _insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({_marks(len(columns))})"


# decisions ---------------------------------------------------------------------------------

DECISION_COLUMNS = (
    "id", "app", "kind", "subject", "site", "action", "options", "expected_value", "value_low",
    "value_high", "confidence", "explanation", "factors", "evidence", "snapshot",
    "model_version", "created_at", "expires_at", "status", "shadow", "required_role",
    "escalation", "superseded_by", "decided_by", "decided_at", "reason", "executed_by",
    "executed_at", "outcome_at", "realised_value", "outcome_success", "outcome_detail",
    "updated_at", "version",
)  # fmt: skip
"""The columns of ``decisions`` in table order; ``kind`` holds the supersede key."""

DECISION_MUTABLE = (
    "status", "superseded_by", "decided_by", "decided_at", "reason", "executed_by",
    "executed_at", "outcome_at", "realised_value", "outcome_success", "outcome_detail",
    "updated_at", "version", "expires_at",
)  # fmt: skip
"""The columns a decision's workflow changes (its head; ``expires_at`` moves when an unchanged
proposal renews its decision); every other column is written once."""

DECISION_BODY_COLUMNS = tuple(c for c in DECISION_COLUMNS if c not in DECISION_MUTABLE)
"""The columns written once and never updated (a decision's body)."""

DECISION_HEAD_COLUMNS = ("id", *DECISION_MUTABLE)
"""The id and the changing columns: what a page of decisions reads from the table."""

_SELECT = ", ".join(DECISION_COLUMNS)

INSERT_DECISION = _insert("decisions", DECISION_COLUMNS)
"""Parameters: every column of :data:`DECISION_COLUMNS`, in order."""

# No RETURNING: on DuckDB it turns a one-row update of a million-row table from about
# 1.5 ms into more than 10 ms; the statement's row count says the same.
UPDATE_DECISION = (
    f"UPDATE decisions SET {', '.join(f'{c} = ?' for c in DECISION_MUTABLE)} "
    "WHERE id = ? AND version = ?"
)
"""Parameters: :data:`DECISION_MUTABLE` in order, the id, the version expected."""

DECISION_BY_ID = f"SELECT {_SELECT} FROM decisions WHERE id = ?"

DECISION_STATES = f"SELECT {_SELECT} FROM decisions WHERE id > ? ORDER BY id LIMIT ?"
"""Parameters: the last id of the previous batch (``''`` first), the batch's size: every row
in id order, a batch at a time (what ``andon audit verify`` checks against the chain)."""

OPEN_FOR_SUBJECT = (
    f"SELECT {_SELECT} FROM decisions WHERE app = ? AND subject = ? AND kind = ? AND status = ?"
)
"""Parameters: app, subject, supersede key, the undecided status."""

BOOKED_ACTIONS = (
    "SELECT subject, action FROM decisions WHERE app = ? "
    "AND status IN ('approved', 'executed') AND updated_at >= ?"
)
"""Parameters: app, the earliest decision time included (approved or carried out since)."""

MEASURED_OUTCOMES = (
    "SELECT outcome_at, outcome_success FROM decisions WHERE app = ? AND site = ? "
    "AND outcome_success IS NOT NULL AND outcome_at <= ?"
)
"""Parameters: app, site, the last outcome time included."""


def due_to_expire(*, status: str, now: int, limit: int) -> tuple[str, list[Any]]:
    """Return the query of decisions in ``status`` whose expiry is at or before ``now``."""
    sql = (
        f"SELECT {_SELECT} FROM decisions WHERE status = ? AND expires_at <= ? "
        f"ORDER BY expires_at LIMIT {int(limit)}"
    )
    return sql, [status, now]


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRowFilter:
    """What a query of ``decisions`` is narrowed to, in the table's values.

    ``sites=None`` means every site, ``()`` none; ``kind`` is the supersede key; a subject
    prefix matches the path itself and every path below it.
    """

    sites: tuple[str, ...] | None = None
    statuses: tuple[str, ...] = ()
    app: str | None = None
    kind: str | None = None
    subject_prefix: str | None = None
    created_from: int | None = None
    created_to: int | None = None
    shadow: bool | None = None
    escalated: bool | None = None


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"


def decision_where(filters: DecisionRowFilter) -> tuple[str, list[Any]]:
    """Return the ``WHERE`` clause (with its leading space, or empty) and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.sites is not None:
        if not filters.sites:
            return " WHERE FALSE", []
        clauses.append(f"site IN ({_marks(len(filters.sites))})")
        params.extend(filters.sites)
    if filters.statuses:
        clauses.append(f"status IN ({_marks(len(filters.statuses))})")
        params.extend(filters.statuses)
    if filters.app is not None:
        clauses.append("app = ?")
        params.append(filters.app)
    if filters.kind is not None:
        clauses.append("kind = ?")
        params.append(filters.kind)
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


def decision_page(
    filters: DecisionRowFilter, *, limit: int, after: tuple[int, str] | None = None
) -> tuple[str, list[Any]]:
    """Return a page's top-N query of the changing columns, newest first, after a cursor.

    One site and one status are equalities (``IN`` of one value is ``=`` to PostgreSQL),
    so its ``(site, status, app, created_at, id)`` index hands the newest rows of a site's
    inbox, of one app or of all, in order; the path prefix is checked on those. DuckDB
    pushes the running top-N bound into its scan, so row groups older than the page are
    skipped by their zone maps.
    """
    where, params = decision_where(filters)
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
        f"SELECT {', '.join(DECISION_HEAD_COLUMNS)} FROM decisions{where} "
        f"ORDER BY created_at DESC, id DESC LIMIT {int(limit)}"
    )
    return sql, params


def decision_bodies(count: int) -> str:
    """Return the lookup of ``count`` decisions' unchanging columns by id."""
    return f"SELECT {', '.join(DECISION_BODY_COLUMNS)} FROM decisions WHERE id IN ({_marks(count)})"


def awaiting_outcome(
    *,
    apps: Sequence[str],
    executed: str,
    shadow_statuses: Sequence[str],
    limit: int,
) -> tuple[str, list[Any]]:
    """Return the query of decisions of ``apps`` whose outcome is due, oldest first.

    Decisions in ``executed`` without an outcome, and shadow decisions in one of
    ``shadow_statuses`` (they are scored, never executed).
    """
    sql = (
        f"SELECT {_SELECT} FROM decisions WHERE app IN ({_marks(len(apps))}) "
        f"AND outcome_at IS NULL AND (status = ? OR (shadow AND status IN "
        f"({_marks(len(shadow_statuses))}))) ORDER BY created_at, id LIMIT {int(limit)}"
    )
    return sql, [*apps, executed, *shadow_statuses]


def model_first_use(apps: Sequence[str]) -> tuple[str, list[Any]]:
    """Return the query of when each model version of ``apps`` was first used at each site."""
    sql = (
        "SELECT app, model_version, site, min(created_at) AS first_at FROM decisions "
        f"WHERE app IN ({_marks(len(apps))}) AND model_version <> '' "
        "GROUP BY app, model_version, site"
    )
    return sql, list(apps)


def outcome_columns(filters: DecisionRowFilter) -> tuple[str, list[Any]]:
    """Return the query of the columns an outcome summary needs, one row per decision."""
    where, params = decision_where(filters)
    sql = (
        "SELECT app, status, shadow, expected_value, confidence, outcome_at, "
        f"realised_value, outcome_success FROM decisions{where}"
    )
    return sql, params


def decision_figures(filters: DecisionRowFilter) -> tuple[str, list[Any]]:
    """Return the query of what the inbox's figures need, one row per decision: its site,
    app, creation time, status, shadow flag, expected value and measured outcome."""
    where, params = decision_where(filters)
    sql = (
        "SELECT site, app, created_at, status, shadow, expected_value, outcome_at, "
        f"realised_value, outcome_success FROM decisions{where}"
    )
    return sql, params


def ids_with_prefix(prefix: str, *, limit: int) -> tuple[str, list[Any]]:
    """Return the query of the ids that start with ``prefix`` (a literal, not a pattern)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    sql = (
        "SELECT id, subject FROM decisions WHERE id LIKE ? ESCAPE '\\' "
        f"ORDER BY id LIMIT {int(limit)}"
    )
    return sql, [escaped + "%"]


# users, tokens, settings -------------------------------------------------------------------

USER_COLUMNS = (
    "username", "role", "sites", "password_hash", "active", "created_at", "updated_at",
)  # fmt: skip
"""The columns of ``users``; ``sites`` is a JSON array."""

INSERT_USER = _insert("users", USER_COLUMNS)
UPDATE_USER = (
    "UPDATE users SET role = ?, sites = ?, password_hash = ?, active = ?, updated_at = ? "
    "WHERE username = ?"
)
USER_BY_NAME = f"SELECT {', '.join(USER_COLUMNS)} FROM users WHERE username = ?"
USERS = f"SELECT {', '.join(USER_COLUMNS)} FROM users ORDER BY username"
COUNT_USERS = "SELECT count(*) AS n FROM users"

TOKEN_COLUMNS = (
    "id", "username", "kind", "name", "secret_hash", "sites", "created_at", "expires_at",
    "revoked",
)  # fmt: skip
"""The columns of ``api_tokens``; ``sites`` is a JSON array or NULL (the user's sites)."""

INSERT_TOKEN = _insert("api_tokens", TOKEN_COLUMNS)
TOKEN_BY_ID = f"SELECT {', '.join(TOKEN_COLUMNS)} FROM api_tokens WHERE id = ?"
REVOKE_TOKEN = "UPDATE api_tokens SET revoked = TRUE WHERE id = ? AND NOT revoked"  # noqa: S105 - a statement, no secret
REVOKE_USER_TOKENS = "UPDATE api_tokens SET revoked = TRUE WHERE username = ? AND NOT revoked"
DELETE_SESSIONS = "DELETE FROM api_tokens WHERE kind = 'session' AND expires_at < ?"


def tokens(*, kind: str, username: str | None) -> tuple[str, list[Any]]:
    """Return the query of the tokens of a kind (of one user, or all), oldest first."""
    sql = f"SELECT {', '.join(TOKEN_COLUMNS)} FROM api_tokens WHERE kind = ?"
    params: list[Any] = [kind]
    if username is not None:
        sql += " AND username = ?"
        params.append(username)
    return sql + " ORDER BY created_at, id", params


SETTING = "SELECT value FROM settings WHERE key = ?"
SETTINGS = "SELECT key, value FROM settings ORDER BY key"
UPDATE_SETTING = "UPDATE settings SET value = ?, updated_at = ?, updated_by = ? WHERE key = ?"
INSERT_SETTING = "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)"

# audit -------------------------------------------------------------------------------------

AUDIT_COLUMNS = (
    "seq", "ts", "actor", "action", "entity", "entity_id", "site", "data", "prev_hash", "hash",
)  # fmt: skip
"""The columns of ``audit_log``; ``data`` is canonical JSON."""

_AUDIT_SELECT = ", ".join(AUDIT_COLUMNS)

INSERT_AUDIT = _insert("audit_log", AUDIT_COLUMNS)
AUDIT_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1"
AUDIT_SET_HEAD = "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"
AUDIT_RANGE = f"SELECT {_AUDIT_SELECT} FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq"
"""Parameters: the last sequence number before the range, the last in it."""


def audit_next(dialect: str) -> tuple[str, bool]:
    """Return the statement that reads the head to append after, and whether it advances it.

    PostgreSQL: ``UPDATE ... RETURNING`` takes the head's row lock, which holds every other
    appender until this transaction ends, and returns the next number. DuckDB has one
    writer per database and the store serialises its transactions: a read is enough, and
    the number read is the last one, not the next.
    """
    if dialect == "postgres":
        return "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash", True
    return AUDIT_HEAD, False


def audit_entries(
    *,
    after_seq: int | None,
    before_seq: int | None,
    entity: str | None,
    entity_id: str | None,
    sites: tuple[str, ...] | None,
    include_global: bool,
    limit: int,
) -> tuple[str, list[Any]]:
    """Return the query of audit entries newest first; ``sites=None`` means every site.

    ``include_global`` adds the entries of no site (users, settings) to a site scope.
    """
    clauses: list[str] = []
    params: list[Any] = []
    if after_seq is not None:
        clauses.append("seq > ?")
        params.append(after_seq)
    if before_seq is not None:
        clauses.append("seq < ?")
        params.append(before_seq)
    if entity is not None:
        clauses.append("entity = ?")
        params.append(entity)
    if entity_id is not None:
        clauses.append("entity_id = ?")
        params.append(entity_id)
    if sites is not None:
        scope = [f"site IN ({_marks(len(sites))})"] if sites else []
        params.extend(sites)
        if include_global:
            scope.append("site IS NULL")
        clauses.append("(" + (" OR ".join(scope) or "FALSE") + ")")
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = f"SELECT {_AUDIT_SELECT} FROM audit_log{where} ORDER BY seq DESC LIMIT {int(limit)}"
    return sql, params


def audit_after(limit: int) -> str:
    """Return the query of the next ``limit`` entries after a sequence number, in order."""
    return f"SELECT {_AUDIT_SELECT} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT {int(limit)}"


# executions --------------------------------------------------------------------------------

EXECUTION_COLUMNS = (
    "decision_id", "executor", "app", "subject", "site", "action", "state", "detail",
    "reference", "attempts", "next_attempt_at", "created_at", "updated_at",
)  # fmt: skip
"""The columns of ``executions``; ``action`` is the typed action's JSON document."""

_EXECUTION_SELECT = ", ".join(EXECUTION_COLUMNS)

INSERT_EXECUTION = _insert("executions", EXECUTION_COLUMNS)
EXECUTION_BY_ID = f"SELECT {_EXECUTION_SELECT} FROM executions WHERE decision_id = ?"
EXECUTIONS_IN_STATE = (
    f"SELECT {_EXECUTION_SELECT} FROM executions WHERE state = ? "
    "ORDER BY updated_at, decision_id LIMIT ?"
)
UPDATE_EXECUTION = (
    "UPDATE executions SET state = ?, detail = ?, reference = ?, attempts = ?, "
    "next_attempt_at = ?, updated_at = ? WHERE decision_id = ?"
)
REQUEUE_EXECUTION = (
    "UPDATE executions SET state = ?, next_attempt_at = NULL, updated_at = ? WHERE decision_id = ?"
)


def executions_of(count: int) -> str:
    """Return the lookup of ``count`` executions by decision id."""
    return f"SELECT {_EXECUTION_SELECT} FROM executions WHERE decision_id IN ({_marks(count)})"
