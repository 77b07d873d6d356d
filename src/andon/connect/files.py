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

A file is refused as a whole (a :class:`~andon.errors.ConnectError`) only when it cannot
be read as a table at all: no such file, not CSV or Parquet, a header that is not UTF-8,
two columns of one name, no time column. Anything wrong inside a row quarantines that row
(or, in the wide layout, that cell) with its reason, the rest is stored: a value that is not
a number or a cell that is not UTF-8 (``wrong_type``), a time that does not read as one
(``wrong_type``) or lies outside the years 1 to 9999 (``out_of_range``), a CSV line with too
many or too few fields (``wrong_type``). The quarantine row keeps the row's cells as text.

The file is streamed: CSV through Arrow's streaming reader in blocks, Parquet by row
groups, so memory stays flat whatever the file's size. ``seq`` is the row number in the
file. :func:`import_historian` writes a file through a pipeline and records each chunk it
wrote under the file's SHA-256, in the same transaction: importing the same file again
stores its records once and quarantines its bad rows once, and an import that stopped
half-way goes on where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from andon.connect.decoded import Batch
from andon.connect.uns import TS_UNITS
from andon.errors import ConnectError
from andon.records import TS_TYPE, Quality, RecordKind, schema_of
from andon.store import AuxTable
from andon.store.base import QUARANTINE_SCHEMA

if TYPE_CHECKING:
    from andon.connect.pipeline import Pipeline

__all__ = ["FileImport", "HistorianFile", "import_historian", "read_historian"]

