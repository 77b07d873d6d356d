"""SQL shared by both stores: table definitions, migrations, queries that differ by dialect only.

Every table andon keeps is made here: the record tables, quarantine and the batch ledger,
the decision layer's tables (decisions, audit, users, tokens, settings) and the ledger of
auxiliary tables (:mod:`andon.store._aux`). A change of any of them is a new
:class:`Migration` at the end of :data:`MIGRATIONS`, never an edit of an old one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from andon.records import KIND_SCHEMAS, NATURAL_KEYS, PATH_COLUMNS, RecordKind
from andon.store.base import QUARANTINE_SCHEMA

__all__ = [
    "DECISION_TABLES",
    "DECISION_VERSION",
    "GENESIS",
    "LIST_TABLES",
    "MIGRATIONS",
    "QUARANTINE_SUMMARY",
    "SCHEMA_MIGRATIONS_TABLE",
    "Migration",
    "column_sql",
    "key_index_columns",
    "lead_column",
    "quarantine_where",
    "sql_type",
    "state_intervals_sql",
    "table_name",
]


def table_name(kind: RecordKind) -> str:
    """Return the table that stores a record kind (``order`` is a reserved word, so a suffix)."""
    return f"rec_{kind.value}"


def sql_type(arrow_type: pa.DataType) -> str:
    """Return the column type (the same spelling in both dialects) that stores an Arrow type."""
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ"
    if pa.types.is_int64(arrow_type):
        return "BIGINT"
    if pa.types.is_int32(arrow_type):
        return "INTEGER"
    if pa.types.is_floating(arrow_type):
        return "DOUBLE PRECISION"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    return "TEXT"


def column_sql(schema: pa.Schema) -> str:
    """Return the column list of a CREATE TABLE for an Arrow schema."""
    return ", ".join(
        f'"{f.name}" {sql_type(f.type)}{"" if f.nullable else " NOT NULL"}' for f in schema
    )


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema version: statements for a dialect, applied in one transaction.

    ``statements(dialect, tables)`` is given the dialect (``"duckdb"`` or ``"postgres"``)
    and the tables already in the store's schema, so that a step adopting tables made
    before migrations knew of them can tell a new store from an old one.
    """

    version: int
    description: str
    statements: Callable[[str, frozenset[str]], list[str]]


SCHEMA_MIGRATIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
    "description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
)
"""The ledger of applied migrations: the one table that exists before the first migration."""

LIST_TABLES = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
)
"""The tables of the store's schema (DuckDB's ``main``, PostgreSQL's search path)."""


def lead_column(kind: RecordKind) -> str:
    """Return the identifying column that leads a kind's unique index (its path, mostly)."""
    return next(k for k in NATURAL_KEYS[kind] if k not in {"source", "ts", "seq"})


def key_index_columns(kind: RecordKind) -> tuple[str, ...]:
    """Return the natural key ordered for PostgreSQL's unique index: lead column, ts, the rest.

    One index serves three purposes: it refuses a second copy of a record (``ON CONFLICT``),
    it answers "values of these tags over this time range" (path, then ts), and it lets a
    write probe cheaply whether a batch overlaps what is stored (lead values and ts range).
    A second index would cost ingest about a third of its speed.
    """
    lead = lead_column(kind)
    rest = tuple(k for k in NATURAL_KEYS[kind] if k not in {lead, "ts"})
    return (lead, "ts", *rest)


