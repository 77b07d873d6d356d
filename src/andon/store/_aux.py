"""Auxiliary tables (fitted artifacts, stored KPI state, ground truth) as versioned schemas.

An auxiliary table is declared by the layer that owns it: a name, an Arrow schema and a
version (:class:`AuxTable`). ``Store.declare_table`` brings the store's ``aux_<name>`` to
that version in one transaction and records the step in ``aux_migrations`` (one row per
applied version). A schema change is a new version: the store adds, drops and retypes
columns to match, or, for a table that is ``rebuild`` (derived state computed again on
demand), empties it and makes it anew. The same version with other columns, or an older
version than the store holds, is refused: a table never changes without a recorded step.

``write_table`` into a table nobody declared records version 1 of that first batch's
columns, so a table always has its ledger row; declaring it is how an owner states the
schema and changes it later.

The planning here is pure: it reads the recorded columns and the declaration and returns
statements, so both stores run the same steps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from andon.errors import StoreError
from andon.store._sql import sql_type

__all__ = [
    "DESCRIBE_COLUMNS",
    "LEDGER_ROW",
    "RECORD",
    "AuxColumn",
    "AuxPlan",
    "AuxTable",
    "check_batch",
    "check_name",
    "columns_of",
    "decode",
    "encode",
    "existing_columns",
    "first_write",
    "plan",
    "sql_name",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,58}$")


def check_name(name: str) -> None:
    """Refuse an auxiliary table name that is not lower-case letters, digits and ``_``."""
    if not _NAME.match(name):
        msg = f"auxiliary table name {name!r} must be lower-case letters, digits and _"
        raise StoreError(msg)


def sql_name(name: str) -> str:
    """Return the store table that holds auxiliary table ``name``."""
    check_name(name)
    return f"aux_{name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuxTable:
    """The schema of an auxiliary table at one version, as its owner declares it.

    >>> import pyarrow as pa
    >>> from andon.store import AuxTable, open_store
    >>> fits = AuxTable(
    ...     name="quality_models",
    ...     version=1,
    ...     schema=pa.schema([("station", pa.string()), ("trained_until", pa.int64())]),
    ... )
    >>> store = open_store("duckdb://:memory:")
    >>> store.declare_table(fits)
    >>> store.write_table("quality_models", pa.table({"station": ["s1"], "trained_until": [5]}))
    >>> store.read_table("quality_models").num_rows
    1
    """

    name: str
    """Lower-case letters, digits and ``_``; stored as ``aux_<name>``."""
    schema: pa.Schema
    """The columns at this version (a non-nullable field is ``NOT NULL``)."""
    version: int = 1
    """Raise it with every change of ``schema``; versions only go up."""
    rebuild: bool = False
    """Derived state: a new version empties the table instead of altering its columns."""
    description: str = ""
    """What this version changed, recorded beside it."""

    def __post_init__(self) -> None:
        check_name(self.name)
        if self.version < 1:
            msg = f"auxiliary table {self.name!r}: versions start at 1, not {self.version}"
            raise StoreError(msg)


@dataclass(frozen=True, slots=True)
class AuxColumn:
    """One column as the store keeps it: name, SQL type, whether it is ``NOT NULL``."""

    name: str
    type: str
    not_null: bool = False


def columns_of(schema: pa.Schema) -> tuple[AuxColumn, ...]:
    """Return the columns that store an Arrow schema."""
    return tuple(AuxColumn(f.name, sql_type(f.type), not f.nullable) for f in schema)


def encode(columns: Sequence[AuxColumn]) -> str:
    """Return columns as the JSON recorded in ``aux_migrations``."""
    return json.dumps([[c.name, c.type, c.not_null] for c in columns])


def decode(text: str) -> tuple[AuxColumn, ...]:
    """Return the columns recorded as JSON in ``aux_migrations``."""
    return tuple(AuxColumn(str(n), str(t), bool(nn)) for n, t, nn in json.loads(text))


def _create(table: str, columns: Sequence[AuxColumn]) -> str:
    body = ", ".join(f'"{c.name}" {c.type}{" NOT NULL" if c.not_null else ""}' for c in columns)
    return f"CREATE TABLE {table} ({body})"


@dataclass(frozen=True, slots=True)
class AuxPlan:
    """What declaring a table does: statements to run, and the ledger row to add (if any)."""

    statements: tuple[str, ...]
    columns: tuple[AuxColumn, ...]
    record: bool


def plan(
    dialect: str,
    declared: AuxTable,
    *,
    recorded: tuple[int, tuple[AuxColumn, ...]] | None,
    existing: tuple[AuxColumn, ...] | None,
) -> AuxPlan:
    """Return the steps that bring a store's table to a declared version.

    ``recorded`` is the newest ledger row (version, columns); ``existing`` the columns of
    the table as it stands when there is no ledger row (``None``: no table). A table made
    before the ledger existed is adopted: its columns are taken as found, then changed to
    the declaration like any other version step.
    """
    table = sql_name(declared.name)
    wanted = columns_of(declared.schema)
    current: tuple[AuxColumn, ...] | None = existing
    if recorded is not None:
        version, current = recorded
        if declared.version < version:
            msg = (
                f"auxiliary table {declared.name!r} is at version {version} in the store, "
                f"newer than version {declared.version} declared here"
            )
            raise StoreError(msg)
        if declared.version == version:
            if _by_name(current) != _by_name(wanted):
                msg = (
                    f"auxiliary table {declared.name!r} version {version} is stored with "
                    f"other columns than declared here; a schema change is a new version"
                )
                raise StoreError(msg)
            return AuxPlan((), current, record=False)
    if current is None:
        return AuxPlan((_create(table, wanted),), wanted, record=True)
    if _by_name(current) == _by_name(wanted):
        return AuxPlan((), wanted, record=True)
    if declared.rebuild:
        return AuxPlan((f"DROP TABLE {table}", _create(table, wanted)), wanted, record=True)
    return AuxPlan(tuple(_alter(dialect, declared, current, wanted)), wanted, record=True)


def _by_name(columns: Sequence[AuxColumn]) -> dict[str, AuxColumn]:
    return {c.name: c for c in columns}


def _alter(
    dialect: str,
    declared: AuxTable,
    current: Sequence[AuxColumn],
    wanted: Sequence[AuxColumn],
) -> list[str]:
    table = sql_name(declared.name)
    old, new = _by_name(current), _by_name(wanted)
    statements = [f'ALTER TABLE {table} DROP COLUMN "{name}"' for name in old if name not in new]
    for column in wanted:
        before = old.get(column.name)
        quoted = f'"{column.name}"'
        if before is None:
            if column.not_null:
                msg = (
                    f"auxiliary table {declared.name!r} version {declared.version} adds "
                    f"{column.name!r} as not null, which the stored rows have no value for: "
                    "add it nullable, or declare the table rebuild"
                )
                raise StoreError(msg)
            statements.append(f"ALTER TABLE {table} ADD COLUMN {quoted} {column.type}")
            continue
        if before.type != column.type:
            using = f" USING {quoted}::{column.type}" if dialect == "postgres" else ""
            statements.append(
                f"ALTER TABLE {table} ALTER COLUMN {quoted} TYPE {column.type}{using}"
            )
        if before.not_null != column.not_null:
            change = "SET" if column.not_null else "DROP"
            statements.append(f"ALTER TABLE {table} ALTER COLUMN {quoted} {change} NOT NULL")
    return statements


DESCRIBE_COLUMNS = (
    "SELECT column_name, is_nullable FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position"
)
"""The columns of a table and whether each takes nulls (``YES``/``NO``), in both dialects."""

LEDGER_ROW = (
    "SELECT version, columns FROM aux_migrations WHERE name = ? ORDER BY version DESC LIMIT 1"
)
"""The newest recorded version of an auxiliary table."""

RECORD = "INSERT INTO aux_migrations VALUES (?, ?, ?, ?, now())"
"""Record one applied version: name, version, description, columns (JSON)."""


def existing_columns(arrow_schema: pa.Schema, nullable: dict[str, bool]) -> tuple[AuxColumn, ...]:
    """Return the columns of a table found without a ledger row (its schema read back)."""
    return tuple(
        AuxColumn(f.name, sql_type(f.type), not nullable.get(f.name, True)) for f in arrow_schema
    )


def first_write(
    name: str, batch: pa.Schema, existing: tuple[AuxColumn, ...] | None
) -> tuple[AuxPlan, AuxTable]:
    """Return the version 1 that a write into an undeclared table records.

    A table already there (made before the ledger) is taken with its columns as they are;
    otherwise the first batch's columns make it.
    """
    declared = AuxTable(name=name, schema=batch, description="declared by its first write")
    if existing is not None:
        return AuxPlan((), existing, record=True), declared
    return plan("", declared, recorded=None, existing=None), declared


def check_batch(name: str, version: int, columns: Sequence[AuxColumn], batch: pa.Schema) -> None:
    """Refuse a batch with columns the table's recorded version does not have."""
    known = {c.name for c in columns}
    extra = [n for n in batch.names if n not in known]
    if extra:
        msg = (
            f"auxiliary table {name!r} version {version} has no column {', '.join(extra)}: "
            f"declare version {version + 1} with Store.declare_table to add them"
        )
        raise StoreError(msg)
