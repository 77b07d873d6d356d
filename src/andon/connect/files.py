"""Historian exports (CSV, Parquet; long and wide) read as sample batches in chunks.

Layouts:

* ``long``: one row per value, columns ``ts``, ``tag``, ``value`` and optionally
  ``quality``; ``tag`` is a tag path, or a name below ``tag_prefix``;
* ``wide``: one row per time, a ``ts`` column and one column per tag (the column name is
  the tag path, or a name below ``tag_prefix``).

Timestamps: ISO 8601 text with an offset is taken as written; text or Parquet timestamps
without a zone are local time in ``timezone`` (a site's zone, e.g. ``Europe/Paris``; in
the repeated hour of a DST change the earlier instant is taken); numbers are epoch
milliseconds unless ``ts_unit`` says otherwise.

The file is streamed: CSV through Arrow's streaming reader in blocks, Parquet by row
groups, so memory stays flat whatever the file's size. ``seq`` is the row number in the
file, so importing a file twice stores its records once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from andon.connect.decoded import Batch
from andon.connect.uns import TS_UNITS
from andon.errors import ConnectError
from andon.records import TS_TYPE, Quality, RecordKind, schema_of
from andon.store.base import QUARANTINE_SCHEMA

__all__ = ["HistorianFile", "read_historian"]

_CSV_BLOCK_BYTES: Final = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class HistorianFile:
    """How to read one historian export."""

    path: Path
    layout: Literal["long", "wide"] = "long"
    timezone: str = "UTC"
    ts_column: str = "ts"
    tag_column: str = "tag"
    value_column: str = "value"
    quality_column: str = "quality"
    tag_prefix: str = ""
    ts_unit: str = "ms"
    chunk_rows: int = 100_000
    source: str | None = None


def read_historian(spec: HistorianFile) -> Iterator[Batch]:
    """Yield sample batches of a CSV or Parquet file, in file order, one chunk at a time."""
    if spec.ts_unit not in TS_UNITS:
        msg = f"ts_unit {spec.ts_unit!r} is not one of {', '.join(TS_UNITS)}"
        raise ConnectError(msg)
    if spec.layout not in {"long", "wide"}:
        msg = f"layout {spec.layout!r} is not 'long' or 'wide'"
        raise ConnectError(msg)
    source = spec.source or f"file:{spec.path.name}"
    row = 0
    for chunk in _chunks(spec):
        table = pa.Table.from_batches([chunk]) if isinstance(chunk, pa.RecordBatch) else chunk
        if spec.ts_column not in table.column_names:
            msg = f"{spec.path}: no column {spec.ts_column!r} (columns: {table.column_names})"
            raise ConnectError(msg)
        ts = _timestamps(table.column(spec.ts_column), spec)
        seq = pa.array(range(row, row + table.num_rows), type=pa.int64())
        row += table.num_rows
        if spec.layout == "long":
            samples = _long(table, ts, seq, spec, source)
        else:
            samples = _wide(table, ts, seq, spec, source)
        yield Batch({RecordKind.SAMPLE: samples}, QUARANTINE_SCHEMA.empty_table(), 0)


def _chunks(spec: HistorianFile) -> Iterator[pa.RecordBatch]:
    suffix = spec.path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            yield from pq.ParquetFile(spec.path).iter_batches(batch_size=spec.chunk_rows)
            return
        if suffix not in {".csv", ".txt", ".gz"}:
            msg = f"{spec.path}: not a CSV or Parquet file (by its suffix)"
            raise ConnectError(msg)
        column_types: dict[str, pa.DataType] = {spec.ts_column: pa.string()}
        if spec.layout == "long":
            column_types[spec.tag_column] = pa.string()
            column_types[spec.value_column] = pa.float64()
        reader = pcsv.open_csv(
            spec.path,
            read_options=pcsv.ReadOptions(block_size=_CSV_BLOCK_BYTES, use_threads=False),
            convert_options=pcsv.ConvertOptions(
                column_types=column_types, strings_can_be_null=True
            ),
        )
        for batch in reader:
            for start in range(0, batch.num_rows, spec.chunk_rows):
                yield batch.slice(start, spec.chunk_rows)
    except FileNotFoundError as exc:
        msg = f"{spec.path}: no such file"
        raise ConnectError(msg) from exc
    except (pa.ArrowInvalid, OSError) as exc:
        msg = f"{spec.path}: cannot read: {exc}"
        raise ConnectError(msg) from exc


def _timestamps(column: pa.ChunkedArray, spec: HistorianFile) -> pa.Array:
    array = column.combine_chunks()
    if pa.types.is_timestamp(array.type):
        if array.type.tz is None:
            array = pc.assume_timezone(
                array, spec.timezone, ambiguous="earliest", nonexistent="earliest"
            )
        return array.cast(TS_TYPE)
    if pa.types.is_string(array.type) and len(array) and array.null_count == 0:
        numeric = pc.all(pc.match_substring_regex(array, r"^-?\d+(\.\d*)?$")).as_py()
        if numeric:
            array = array.cast(pa.float64())
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        mul, div = TS_UNITS[spec.ts_unit]
        micros = pc.divide(pc.multiply(array.cast(pa.float64()), float(mul)), float(div))
        return pc.round(micros).cast(pa.int64()).cast(TS_TYPE)
    text = array.cast(pa.string())
    zoned = pc.fill_null(pc.match_substring_regex(text, r"(Z|[+-]\d\d:?\d\d)$"), fill_value=False)
    null_text = pa.scalar(None, pa.string())
    try:
        with_zone = pc.if_else(zoned, text, null_text).cast(TS_TYPE)
        naive = pc.if_else(zoned, null_text, text).cast(pa.timestamp("us"))
    except pa.ArrowInvalid as exc:
        msg = f"{spec.path}: column {spec.ts_column!r} holds values that are not timestamps: {exc}"
        raise ConnectError(msg) from exc
    local = pc.assume_timezone(naive, spec.timezone, ambiguous="earliest", nonexistent="earliest")
    return pc.if_else(zoned, with_zone, local.cast(TS_TYPE))


def _long(
    table: pa.Table, ts: pa.Array, seq: pa.Array, spec: HistorianFile, source: str
) -> pa.Table:
    for name in (spec.tag_column, spec.value_column):
        if name not in table.column_names:
            msg = f"{spec.path}: a long file needs a column {name!r}"
            raise ConnectError(msg)
    tags = table.column(spec.tag_column).combine_chunks().cast(pa.string())
    paths = pc.binary_join_element_wise(spec.tag_prefix, tags, "") if spec.tag_prefix else tags
    if spec.quality_column in table.column_names:
        quality = pc.fill_null(
            table.column(spec.quality_column).combine_chunks().cast(pa.string()),
            Quality.GOOD.value,
        )
    else:
        quality = pa.repeat(Quality.GOOD.value, table.num_rows)
    return pa.Table.from_arrays(
        [
            ts,
            pa.repeat(source, table.num_rows),
            seq,
            paths,
            table.column(spec.value_column).combine_chunks().cast(pa.float64()),
            quality,
        ],
        names=["ts", "source", "seq", "path", "value", "quality"],
    )


def _wide(
    table: pa.Table, ts: pa.Array, seq: pa.Array, spec: HistorianFile, source: str
) -> pa.Table:
    parts: list[pa.Table] = []
    n = table.num_rows
    sources = pa.repeat(source, n)
    good = pa.repeat(Quality.GOOD.value, n)
    for name in table.column_names:
        if name == spec.ts_column:
            continue
        column = table.column(name).combine_chunks()
        try:
            values = column.cast(pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            msg = f"{spec.path}: column {name!r} is not numeric: {exc}"
            raise ConnectError(msg) from exc
        part = pa.Table.from_arrays(
            [ts, sources, seq, pa.repeat(spec.tag_prefix + name, n), values, good],
            names=["ts", "source", "seq", "path", "value", "quality"],
        )
        if values.null_count:
            part = part.filter(pc.is_valid(values))  # an empty cell is no sample
        parts.append(part)
    if not parts:
        return schema_of(RecordKind.SAMPLE).empty_table()
    return pa.concat_tables(parts)