def _postgres_indexes(kind: RecordKind) -> list[str]:
    table = table_name(kind)
    lead = lead_column(kind)
    # Byte order (COLLATE "C") makes a path prefix one index range whatever the database's
    # collation.
    keys = ", ".join(
        f'"{k}" COLLATE "C"' if k == lead else f'"{k}"' for k in key_index_columns(kind)
    )
    statements = [f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_key ON {table} ({keys})"]
    path = PATH_COLUMNS.get(kind)
    if path is not None and path != lead:
        statements.append(
            f'CREATE INDEX IF NOT EXISTS {table}_path_ts ON {table} ("{path}" COLLATE "C", ts)'
        )
    return statements


def _initial(dialect: str, tables: frozenset[str]) -> list[str]:
    del tables  # the first version: nothing of andon's is there yet
    statements = []
    for kind, schema in KIND_SCHEMAS.items():
        table = table_name(kind)
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({column_sql(schema)})")
        if dialect == "postgres":
            statements.extend(_postgres_indexes(kind))
    statements.append(f"CREATE TABLE IF NOT EXISTS quarantine ({column_sql(QUARANTINE_SCHEMA)})")
    statements.append(
        "CREATE TABLE IF NOT EXISTS store_batches (kind TEXT NOT NULL, batch_id TEXT NOT NULL, "
        "rows BIGINT NOT NULL, written_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (kind, batch_id))"
    )
    return statements


GENESIS = "0" * 64
"""The hash before the first audit entry (the ``audit_head`` row of an empty chain)."""

DECISION_TABLES = ("decisions", "audit_log", "audit_head", "users", "api_tokens", "settings")
"""The decision layer's tables, made by migration :data:`DECISION_VERSION`."""

DECISION_VERSION = 2
"""The migration that makes the decision layer's tables."""

# Times are BIGINT UTC microseconds and JSON is TEXT, so the decision layer's statements
# run unchanged on both engines. ``action`` holds the typed action as a JSON document and
# ``kind`` is the supersede key (one open decision per app, subject and kind).
_DECISION_DDL = (
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

# DuckDB's decisions get one unique index on id: a lookup or an update by id then reads no
# row group (an update checks its row count, never RETURNING, which costs a DuckDB update
# at a million rows ten times more). Decision ids begin with their creation time in hex,
# so rows lie in id order. PostgreSQL gets a primary key and indexes for the list filters.
_DECISION_INDEXES = {
    "duckdb": ("CREATE UNIQUE INDEX IF NOT EXISTS decisions_id ON decisions (id)",),
    "postgres": (
        "CREATE INDEX IF NOT EXISTS decisions_site_created ON decisions (site, created_at, id)",
        # A site's inbox (one status, optionally one app), newest first: the page query's
        # equalities lead, so the scan reads only matching rows, already in page order.
        (
            "CREATE INDEX IF NOT EXISTS decisions_inbox "
            "ON decisions (site, status, app, created_at, id)"
        ),
        "CREATE INDEX IF NOT EXISTS decisions_created ON decisions (created_at DESC, id DESC)",
        "CREATE INDEX IF NOT EXISTS decisions_open ON decisions (app, subject, status)",
        "CREATE INDEX IF NOT EXISTS decisions_expiry ON decisions (status, expires_at)",
        "CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (username)",
    ),
}


def _decision_layer(dialect: str, tables: frozenset[str]) -> list[str]:
    # Adoption: before this migration the decision layer made these tables itself, with the
    # same statements, on first use; a store from then has them (and their rows) but no
    # migration row. IF NOT EXISTS, in this one step only, lets such a store take the
    # migration as it is while a new store gets its tables from it. Later changes of these
    # tables are migrations of their own, without IF NOT EXISTS.
    del tables
    key = "PRIMARY KEY" if dialect == "postgres" else "NOT NULL"
    statements = [ddl.replace("{key}", key) for ddl in _DECISION_DDL]
    statements.extend(_DECISION_INDEXES[dialect])
    statements.append(
        f"INSERT INTO audit_head SELECT 1, 0, '{GENESIS}' "
        "WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1)"
    )
    return statements


def _aux_ledger(dialect: str, tables: frozenset[str]) -> list[str]:
    del dialect
    statements = [
        (
            "CREATE TABLE aux_migrations (name TEXT NOT NULL, version INTEGER NOT NULL, "
            "description TEXT NOT NULL, columns TEXT NOT NULL, "
            "applied_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (name, version))"
        )
    ]
    # The KPI day state was once written to a table renamed by hand (``_v2``) when its
    # layout grew; the newer layout becomes the table of its own name again, and the KPI
    # layer's declaration (andon.kpi) adopts it as version 1 of that name.
    if "aux_kpi_day_elements_v2" in tables:
        statements.append("DROP TABLE IF EXISTS aux_kpi_day_elements")
        statements.append("ALTER TABLE aux_kpi_day_elements_v2 RENAME TO aux_kpi_day_elements")
    return statements


def _executions(dialect: str, tables: frozenset[str]) -> list[str]:
    # One row per approved decision given to an executor: its typed action (the work
    # request's body, so the table is the plant executor's outbox) and how far it got.
    del tables
    key = "PRIMARY KEY" if dialect == "postgres" else "NOT NULL"
    statements = [
        f"""CREATE TABLE executions (
        decision_id TEXT {key}, executor TEXT NOT NULL, app TEXT NOT NULL,
        subject TEXT NOT NULL, site TEXT NOT NULL, action TEXT NOT NULL, state TEXT NOT NULL,
        detail TEXT NOT NULL, reference TEXT, attempts INTEGER NOT NULL,
        next_attempt_at BIGINT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)"""
    ]
    if dialect == "postgres":
        statements.append("CREATE INDEX executions_state ON executions (state, updated_at)")
    else:
        statements.append("CREATE UNIQUE INDEX executions_id ON executions (decision_id)")
    return statements


def _genealogy_lookups(dialect: str, tables: frozenset[str]) -> list[str]:
    # A trace walks the genealogy a level at a time, looking up the frontier's serials and
    # lots as children (backward) or as parents (forward). PostgreSQL's natural-key index
    # leads with the parent already; the child needs its own. DuckDB joins never use an
    # index, but a lookup of a few dozen keys (= ANY of a list) does: an ART on each side
    # turns a level of a trace from a scan of every link into a probe.
    del tables
    if dialect == "postgres":
        return ['CREATE INDEX rec_genealogy_child ON rec_genealogy (child COLLATE "C", parent)']
    return [
        "CREATE INDEX rec_genealogy_child ON rec_genealogy (child)",
        "CREATE INDEX rec_genealogy_parent ON rec_genealogy (parent)",
    ]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "record tables, quarantine, batch ledger", _initial),
    Migration(
        DECISION_VERSION,
        "decision layer: decisions, audit, users, tokens, settings",
        _decision_layer,
    ),
    Migration(3, "ledger of auxiliary table versions", _aux_ledger),
    Migration(4, "execution ledger of approved decisions (the outbox)", _executions),
    Migration(5, "genealogy lookups by child and by parent", _genealogy_lookups),
)
"""Every schema version in order; a store applies those above its recorded version."""


