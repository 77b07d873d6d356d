"""SQL shared by both stores: table definitions derived from the record schemas, migrations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from andon.records import KIND_SCHEMAS, NATURAL_KEYS, PATH_COLUMNS, RecordKind
from andon.store.base import QUARANTINE_SCHEMA

__all__ = [
    "MIGRATIONS",
    "Migration",
    "column_sql",
    "key_index_columns",
    "lead_column",
    "table_name",
]


def table_name(kind: RecordKind) -> str:
    """Return the table that stores a record kind (``order`` is a reserved word, so a suffix)."""
    return f"rec_{kind.value}"


def _sql_type(arrow_type: pa.DataType) -> str:
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
        f'"{f.name}" {_sql_type(f.type)}{"" if f.nullable else " NOT NULL"}' for f in schema
    )


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema version: statements for a dialect, applied in one transaction."""

    version: int
    description: str
    statements: Callable[[str], list[str]]


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


def _initial(dialect: str) -> list[str]:
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


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "record tables, quarantine, batch ledger", _initial),
)
"""Every schema version in order; a store applies those above its recorded version."""
