"""Bring an incoming Arrow table to a record kind's exact schema, or say what is wrong."""

from __future__ import annotations

import pyarrow as pa

from andon.errors import ContractError, Problem
from andon.records import RecordKind, schema_of

__all__ = ["conform"]


def conform(kind: RecordKind, table: pa.Table) -> pa.Table:
    """Return ``table`` with the columns, order and types of ``kind``'s schema.

    Missing required columns and columns that cannot be cast are reported all at once as a
    :class:`~andon.errors.ContractError`; extra columns are dropped.
    """
    schema = schema_of(kind)
    problems: list[Problem] = []
    arrays: list[pa.ChunkedArray] = []
    for field in schema:
        if field.name not in table.column_names:
            if field.nullable:
                arrays.append(pa.chunked_array([pa.nulls(table.num_rows, field.type)]))
                continue
            problems.append(
                Problem(
                    code="batch.missing_column",
                    message=f"{kind.value} batch has no column {field.name!r}",
                    expected=f"a column {field.name!r} of type {field.type}",
                )
            )
            continue
        column = table.column(field.name)
        if column.type.equals(field.type):
            arrays.append(column)
            continue
        try:
            arrays.append(column.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            problems.append(
                Problem(
                    code="batch.wrong_type",
                    message=f"{kind.value} column {field.name!r} is {column.type}: {exc}",
                    expected=str(field.type),
                )
            )
    if problems:
        msg = f"a {kind.value} batch does not match its schema"
        raise ContractError(msg, problems)
    result = pa.Table.from_arrays(arrays, schema=schema)
    required = [f.name for f in schema if not f.nullable]
    nulls = [name for name in required if result.column(name).null_count]
    if nulls:
        msg = f"a {kind.value} batch has nulls in required columns"
        raise ContractError(
            msg,
            [
                Problem(
                    code="batch.null_required",
                    message=f"column {name!r} has {result.column(name).null_count} null(s)",
                    expected="no nulls",
                )
                for name in nulls
            ],
        )
    return result