def quarantine_where(
    start: object, end: object, reason: str | None, *, param: str, time_param: str
) -> tuple[str, list[object]]:
    """Return the WHERE clause of a quarantine query and its parameters.

    ``param`` is the dialect's placeholder (``?``, ``%s``) and ``time_param`` its
    placeholder of a time bound: DuckDB takes integer microseconds (``make_timestamptz(?)``),
    PostgreSQL an aware datetime (``%s``); the caller gives bounds of that form (or None).
    """
    clauses: list[str] = []
    params: list[object] = []
    if start is not None:
        clauses.append(f"received_at >= {time_param}")
        params.append(start)
    if end is not None:
        clauses.append(f"received_at < {time_param}")
        params.append(end)
    if reason is not None:
        clauses.append(f"reason = {param}")
        params.append(reason)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def state_intervals_sql(
    path_where: str, *, start: str | None, end: str | None, select: str = "*"
) -> str:
    """Return the query of state intervals clipped to ``[start, end)``, in either dialect.

    Each state lasts until the next record of its equipment (``lead`` over ts, seq); the
    last one until ``end`` (zero length when the range is open). ``start`` and ``end`` are
    SQL expressions of the bounds (a placeholder or a literal), ``None`` for open; ``end``
    appears twice in the query. ``select`` is the output list (PostgreSQL sends timestamps
    as integer microseconds).
    """
    lo = "s" if start is None else f"greatest(s, {start})"
    finish = "coalesce(e, s)" if end is None else f"least(coalesce(e, {end}), {end})"
    return f"""
        WITH ordered AS (
            SELECT path, state, reason, ts AS s,
                   lead(ts) OVER (PARTITION BY path ORDER BY ts, seq) AS e
            FROM rec_state{path_where}
        ), clipped AS (
            SELECT path, state, reason, {lo} AS start, {finish} AS "end" FROM ordered
        )
        SELECT {select} FROM clipped WHERE "end" > start ORDER BY path, start
    """


QUARANTINE_SUMMARY = (
    "SELECT kind, source, reason, count(*) AS rows FROM quarantine "
    "GROUP BY kind, source, reason ORDER BY rows DESC, kind, reason"
)
"""Quarantined row counts by kind, source and reason, most first."""
