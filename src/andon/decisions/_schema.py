"""Tables of the decision layer (decisions, audit, users, tokens, settings) in both dialects.

Times are BIGINT UTC microseconds and JSON is TEXT, so one statement runs unchanged on
DuckDB and PostgreSQL. PostgreSQL gets a primary key and secondary indexes for the list
filters. DuckDB's ``decisions`` gets one unique index on ``id``: a lookup or an update by id
then reads no row group (an update checks its row count, never ``RETURNING``, which costs a
DuckDB update at a million rows ten times more). Decision ids begin with their creation time
in hex, so rows lie in id order.
"""

from __future__ import annotations

from andon.store.base import Store

__all__ = ["ensure_schema"]

_TABLES = (
    """CREATE TABLE IF NOT EXISTS decisions (
        id TEXT {key}, app TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
        site TEXT NOT NULL, action TEXT NOT NULL, options TEXT NOT NULL,
        expected_value DOUBLE PRECISION NOT NULL, value_low DOUBLE PRECISION,
        value_high DOUBLE PRECISION, confidence DOUBLE PRECISION NOT NULL,
        explanation TEXT NOT NULL, factors TEXT NOT NULL, evidence TEXT NOT NULL,
        snapshot TEXT NOT NULL, model_version TEXT NOT NULL, created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL, status TEXT NOT NULL, shadow BOOLEAN NOT NULL,
        required_role TEXT NOT NULL, escalation TEXT NOT NULL, superseded_by TEXT,
        decided_by TEXT, decided_at BIGINT, reason TEXT, executed_by TEXT, executed_at BIGINT,
        outcome_at BIGINT, realised_value DOUBLE PRECISION, outcome_success BOOLEAN,
        outcome_detail TEXT, updated_at BIGINT NOT NULL, version INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS audit_log (
        seq BIGINT PRIMARY KEY, ts BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        entity TEXT NOT NULL, entity_id TEXT NOT NULL, site TEXT, data TEXT NOT NULL,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS audit_head (
        id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS users (
        username TEXT PRIMARY KEY, role TEXT NOT NULL, sites TEXT NOT NULL,
        password_hash TEXT, active BOOLEAN NOT NULL, created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS api_tokens (
        id TEXT PRIMARY KEY, username TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
        secret_hash TEXT NOT NULL, sites TEXT, created_at BIGINT NOT NULL, expires_at BIGINT,
        revoked BOOLEAN NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS settings (
        key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at BIGINT NOT NULL,
        updated_by TEXT NOT NULL)""",
)

_DUCKDB_INDEXES = ("CREATE UNIQUE INDEX IF NOT EXISTS decisions_id ON decisions (id)",)

_POSTGRES_INDEXES = (
    "CREATE INDEX IF NOT EXISTS decisions_site_created ON decisions (site, created_at, id)",
    # A site's inbox (one status, optionally one app), newest first: the page query's
    # equalities lead, so the scan reads only matching rows, already in page order.
    "CREATE INDEX IF NOT EXISTS decisions_inbox ON decisions (site, status, app, created_at, id)",
    "CREATE INDEX IF NOT EXISTS decisions_created ON decisions (created_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS decisions_open ON decisions (app, subject, status)",
    "CREATE INDEX IF NOT EXISTS decisions_expiry ON decisions (status, expires_at)",
    "CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (username)",
)

GENESIS = "0" * 64
"""The hash before the first audit entry."""


def ensure_schema(store: Store) -> None:
    """Create the decision layer's tables if they are missing (idempotent)."""
    with store.transaction():
        key = "PRIMARY KEY" if store.dialect == "postgres" else "NOT NULL"
        for statement in _TABLES:
            store.execute(statement.replace("{key}", key))
        indexes = _POSTGRES_INDEXES if store.dialect == "postgres" else _DUCKDB_INDEXES
        for statement in indexes:
            store.execute(statement)
        head = store.execute("SELECT count(*) AS n FROM audit_head WHERE id = 1")
        if int(head.column("n")[0].as_py()) == 0:
            store.execute("INSERT INTO audit_head VALUES (1, 0, ?)", [GENESIS])