_CSV_BLOCK_BYTES: Final = 1 << 20
_MIN_US: Final = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
_MAX_US: Final = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z
_NUMBER: Final = r"^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|nan|inf|infinity)$"
_ISO_TIME: Final = (
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_ZONED: Final = r"(Z|[+-]\d\d:?\d\d)$"
_EPOCH_TEXT: Final = r"^-?\d+(\.\d*)?([eE][+-]?\d+)?$"
_WRONG_TYPE: Final = "wrong_type"
_OUT_OF_RANGE: Final = "out_of_range"
_IMPORTS_TABLE: Final = "file_imports"


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


@dataclass(frozen=True, slots=True, kw_only=True)
class FileImport:
    """What :func:`import_historian` did with one file."""

    path: Path
    sha256: str
    rows: int
    """Rows of the file read in this import (chunks imported before are not read again)."""
    skipped_rows: int
    """Rows of chunks an earlier import of the same content had written already."""
    written: int
    duplicates: int
    quarantined: dict[str, int] = field(default_factory=dict)


class _Rejects:
    """Rows (or cells) of one chunk refused by the reader, as quarantine columns."""

    def __init__(self, source: str, received_at_us: int) -> None:
        self.source = source
        self.received_at_us = received_at_us
        self.ts: list[int | None] = []
        self.path: list[str | None] = []
        self.reason: list[str] = []
        self.detail: list[str] = []
        self.record: list[str] = []

    def add(
        self, *, reason: str, detail: str, record: dict[str, Any], ts: int | None, path: str | None
    ) -> None:
        self.ts.append(ts)
        self.path.append(path)
        self.reason.append(reason)
        self.detail.append(detail)
        self.record.append(json.dumps(record, default=str, ensure_ascii=False))

    def table(self) -> pa.Table:
        n = len(self.reason)
        return pa.Table.from_arrays(
            [
                pa.array([self.received_at_us] * n, type=pa.int64()).cast(TS_TYPE),
                pa.repeat(RecordKind.SAMPLE.value, n).cast(pa.string()),
                pa.repeat(self.source, n).cast(pa.string()),
                pa.array(self.ts, type=pa.int64()).cast(TS_TYPE),
                pa.array(self.path, type=pa.string()),
                pa.array(self.reason, type=pa.string()),
                pa.array(self.detail, type=pa.string()),
                pa.array(self.record, type=pa.string()),
            ],
            schema=QUARANTINE_SCHEMA,
        )


@dataclass(frozen=True, slots=True)
class _Chunk:
    table: pa.Table
    first_row: int
    bad_lines: tuple[tuple[int | None, str, str], ...] = ()
    """CSV lines the parser refused while reading this chunk: line number, text, why."""


def read_historian(spec: HistorianFile, *, received_at_us: int | None = None) -> Iterator[Batch]:
    """Yield sample batches of a CSV or Parquet file, in file order, one chunk at a time.

    Each batch holds the chunk's readable samples and, as quarantine rows, the rows the
    reader refused, stamped ``received_at_us`` (default: now).
    """
    for _, batch in _read(spec, received_at_us=received_at_us):
        yield batch


def _read(
    spec: HistorianFile,
    *,
    received_at_us: int | None,
    skip: Callable[[int, int], bool] | None = None,
) -> Iterator[tuple[_Chunk, Batch]]:
    if spec.ts_unit not in TS_UNITS:
        msg = f"ts_unit {spec.ts_unit!r} is not one of {', '.join(TS_UNITS)}"
        raise ConnectError(msg)
    if spec.layout not in {"long", "wide"}:
        msg = f"layout {spec.layout!r} is not 'long' or 'wide'"
        raise ConnectError(msg)
    if spec.chunk_rows < 1:
        msg = f"chunk_rows must be at least 1, not {spec.chunk_rows}"
        raise ConnectError(msg)
    source = spec.source or f"file:{spec.path.name}"
    received = time.time_ns() // 1000 if received_at_us is None else received_at_us
    for chunk in _chunks(spec):
        if skip is not None and skip(chunk.first_row, chunk.table.num_rows):
            continue
        rejects = _Rejects(source, received)
        for line, text, why in chunk.bad_lines:
            where = f"line {line}" if line is not None else "a line"
            rejects.add(
                reason=_WRONG_TYPE,
                detail=f"{spec.path.name}: {where} is not a row of the header's columns: {why}",
                record={"file": spec.path.name, "line": line, "text": text},
                ts=None,
                path=None,
            )
        try:
            samples = _samples(chunk, spec, source, rejects)
        except (pa.ArrowException, UnicodeDecodeError, ValueError, OverflowError) as exc:
            msg = f"{spec.path}: cannot read rows from {chunk.first_row}: {exc}"
            raise ConnectError(msg) from exc
        yield chunk, Batch({RecordKind.SAMPLE: samples}, rejects.table(), received)


def _chunks(spec: HistorianFile) -> Iterator[_Chunk]:
    suffix = spec.path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            yield from _parquet_chunks(spec)
            return
        if suffix not in {".csv", ".txt", ".gz"}:
            msg = f"{spec.path}: not a CSV or Parquet file (by its suffix)"
            raise ConnectError(msg)
        yield from _csv_chunks(spec)
    except FileNotFoundError as exc:
        msg = f"{spec.path}: no such file"
        raise ConnectError(msg) from exc
    except UnicodeDecodeError as exc:
        msg = f"{spec.path}: a column name is not UTF-8 text: {exc}"
        raise ConnectError(msg) from exc
    except (pa.ArrowException, OSError, ValueError) as exc:
        msg = f"{spec.path}: cannot read: {exc}"
        raise ConnectError(msg) from exc


def _check_names(spec: HistorianFile, names: list[str]) -> None:
    twice = sorted(name for name, count in Counter(names).items() if count > 1)
    if twice:
        msg = (
            f"{spec.path}: column name(s) {', '.join(map(repr, twice))} appear more than once; "
            "each column needs a name of its own"
        )
        raise ConnectError(msg)
    if spec.ts_column not in names:
        msg = f"{spec.path}: no column {spec.ts_column!r} (columns: {names})"
        raise ConnectError(msg)
    if spec.layout == "long":
        for name in (spec.tag_column, spec.value_column):
            if name not in names:
                msg = f"{spec.path}: a long file needs a column {name!r} (columns: {names})"
                raise ConnectError(msg)


def _parquet_chunks(spec: HistorianFile) -> Iterator[_Chunk]:
    reader = pq.ParquetFile(spec.path)
    _check_names(spec, list(reader.schema_arrow.names))
    row = 0
    for batch in reader.iter_batches(batch_size=spec.chunk_rows):
        yield _Chunk(pa.Table.from_batches([batch]), row)
        row += batch.num_rows


def _csv_names(
    spec: HistorianFile, read_options: pcsv.ReadOptions, parse_options: pcsv.ParseOptions
) -> list[str]:
    """Return a CSV file's column names; the reader that read them goes with this frame (a
    reader kept alive goes on reading ahead into memory)."""
    reader = pcsv.open_csv(spec.path, read_options=read_options, parse_options=parse_options)
    try:
        return list(reader.schema.names)
    finally:
        reader.close()


def _csv_chunks(spec: HistorianFile) -> Iterator[_Chunk]:
    read_options = pcsv.ReadOptions(block_size=_CSV_BLOCK_BYTES, use_threads=False)
    bad_lines: list[tuple[int | None, str, str]] = []

    def refuse(row: Any) -> str:
        why = f"expected {row.expected_columns} fields, found {row.actual_columns}"
        bad_lines.append((row.number, str(row.text), why))
        return "skip"

    parse_options = pcsv.ParseOptions(invalid_row_handler=refuse)
    names = _csv_names(spec, read_options, parse_options)
    _check_names(spec, names)
    bad_lines.clear()  # the first look read a block; the real pass sees its lines again
    # every cell as bytes: a cell that is not a number, a time or UTF-8 is one bad row,
    # not a conversion error that stops the whole file
    reader = pcsv.open_csv(
        spec.path,
        read_options=read_options,
        parse_options=parse_options,
        convert_options=pcsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.binary()),
            strings_can_be_null=True,
            null_values=[""],  # "NA", "null", "n/a" are words to check, not silent nulls
        ),
    )
    row = 0
    with reader:
        for batch in reader:
            lines = tuple(bad_lines)
            bad_lines.clear()
            table = pa.Table.from_batches([batch])
            if batch.num_rows == 0 and lines:
                yield _Chunk(table, row, lines)
            for start in range(0, batch.num_rows, spec.chunk_rows):
                yield _Chunk(table.slice(start, spec.chunk_rows), row + start, lines)
                lines = ()
            row += batch.num_rows
        if bad_lines:
            yield _Chunk(pa.Table.from_batches([], schema=reader.schema), row, tuple(bad_lines))


