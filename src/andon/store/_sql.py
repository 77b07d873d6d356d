"""SQL shared by both stores: table definitions derived from the record schemas, migrations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa

from andon.records import KIND_SCHEMAS, NATURAL_KEYS, PATH_COLUMNS, RecordKind
from andon.store.base import QUARANTINE_SCHEMA

__all__ = ["MIGRATIONS", "Migration", "column_sql", "table_name"]


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


def _initial(dialect: str) -> list[str]:
    statements = []
    for kind, schema in KIND_SCHEMAS.items():
        table = table_name(kind)
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({column_sql(schema)})")
        path = PATH_COLUMNS.get(kind)
        if path is not None and dialect == "postgres":
            statements.append(
                f'CREATE INDEX IF NOT EXISTS {table}_path_ts ON {table} ("{path}", ts)'
            )
        if dialect == "postgres":
            keys = ", ".join(f'"{k}"' for k in NATURAL_KEYS[kind])
            statements.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_key ON {table} ({keys})")
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
