"""Moving Arrow tables in and out of PostgreSQL as CSV, and ``?`` placeholders for psycopg.

COPY is PostgreSQL's bulk path. Arrow writes and reads CSV in C++, so a batch crosses the
wire without one Python object per row on the write side; reads pay one small buffer per
row (one COPY message each), still far cheaper than a tuple of Python values per row.
"""

from __future__ import annotations

import decimal
import io
import uuid
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from andon.records import TS_TYPE

__all__ = ["OID_TYPES", "arrow_from_rows", "from_csv", "plain", "qmark_to_pyformat", "to_csv"]

_WRITE_OPTIONS = pacsv.WriteOptions(include_header=False)


def to_csv(table: pa.Table) -> bytes:
    """Return a table as PostgreSQL ``FORMAT csv`` input.

    Arrow quotes every string and leaves nulls empty and unquoted, which is exactly how
    PostgreSQL's CSV format tells a NULL from an empty string. Timestamps are written as
    ISO 8601 with ``Z``; floats in their shortest exact form (``nan`` and ``inf`` included).
    """
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, _WRITE_OPTIONS)
    return buffer.getvalue()


def from_csv(data: bytes, schema: pa.Schema) -> pa.Table:
    """Parse PostgreSQL ``COPY ... TO STDOUT (FORMAT csv)`` output into ``schema``.

    Timestamp columns must have been selected as integer microseconds since the epoch;
    they are cast back here, exactly (no float round trip).
    """
    if not data:
        return schema.empty_table()
    wire = pa.schema(
        [pa.field(f.name, pa.int64() if pa.types.is_timestamp(f.type) else f.type) for f in schema]
    )
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=schema.names),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=wire,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t", "true"],
            false_values=["f", "false"],
        ),
    )
    return pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in schema], schema=schema)


def qmark_to_pyformat(query: str) -> str:
    """Return ``query`` with ``?`` placeholders as psycopg's ``%s`` (and ``%`` escaped).

    A ``?`` inside a quoted string, a quoted identifier or a comment is left alone.
    """
    out: list[str] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char in {"'", '"'}:
            end = i + 1
            while end < n:
                if query[end] == char:
                    if end + 1 < n and query[end + 1] == char:  # doubled quote inside
                        end += 2
                        continue
                    break
                end += 1
            out.append(query[i : end + 1].replace("%", "%%"))
            i = end + 1
            continue
        if char == "-" and query.startswith("--", i):
            end = query.find("\n", i)
            end = n if end < 0 else end
            out.append(query[i:end].replace("%", "%%"))
            i = end
            continue
        if char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
        i += 1
    return "".join(out)


# PostgreSQL type oids -> the Arrow types DuckDB gives the same SQL types, so that one
# statement of andon's own repositories returns the same table on both stores.
OID_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    17: pa.binary(),
    18: pa.string(),
    19: pa.string(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    25: pa.string(),
    114: pa.string(),
    700: pa.float32(),
    701: pa.float64(),
    1042: pa.string(),
    1043: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: TS_TYPE,
    1700: pa.float64(),
    2950: pa.string(),
    3802: pa.string(),
}


def plain(value: Any) -> Any:
    """Return a value as DuckDB would give it in Python: a float for a numeric, text for a uuid."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def arrow_from_rows(names: Sequence[str], oids: Sequence[int], rows: Sequence[Any]) -> pa.Table:
    """Return the rows of an ad-hoc statement as a table typed from the result's type oids."""
    arrays: list[pa.Array] = []
    for index, oid in enumerate(oids):
        values = [plain(row[index]) for row in rows]
        arrow_type = OID_TYPES.get(oid)
        if arrow_type is None:
            arrays.append(pa.array(values) if values else pa.nulls(0))
        else:
            arrays.append(pa.array(values, type=arrow_type))
    return pa.Table.from_arrays(arrays, names=list(names))