# --- cells to columns ---------------------------------------------------------------------


def _bisect_cast(array: pa.Array, to: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """Return ``array`` cast to ``to`` with the cells that do not cast as nulls, and a mask
    of those cells: halves are cast until each bad cell is found (bad cells are rare)."""
    try:
        return array.cast(to), np.zeros(len(array), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if len(array) <= 1:
            return pa.nulls(len(array), to), np.ones(len(array), dtype=bool)
    middle = len(array) // 2
    left, left_bad = _bisect_cast(array.slice(0, middle), to)
    right, right_bad = _bisect_cast(array.slice(middle), to)
    return pa.concat_arrays([left, right]), np.concatenate([left_bad, right_bad])


def _masked_cast(array: pa.Array, to: pa.DataType, candidates: pa.Array) -> tuple[pa.Array, Any]:
    """Cast the cells where ``candidates`` is true; the others are bad. Returns the cast
    column (nulls where bad or null) and the bad mask (numpy)."""
    mask = pc.fill_null(candidates, fill_value=False)
    picked = pc.if_else(mask, array, pa.scalar(None, array.type))
    cast, bad = _bisect_cast(picked, to)
    given = np.asarray(pc.is_valid(array).to_numpy(zero_copy_only=False), dtype=bool)
    refused = given & ~np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)
    return cast, bad | refused


def _as_text(array: pa.Array) -> tuple[pa.Array, Any]:
    """Return a column as UTF-8 text, with a mask of the cells that are not (binary)."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        try:
            array.validate(full=True)  # a Parquet string column is not checked as it is read
        except pa.ArrowInvalid:
            raw = pa.large_binary() if pa.types.is_large_string(array.type) else pa.binary()
            return _bisect_cast(array.view(raw), pa.string())
        return array.cast(pa.string()), np.zeros(len(array), dtype=bool)
    if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
        return _bisect_cast(array, pa.string())
    try:
        return array.cast(pa.string()), np.zeros(len(array), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.nulls(len(array), pa.string()), np.asarray(
            pc.is_valid(array).to_numpy(zero_copy_only=False), dtype=bool
        )


def _numbers(array: pa.Array) -> tuple[pa.Array, Any, str]:
    """Return a column as float64, a mask of the cells that are not numbers, and why."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    kind = array.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        values = pc.cast(array, pa.float64(), safe=False)  # a huge integer rounds, it is no error
        return values, np.zeros(len(array), dtype=bool), ""
    if pa.types.is_decimal(kind):
        return (*_bisect_cast(array, pa.float64()), "a decimal beyond float64")
    if not (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    ):
        given = np.asarray(pc.is_valid(array).to_numpy(zero_copy_only=False), dtype=bool)
        return pa.nulls(len(array), pa.float64()), given, f"a {kind} value, not a number"
    text, not_text = _as_text(array)
    looks = pc.match_substring_regex(text, _NUMBER, ignore_case=True)
    values, bad = _masked_cast(text, pa.float64(), looks)
    return values, bad | not_text, "not a number"


def _timestamps(column: pa.Array, spec: HistorianFile) -> tuple[pa.Array, Any, Any]:
    """Return the times as ``TS_TYPE``, a mask of unreadable cells, a mask of cells out of
    the years 1 to 9999 (both numpy; a cell already null is in neither)."""
    array = column.dictionary_decode() if pa.types.is_dictionary(column.type) else column
    n = len(array)
    none = np.zeros(n, dtype=bool)
    if pa.types.is_timestamp(array.type):
        if array.type.tz is None:
            array = pc.assume_timezone(
                array, spec.timezone, ambiguous="earliest", nonexistent="earliest"
            )
        micros, bad = _bisect_cast(array, TS_TYPE)  # a nanosecond time always fits
        return micros, bad, none
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        return _epoch(pc.cast(array, pa.float64(), safe=False), spec, none)
    if pa.types.is_date(array.type):
        array = array.cast(pa.timestamp("s"))
        return _timestamps(array, spec)
    text, unreadable = _as_text(array)
    if not pa.types.is_string(text.type):  # pragma: no cover - _as_text returns strings
        return pa.nulls(n, TS_TYPE), unreadable, none
    numeric = pc.fill_null(pc.match_substring_regex(text, _EPOCH_TEXT), fill_value=False)
    iso = pc.fill_null(pc.match_substring_regex(text, _ISO_TIME), fill_value=False)
    zoned = pc.fill_null(pc.match_substring_regex(text, _ZONED), fill_value=False)
    given = np.asarray(pc.is_valid(text).to_numpy(zero_copy_only=False), dtype=bool)
    numbers, bad_number = _bisect_cast(
        pc.if_else(numeric, text, pa.scalar(None, pa.string())), pa.float64()
    )
    from_epoch, bad_epoch, outside = _epoch(numbers, spec, none)
    with_zone, bad_zoned = _bisect_cast(
        pc.if_else(pc.and_(iso, zoned), text, pa.scalar(None, pa.string())), TS_TYPE
    )
    naive, bad_naive = _bisect_cast(
        pc.if_else(pc.and_(iso, pc.invert(zoned)), text, pa.scalar(None, pa.string())),
        pa.timestamp("us"),
    )
    local = pc.assume_timezone(naive, spec.timezone, ambiguous="earliest", nonexistent="earliest")
    micros = pc.if_else(numeric, from_epoch, pc.if_else(zoned, with_zone, local.cast(TS_TYPE)))
    neither = given & ~np.asarray(pc.or_(numeric, iso).to_numpy(zero_copy_only=False), dtype=bool)
    bad = unreadable | neither | bad_number | bad_epoch | bad_zoned | bad_naive
    return micros, bad, outside


def _epoch(numbers: pa.Array, spec: HistorianFile, none: Any) -> tuple[pa.Array, Any, Any]:
    """Epoch numbers in ``spec.ts_unit`` to ``TS_TYPE``; times beyond the years 1 to 9999
    (and NaN or infinite ones) come back null, in the third mask."""
    mul, div = TS_UNITS[spec.ts_unit]
    values = np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
    given = np.asarray(pc.is_valid(numbers).to_numpy(zero_copy_only=False), dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        micros = np.round(values * float(mul) / float(div))
        inside = np.isfinite(micros) & (micros >= _MIN_US) & (micros <= _MAX_US)
    keep = given & inside
    whole = np.where(keep, micros, 0.0).astype(np.int64)
    array = pa.array(whole, type=pa.int64(), mask=~keep).cast(TS_TYPE)
    return array, none, given & ~inside


# --- layouts --------------------------------------------------------------------------------


def _raw_row(table: pa.Table, index: int, spec: HistorianFile, first_row: int) -> dict[str, Any]:
    """A row's cells as text (bytes not UTF-8 escaped), for its quarantine record."""
    record: dict[str, Any] = {"file": spec.path.name, "row": first_row + index}
    for name in table.column_names:
        record[name] = _cell(table, name, index)
    return record


def _samples(chunk: _Chunk, spec: HistorianFile, source: str, rejects: _Rejects) -> pa.Table:
    table = chunk.table
    if table.num_rows == 0:
        return schema_of(RecordKind.SAMPLE).empty_table()
    ts, bad_ts, outside = _timestamps(table.column(spec.ts_column).combine_chunks(), spec)
    seq = pa.array(np.arange(chunk.first_row, chunk.first_row + table.num_rows), pa.int64())
    good_row = ~(bad_ts | outside)
    raw_ts = table.column(spec.ts_column).combine_chunks()
    for index in np.flatnonzero(~good_row):
        text = raw_ts[int(index)].as_py()
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="backslashreplace")
        why = (
            f"time {text!r} lies outside the years 1 to 9999 (ts_unit {spec.ts_unit!r})"
            if outside[index]
            else f"time {text!r} is not a time (ISO 8601 or epoch {spec.ts_unit})"
        )
        rejects.add(
            reason=_OUT_OF_RANGE if outside[index] else _WRONG_TYPE,
            detail=f"{spec.path.name} row {chunk.first_row + int(index)}: {why}",
            record=_raw_row(table, int(index), spec, chunk.first_row),
            ts=None,
            path=None,
        )
    if spec.layout == "long":
        return _long(
            chunk, ts=ts, seq=seq, good_row=good_row, spec=spec, source=source, rejects=rejects
        )
    return _wide(
        chunk, ts=ts, seq=seq, good_row=good_row, spec=spec, source=source, rejects=rejects
    )


def _long(
    chunk: _Chunk,
    *,
    ts: pa.Array,
    seq: pa.Array,
    good_row: Any,
    spec: HistorianFile,
    source: str,
    rejects: _Rejects,
) -> pa.Table:
    table = chunk.table
    tags, bad_tag = _as_text(table.column(spec.tag_column).combine_chunks())
    paths = pc.binary_join_element_wise(spec.tag_prefix, tags, "") if spec.tag_prefix else tags
    values, bad_value, why = _numbers(table.column(spec.value_column).combine_chunks())
    if spec.quality_column in table.column_names:
        text, bad_quality = _as_text(table.column(spec.quality_column).combine_chunks())
        quality = pc.fill_null(text, Quality.GOOD.value)
    else:
        bad_quality = np.zeros(table.num_rows, dtype=bool)
        quality = pa.repeat(Quality.GOOD.value, table.num_rows).cast(pa.string())
    # an empty value is a sample only where the row says why (quality uncertain or bad)
    said = np.asarray(
        pc.fill_null(pc.not_equal(quality, Quality.GOOD.value), fill_value=False).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    empty = ~np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=bool)
    empty &= ~bad_value & ~said
    bad_cells = good_row & (bad_tag | bad_value | bad_quality | empty)
    path_list = paths.to_pylist() if bad_cells.any() else []
    for index in np.flatnonzero(bad_cells):
        i = int(index)
        if bad_value[i]:
            what = f"value {_cell(table, spec.value_column, i)!r} is {why}"
        elif empty[i]:
            what = "the value is empty and the quality does not say why"
        elif bad_tag[i]:
            what = "the tag is not UTF-8 text"
        else:
            what = "the quality is not UTF-8 text"
        rejects.add(
            reason=_WRONG_TYPE,
            detail=f"{spec.path.name} row {chunk.first_row + i}: {what}",
            record=_raw_row(table, i, spec, chunk.first_row),
            ts=ts[i].value,
            path=path_list[i],
        )
    keep = pa.array(good_row & ~bad_cells)
    return pa.Table.from_arrays(
        [
            ts,
            pa.repeat(source, table.num_rows).cast(pa.string()),
            seq,
            paths.cast(pa.string()),
            values,
            quality.cast(pa.string()),
        ],
        names=["ts", "source", "seq", "path", "value", "quality"],
    ).filter(keep)


def _cell(table: pa.Table, column: str, index: int) -> object:
    """Return a cell as Python, bytes that are not UTF-8 escaped (a string column too)."""
    scalar = table.column(column)[index]
    if pa.types.is_string(scalar.type) or pa.types.is_large_string(scalar.type):
        raw = pa.large_binary() if pa.types.is_large_string(scalar.type) else pa.binary()
        try:
            cell = scalar.as_py()
        except UnicodeDecodeError:
            cell = scalar.cast(raw).as_py()
    else:
        cell = scalar.as_py()
    return cell.decode("utf-8", errors="backslashreplace") if isinstance(cell, bytes) else cell


def _wide(
    chunk: _Chunk,
    *,
    ts: pa.Array,
    seq: pa.Array,
    good_row: Any,
    spec: HistorianFile,
    source: str,
    rejects: _Rejects,
) -> pa.Table:
    table = chunk.table
    parts: list[pa.Table] = []
    n = table.num_rows
    sources = pa.repeat(source, n).cast(pa.string())
    good = pa.repeat(Quality.GOOD.value, n).cast(pa.string())
    for name in table.column_names:
        if name == spec.ts_column:
            continue
        path = spec.tag_prefix + name
        values, bad, why = _numbers(table.column(name).combine_chunks())
        for index in np.flatnonzero(good_row & bad):
            i = int(index)
            rejects.add(
                reason=_WRONG_TYPE,
                detail=f"{spec.path.name} row {chunk.first_row + i} column {name!r}: "
                f"value {_cell(table, name, i)!r} is {why}",
                record=_raw_row(table, i, spec, chunk.first_row),
                ts=ts[i].value,
                path=path,
            )
        part = pa.Table.from_arrays(
            [ts, sources, seq, pa.repeat(path, n).cast(pa.string()), values, good],
            names=["ts", "source", "seq", "path", "value", "quality"],
        )
        keep = good_row & ~bad & np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False))
        parts.append(part.filter(pa.array(keep)))  # an empty cell is no sample
    if not parts:
        return schema_of(RecordKind.SAMPLE).empty_table()
    return pa.concat_tables(parts)


