"""Sparkplug B payloads written and read at the wire level, without a message object per metric.

The encoder and the decoder of the ``Payload`` message live side by side here and share
their test vectors (``tests/connect/codec_vectors.py``).

:func:`write_payload` writes a payload from :class:`Metric` values: the fields a metric
carries, in field-number order, as the protobuf runtime would write them (the tests check
the bytes against it), without building a message object.

Pure functions over bytes: :func:`read_metrics` takes the payloads of a group of NDATA and
DDATA messages and returns one :class:`MetricColumns` with a row per metric, in payload
order then metric order. It reads the protobuf wire format of the ``Payload`` message of
the Sparkplug B 3.0 specification (section 6.4) directly:

* the top level of each payload (``timestamp``, ``seq`` and the spans of the ``metrics``)
  is walked in Python, a few steps per metric;
* the metrics of every payload of the group are then walked together, field by field, with
  NumPy: one pass per field position, so the cost in Python steps is the number of fields
  of the longest metric (four or five), not the number of metrics.

What is read of a metric: ``name``, ``alias``, ``timestamp``, ``is_null`` and the ``value``
oneof (the member set last, as protobuf decides; integer, float, double and boolean
values, the span of a string). Other fields (``datatype``, ``metadata``, ``properties``,
datasets, templates, extensions) are skipped unread: a host takes data types from births.
Wire-level damage (a truncated field, a varint longer than ten bytes, field number 0, the
deprecated group wire types) marks that payload corrupt, alone; the other payloads of the
group are read.

>>> from andon.connect.sparkplug import encode_payload
>>> metrics = [(None, 7, 6, 41.5), ("x", None, None, None)]
>>> data = encode_payload(timestamp_ms=5, seq=3, metrics=metrics)
>>> columns = read_metrics([data])
>>> columns.headers[0], columns.alias.tolist(), columns.real.tolist(), columns.is_null.tolist()
(PayloadHeader(timestamp=5, seq=3), [7, 0], [41.5, 0.0], [False, True])
>>> columns.name(1)
'x'
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "BOOLEAN",
    "DOUBLE",
    "FLOAT",
    "INT",
    "LONG",
    "STRING",
    "DataType",
    "Metric",
    "MetricColumns",
    "PayloadHeader",
    "read_metrics",
    "write_payload",
]

INT: Final = 10
"""Field number of ``int_value`` (uint32) in the ``Metric`` message."""
LONG: Final = 11
"""Field number of ``long_value`` (uint64)."""
FLOAT: Final = 12
"""Field number of ``float_value`` (32-bit float)."""
DOUBLE: Final = 13
"""Field number of ``double_value``."""
BOOLEAN: Final = 14
"""Field number of ``boolean_value``."""
STRING: Final = 15
"""Field number of ``string_value``."""

_MASK32: Final = np.uint64(0xFFFFFFFF)
_MASK64: Final = (1 << 64) - 1
_PAD: Final = b"\x00" * 16  # lets fixed-width gathers run past the last byte safely

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]


class DataType(IntEnum):
    """Sparkplug B 3.0 metric data types (section 6.4.16) of scalar metrics."""

    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5
    UINT16 = 6
    UINT32 = 7
    UINT64 = 8
    FLOAT = 9
    DOUBLE = 10
    BOOLEAN = 11
    STRING = 12
    DATETIME = 13
    TEXT = 14


_VALUE_FIELD: Final[dict[DataType, int]] = {
    **dict.fromkeys(
        (DataType.INT8, DataType.INT16, DataType.INT32, DataType.UINT8, DataType.UINT16),
        INT,
    ),
    DataType.UINT32: INT,
    **dict.fromkeys((DataType.INT64, DataType.UINT64, DataType.DATETIME), LONG),
    DataType.FLOAT: FLOAT,
    DataType.DOUBLE: DOUBLE,
    DataType.BOOLEAN: BOOLEAN,
    DataType.STRING: STRING,
    DataType.TEXT: STRING,
}
"""The ``value`` oneof member that carries each data type (integers as two's complement)."""


@dataclass(frozen=True, slots=True)
class Metric:
    """One scalar metric: by name (births) or alias (data), a data type and a value.

    ``value`` ``None`` writes a null metric (``is_null``) of the data type.

    >>> payload = write_payload(timestamp_ms=5, seq=0, metrics=[Metric(alias=3, value=1.5)])
    >>> read_metrics([payload]).real.tolist()
    [1.5]
    """

    name: str | None = None
    alias: int | None = None
    timestamp_ms: int | None = None
    datatype: DataType = DataType.DOUBLE
    value: float | int | str | bool | None = None


def _write_varint(out: bytearray, value: int) -> None:
    value &= _MASK64
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _write_metric(out: bytearray, metric: Metric) -> None:
    if metric.name is not None:
        name = metric.name.encode()
        out.append(0x0A)  # field 1, length-delimited
        _write_varint(out, len(name))
        out += name
    if metric.alias is not None:
        out.append(0x10)  # field 2, varint
        _write_varint(out, metric.alias)
    if metric.timestamp_ms is not None:
        out.append(0x18)  # field 3, varint
        _write_varint(out, metric.timestamp_ms)
    out.append(0x20)  # field 4, varint
    _write_varint(out, int(metric.datatype))
    value = metric.value
    if value is None:
        out += b"\x38\x01"  # field 7 (is_null) = true
        return
    field = _VALUE_FIELD[DataType(metric.datatype)]
    if field == DOUBLE:
        out.append(0x69)  # field 13, 64-bit
        out += struct.pack("<d", float(value))
    elif field == FLOAT:
        out.append(0x65)  # field 12, 32-bit
        out += struct.pack("<f", float(value))
    elif field == STRING:
        text = str(value).encode()
        out.append(0x7A)  # field 15, length-delimited
        _write_varint(out, len(text))
        out += text
    else:
        out.append(field << 3)  # int (10), long (11), boolean (14): varints
        number = int(value)
        _write_varint(out, number & 0xFFFFFFFF if field == INT else number)


def write_payload(*, timestamp_ms: int | None, seq: int | None, metrics: Iterable[Metric]) -> bytes:
    """Return a Sparkplug B ``Payload`` message: timestamp, metrics, seq (section 6.4)."""
    out = bytearray()
    if timestamp_ms is not None:
        out.append(0x08)  # field 1, varint
        _write_varint(out, timestamp_ms)
    body = bytearray()
    for metric in metrics:
        body.clear()
        _write_metric(body, metric)
        out.append(0x12)  # field 2, length-delimited
        _write_varint(out, len(body))
        out += body
    if seq is not None:
        out.append(0x18)  # field 3, varint
        _write_varint(out, seq)
    return bytes(out)


@dataclass(frozen=True, slots=True)
class PayloadHeader:
    """The payload-level fields of one Sparkplug payload (``None`` where absent)."""

    timestamp: int | None
    seq: int | None


@dataclass(frozen=True, slots=True)
class MetricColumns:
    """The metrics of a group of payloads, one row per metric.

    ``headers[i]`` is the header of payload ``i``, or ``None`` if it is corrupt (then
    ``corrupt[i]`` says why and the payload has no rows). Absent integer fields read 0
    (protobuf's default); ``member`` is the field number of the ``value`` oneof member set
    last (0: none); ``varint`` holds it when it is an integer or a boolean (``int_value``
    already cut to 32 bits, booleans 0 or 1), ``real`` when it is a float or a double.
    Names and strings are spans into ``data``, -1 where absent.
    """

    headers: tuple[PayloadHeader | None, ...]
    corrupt: dict[int, str]
    message: I64
    index: I64
    alias: U64
    timestamp: U64
    is_null: npt.NDArray[np.bool_]
    member: I64
    varint: U64
    real: npt.NDArray[np.float64]
    name_start: I64
    name_stop: I64
    text_start: I64
    text_stop: I64
    data: bytes

    def __len__(self) -> int:
        return int(self.message.size)

    def name(self, row: int) -> str | None:
        """Return the metric's name (``None`` if it has none; bad UTF-8 replaced)."""
        return self._span(int(self.name_start[row]), int(self.name_stop[row]))

    def text(self, row: int) -> str | None:
        """Return the metric's ``string_value`` (``None`` if it is not the member set)."""
        if self.member[row] != STRING:
            return None
        return self._span(int(self.text_start[row]), int(self.text_stop[row]))

    def _span(self, start: int, stop: int) -> str | None:
        if start < 0:
            return None
        return self.data[start:stop].decode("utf-8", errors="replace")


def _varint(data: bytes, i: int, n: int) -> tuple[int, int]:
    """Return the varint at ``i`` and the offset after it; raise ``ValueError`` if bad."""
    result = 0
    shift = 0
    while True:
        if i >= n:
            msg = "truncated varint"
            raise ValueError(msg)
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result & _MASK64, i
        shift += 7
        if shift >= 70:
            msg = "varint longer than 10 bytes"
            raise ValueError(msg)


def _walk_top(  # noqa: PLR0917 - private helper of read_metrics
    data: bytes,
    i: int,
    n: int,
    starts: list[int],
    stops: list[int],
    header: PayloadHeader,
) -> PayloadHeader:
    """Walk a payload's top level in ``data[i:n]``; append the spans of its metrics.

    ``header`` holds what was read before ``i``; the fields found after it replace them.
    """
    timestamp, seq = header.timestamp, header.seq
    while i < n:
        key = data[i]
        if key == 0x12 and i + 1 < n and data[i + 1] < 0x80:  # a metric shorter than 128
            stop = i + 2 + data[i + 1]
            if stop > n:
                msg = "truncated metric"
                raise ValueError(msg)
            starts.append(i + 2)
            stops.append(stop)
            i = stop
            continue
        if key < 0x80:
            i += 1
        else:
            key, i = _varint(data, i, n)
        field, wire = key >> 3, key & 7
        if field == 0:
            msg = "field number 0"
            raise ValueError(msg)
        if wire == 0:
            value, i = _varint(data, i, n)
            if field == 1:
                timestamp = value
            elif field == 3:
                seq = value
        elif wire == 2:
            length, i = _varint(data, i, n)
            stop = i + length
            if stop > n:
                msg = f"truncated field {field}"
                raise ValueError(msg)
            if field == 2:
                starts.append(i)
                stops.append(stop)
            i = stop
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            msg = f"wire type {wire} (field {field}) is not read"
            raise ValueError(msg)
        if i > n:
            msg = f"truncated field {field}"
            raise ValueError(msg)
    return PayloadHeader(timestamp, seq)


class _Reader:
    """Vectorised protobuf reads at many offsets of one buffer at once."""

    def __init__(self, data: bytes) -> None:
        self.buf = np.frombuffer(data + _PAD, dtype=np.uint8)

    def varints(self, at: I64, limit: I64) -> tuple[U64, I64, npt.NDArray[np.bool_]]:
        """Return the varints starting at ``at``, the offsets after them, and which are bad.

        A bad varint is longer than 10 bytes or runs past ``limit``. One pass per byte of the
        longest varint, over the varints still going: most are one byte long.
        """
        value = self.buf[at].astype(np.uint64)
        after = at + 1
        going = np.flatnonzero(value >= 0x80)
        bad = np.zeros(at.size, dtype=np.bool_)
        if going.size:
            value[going] &= np.uint64(0x7F)
            for k in range(1, 10):
                byte = self.buf[at[going] + k]
                value[going] |= (byte & 0x7F).astype(np.uint64) << np.uint64(7 * k)
                after[going] = at[going] + k + 1
                going = going[byte >= 0x80]
                if going.size == 0:
                    break
            bad[going] = True
        bad |= after > limit
        return value, after, bad

    def fixed(self, at: I64, width: int, dtype: str) -> npt.NDArray[np.float64]:
        """Return the little-endian fixed-width numbers at ``at`` as float64."""
        windows = np.lib.stride_tricks.sliding_window_view(self.buf, width)
        return windows[at].view(dtype).ravel().astype(np.float64)


def read_metrics(payloads: Sequence[bytes]) -> MetricColumns:
    """Return the metrics of Sparkplug B payloads as columns; a corrupt payload gives no rows."""
    joined = b"".join(payloads)
    sizes = np.fromiter((len(p) for p in payloads), dtype=np.int64, count=len(payloads))
    bounds = np.cumsum(sizes)
    reader = _Reader(joined)
    headers, corrupt, start, stop = _walk_tops(joined, reader, bounds - sizes, bounds)
    message = np.searchsorted(bounds, start - 1, side="right").astype(np.int64)
    columns = _walk_metrics(reader, start, stop)
    bad = columns.pop("bad")
    if bad.any():
        for number in np.unique(message[bad]).tolist():
            corrupt[number] = "not a Sparkplug B payload: a metric is damaged"
            headers[number] = None
        keep = ~np.isin(message, message[bad])
        message = message[keep]
        columns = {name: column[keep] for name, column in columns.items()}
    index = _positions(message)
    return MetricColumns(
        headers=tuple(headers),
        corrupt=corrupt,
        message=message,
        index=index,
        alias=columns["alias"],
        timestamp=columns["timestamp"],
        is_null=columns["is_null"],
        member=columns["member"],
        varint=columns["varint"],
        real=columns["real"],
        name_start=columns["name_start"],
        name_stop=columns["name_stop"],
        text_start=columns["text_start"],
        text_stop=columns["text_stop"],
        data=joined,
    )


_LOCKSTEP_MIN: Final = 64
"""Below this many payloads still being walked, the rest are walked one by one in Python."""


def _walk_tops(
    joined: bytes, reader: _Reader, first: I64, end: I64
) -> tuple[list[PayloadHeader | None], dict[int, str], I64, I64]:
    """Walk the top level of every payload together: headers, corrupt ones, metric spans.

    Each pass reads one field of every payload still being walked; the common fields
    (a metric shorter than 128 bytes, ``timestamp``, ``seq``) are read vectorised. A
    payload with anything else, or few payloads left, is finished by :func:`_walk_top`.
    """
    count = first.size
    buf = reader.buf
    frontier = first.copy()
    slow = np.zeros(count, dtype=np.bool_)
    at_field: dict[int, npt.NDArray[np.int64]] = {
        key: np.full(count, -1, dtype=np.int64) for key in (0x08, 0x18)
    }
    span_starts: list[I64] = []
    span_stops: list[I64] = []
    while True:
        walking = np.flatnonzero((frontier < end) & ~slow)
        if walking.size < _LOCKSTEP_MIN:
            break
        at = frontier[walking]
        key = buf[at]
        length = buf[at + 1]
        stop = at + 2 + length.astype(np.int64)
        metric = (key == 0x12) & (length < 0x80)
        header = (key == 0x08) | (key == 0x18)
        if header.any():
            _, after, flaw = reader.varints(at[header] + 1, end[walking[header]])
            stop[header] = np.where(flaw, np.iinfo(np.int64).max, after)
            for code, positions in at_field.items():
                hit = header & (key == code)
                positions[walking[hit]] = at[hit] + 1
        ok = (metric | header) & (stop <= end[walking])
        slow[walking[~ok]] = True
        taken = ok & metric
        span_starts.append(at[taken] + 2)
        span_stops.append(stop[taken])
        frontier[walking[ok]] = stop[ok]
    values = {code: _header_values(reader, positions, end) for code, positions in at_field.items()}
    headers: list[PayloadHeader | None] = [
        PayloadHeader(values[0x08][i], values[0x18][i]) for i in range(count)
    ]
    corrupt: dict[int, str] = {}
    rest_starts: list[int] = []
    rest_stops: list[int] = []
    for number in np.flatnonzero(frontier < end).tolist():
        before = len(rest_starts)
        try:
            headers[number] = _walk_top(
                joined,
                int(frontier[number]),
                int(end[number]),
                rest_starts,
                rest_stops,
                headers[number] or PayloadHeader(None, None),
            )
        except ValueError as exc:
            del rest_starts[before:], rest_stops[before:]
            headers[number] = None
            corrupt[number] = f"not a Sparkplug B payload: {exc}"
    start = np.concatenate([*span_starts, np.asarray(rest_starts, dtype=np.int64)])
    stop = np.concatenate([*span_stops, np.asarray(rest_stops, dtype=np.int64)])
    if corrupt:
        owner = np.searchsorted(end, start - 1, side="right")
        keep = ~np.isin(owner, list(corrupt))
        start, stop = start[keep], stop[keep]
    order = np.argsort(start, kind="stable")
    return headers, corrupt, start[order], stop[order]


def _header_values(reader: _Reader, positions: I64, end: I64) -> list[int | None]:
    """Return the varints at ``positions`` (-1: absent) as Python ints or ``None``."""
    found = np.flatnonzero(positions >= 0)
    values: list[int | None] = [None] * positions.size
    if found.size:
        read, _, _ = reader.varints(positions[found], end[found])
        for number, value in zip(found.tolist(), read.tolist(), strict=True):
            values[number] = int(value)
    return values


def _positions(message: I64) -> I64:
    """Return each row's position within its message (0, 1, ... per message)."""
    if message.size == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.flatnonzero(np.r_[True, message[1:] != message[:-1]])
    counts = np.diff(np.r_[first, message.size])
    return np.arange(message.size, dtype=np.int64) - np.repeat(first, counts)


def _walk_metrics(reader: _Reader, start: I64, stop: I64) -> dict[str, npt.NDArray[Any]]:
    """Walk every metric body together, one field of each per pass.

    The metrics of one edge node usually share a layout (alias, timestamp, datatype, value),
    so a pass usually meets one field key: it is then read for every metric at once.
    """
    n = start.size
    out: dict[str, npt.NDArray[Any]] = {
        "alias": np.zeros(n, dtype=np.uint64),
        "timestamp": np.zeros(n, dtype=np.uint64),
        "is_null": np.zeros(n, dtype=np.bool_),
        "member": np.zeros(n, dtype=np.int64),
        "varint": np.zeros(n, dtype=np.uint64),
        "real": np.zeros(n, dtype=np.float64),
        "name_start": np.full(n, -1, dtype=np.int64),
        "name_stop": np.full(n, -1, dtype=np.int64),
        "text_start": np.full(n, -1, dtype=np.int64),
        "text_stop": np.full(n, -1, dtype=np.int64),
        "bad": np.zeros(n, dtype=np.bool_),
    }
    bad = out["bad"]
    pos = start.copy()
    rows = np.flatnonzero(pos < stop)
    while rows.size:
        limit = stop[rows]
        key, at, broken = reader.varints(pos[rows], limit)
        at = np.where(broken, limit, at)  # keeps later reads inside the buffer
        after = np.empty(rows.size, dtype=np.int64)
        if (key == key[0]).all():
            after[:], flaw = _read_field(out, reader, int(key[0]), rows, at, limit)
            broken |= flaw
        else:
            rest = np.arange(rows.size)
            while rest.size:
                same = key[rest] == key[rest[0]]
                sel = rest[same]
                after[sel], flaw = _read_field(
                    out, reader, int(key[sel[0]]), rows[sel], at[sel], limit[sel]
                )
                broken[sel] |= flaw
                rest = rest[~same]
        bad[rows[broken]] = True
        pos[rows] = after
        rows = rows[(after < limit) & ~broken]
    return out


def _read_field(  # noqa: PLR0917 - private helper of _walk_metrics
    out: dict[str, npt.NDArray[Any]],
    reader: _Reader,
    key: int,
    rows: I64,
    at: I64,
    limit: I64,
) -> tuple[I64, npt.NDArray[np.bool_]]:
    """Read one field (the same key) of some metrics; return the offsets after it and flaws."""
    field, wire = key >> 3, key & 7
    if field == 0 or key > _MASK32 or wire not in {0, 1, 2, 5}:
        return limit, np.ones(rows.size, dtype=np.bool_)
    if wire == 0:
        value, after, flaw = reader.varints(at, limit)
        _take_varint(out, rows, field, value)
    elif wire == 2:
        length, body, flaw = reader.varints(at, limit)
        after = body + np.minimum(length, np.uint64(1 << 62)).astype(np.int64)
        _take_span(out, rows, field, body, after)
    else:
        width = 8 if wire == 1 else 4
        after = at + width
        flaw = np.zeros(rows.size, dtype=np.bool_)
        if (field, wire) in {(DOUBLE, 1), (FLOAT, 5)}:
            out["real"][rows] = reader.fixed(at, width, "<f8" if wire == 1 else "<f4")
            out["member"][rows] = field
    return after, flaw | (after > limit)


def _take_varint(out: dict[str, npt.NDArray[Any]], rows: I64, field: int, value: U64) -> None:
    if field == 2:
        out["alias"][rows] = value
    elif field == 3:
        out["timestamp"][rows] = value
    elif field == 7:
        out["is_null"][rows] = value != 0
    elif field in {INT, LONG, BOOLEAN}:
        if field == INT:
            value = value & _MASK32
        elif field == BOOLEAN:
            value = (value != 0).astype(np.uint64)
        out["varint"][rows] = value
        out["member"][rows] = field


def _take_span(
    out: dict[str, npt.NDArray[Any]], rows: I64, field: int, body: I64, body_stop: I64
) -> None:
    if field == 1:
        out["name_start"][rows] = body
        out["name_stop"][rows] = body_stop
    elif field == STRING:
        out["text_start"][rows] = body
        out["text_stop"][rows] = body_stop
    if STRING <= field < 20:  # string, bytes, dataset, template, extension
        out["member"][rows] = field