# --- import into a store --------------------------------------------------------------------

_IMPORTS_SCHEMA: Final = pa.schema(
    [
        pa.field("sha256", pa.string(), nullable=False),
        pa.field("first_row", pa.int64(), nullable=False),
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("quarantined", pa.int64(), nullable=False),
        pa.field("file", pa.string()),
        pa.field("imported_at", TS_TYPE, nullable=False),
    ]
)


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file's content, read in blocks."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except FileNotFoundError as exc:
        msg = f"{path}: no such file"
        raise ConnectError(msg) from exc
    except OSError as exc:
        msg = f"{path}: cannot read: {exc}"
        raise ConnectError(msg) from exc
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class _Done:
    """Chunks of one content imported before: their (first row, rows) spans."""

    spans: frozenset[tuple[int, int]]

    def covers(self, first_row: int, rows: int) -> bool:
        """Whether a chunk was written before: the same span, or rows inside written ones."""
        if (first_row, rows) in self.spans:
            return True
        if rows == 0:
            return False
        reached = first_row
        for first, count in sorted(self.spans):
            if first <= reached < first + count:
                reached = first + count
        return reached >= first_row + rows


def _done(pipeline: Pipeline, sha256: str) -> _Done:
    store = pipeline.store
    store.declare_table(
        AuxTable(
            name=_IMPORTS_TABLE,
            schema=_IMPORTS_SCHEMA,
            description="chunks of historian files imported, by content hash",
        )
    )
    done = store.read_table(_IMPORTS_TABLE)
    if done.num_rows == 0:
        return _Done(frozenset())
    mine = done.filter(pc.equal(done.column("sha256"), sha256))
    return _Done(
        frozenset(
            zip(mine.column("first_row").to_pylist(), mine.column("rows").to_pylist(), strict=True)
        )
    )


def import_historian(
    spec: HistorianFile,
    *,
    pipeline: Pipeline,
    on_chunk: Callable[[int], object] | None = None,
) -> FileImport:
    """Read a historian file through ``pipeline`` into its store, once per content.

    Each chunk's records, its quarantine rows and the note that the chunk is done are
    written in one transaction, under a batch id made of the file's SHA-256 and the chunk's
    first row: a second import of the same content writes nothing and quarantines nothing
    again; one that was stopped goes on after the last chunk written. ``on_chunk`` is told
    the rows of each chunk (for a progress bar).
    """
    sha256 = file_sha256(spec.path)
    done = _done(pipeline, sha256)
    skipped = 0

    def skip(first_row: int, count: int) -> bool:
        nonlocal skipped
        if done.covers(first_row, count):
            skipped += count
            return True
        return False

    rows = written = duplicates = 0
    quarantined: dict[str, int] = {}
    store = pipeline.store
    for chunk, batch in _read(spec, received_at_us=None, skip=skip):
        end = chunk.first_row + chunk.table.num_rows
        with store.transaction():
            result = pipeline.write(batch, batch_id=f"file:{sha256[:32]}:{chunk.first_row}-{end}")
            store.write_table(
                _IMPORTS_TABLE,
                pa.table(
                    {
                        "sha256": [sha256],
                        "first_row": [chunk.first_row],
                        "rows": [chunk.table.num_rows],
                        "quarantined": [sum(result.quarantined.values())],
                        "file": [str(spec.path.name)],
                        "imported_at": pa.array([time.time_ns() // 1000], pa.int64()).cast(TS_TYPE),
                    },
                    schema=_IMPORTS_SCHEMA,
                ),
            )
        rows += chunk.table.num_rows
        written += result.written
        duplicates += result.duplicates
        for reason, count in result.quarantined.items():
            quarantined[reason] = quarantined.get(reason, 0) + count
        if on_chunk is not None:
            on_chunk(chunk.table.num_rows)
    return FileImport(
        path=spec.path,
        sha256=sha256,
        rows=rows,
        skipped_rows=skipped,
        written=written,
        duplicates=duplicates,
        quarantined=quarantined,
    )
