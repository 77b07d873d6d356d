"""The MQTT Unified Namespace JSON convention: encode record batches, decode them (pure, no I/O).

:func:`topic_for` and :func:`encode_batch` write what :func:`parse_topic` and
:class:`UnsDecoder` read; the simulator's MQTT publisher uses them, and one set of test
vectors (``tests/connect/codec_vectors.py``) checks both directions.

The convention is written out in ``docs/uns.md``. In short: the topic is the element path,
then the record kind, then (for samples) the tag name::

    acme/lyon/machining/m1/milling/mill1/sample/spindle_temperature
    acme/lyon/machining/m1/milling/mill1/state

and the payload is one JSON object in one of three forms: one record
(``{"ts": ..., "value": ...}``), a list of records (``{"records": [...]}``) or columns
(``{"ts": [...], "value": [...]}``). Numeric timestamps are in the ``ts_unit`` a payload
names (``s``, ``ms``, ``us``, ``ns``); without one, the unit is read from the magnitude
(:func:`infer_ts_unit`: seconds below 10^11, milliseconds below 10^14, microseconds below
10^17, else nanoseconds), so epoch seconds are not taken for milliseconds of January 1970.
A negative time is quarantined. Strings are ISO 8601 with a UTC offset.

Columnar sample batches take a fast path: every payload of a group is handed to Arrow's
JSON reader at once, so that no Python object is made per sample. Anything else, or a group
in which one payload is odd, is read message by message, so that a bad message is rejected
alone. Arrow's reader sees only payloads whose brackets fit the columnar form (a payload
nested deeper goes the slow way, where Python's parser refuses it): a deeply nested array
would overflow the reader's stack.

>>> decoder = UnsDecoder(source="demo")
>>> topic = "acme/lyon/machining/m1/milling/mill1/sample/spindle_temperature"
>>> payload = b'{"ts": [1700000000000, 1700000001000], "value": [41.5, 41.7]}'
>>> decoded = decoder.decode([(topic, payload)])
>>> decoded.tables[RecordKind.SAMPLE].column("value").to_pylist()
[41.5, 41.7]
>>> decoder.decode([(topic, b"{oops")]).rejected[0].reason
'payload.malformed'
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from andon.connect.decoded import Decoded, Rejected, stamped
from andon.records import (
    PATH_COLUMNS,
    TS_TYPE,
    Quality,
    RecordKind,
    schema_of,
    valueless_not_good,
)

__all__ = [
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "TS_UNITS",
    "UnsDecoder",
    "UnsTopic",
    "encode_batch",
    "infer_ts_unit",
    "is_utf8",
    "parse_topic",
    "printable",
    "topic_for",
]

DEFAULT_MAX_PAYLOAD_BYTES: Final = 64 << 20
"""Payloads above 64 MiB are quarantined unread: one message must not stall a plant's feed."""

TS_UNITS: Final[Mapping[str, tuple[int, int]]] = {
    "s": (1_000_000, 1),
    "ms": (1_000, 1),
    "us": (1, 1),
    "ns": (1, 1_000),
}
"""Numeric timestamp units: ``micros = value * mul // div``; without one, see
:func:`infer_ts_unit`."""

_UNIT_BOUNDS: Final = ((1e11, "s"), (1e14, "ms"), (1e17, "us"))
"""Magnitudes below which an epoch number without ``ts_unit`` is read in each unit: 10^11 s
is the year 5138, and 10^11 ms is March 1973, so the ranges meet without a gap that a time of
this century falls in."""


def infer_ts_unit(value: float) -> str:
    """Return the unit of an epoch number given without ``ts_unit``, from its magnitude.

    >>> [infer_ts_unit(v) for v in (1_700_000_000, 1_700_000_000_000, 1.7e15, 1.7e18)]
    ['s', 'ms', 'us', 'ns']
    """
    magnitude = abs(value)
    for bound, unit in _UNIT_BOUNDS:
        if magnitude < bound:
            return unit
    return "ns"


_KINDS: Final = frozenset(k.value for k in RecordKind)
_SAMPLE_FIELDS: Final = frozenset({"ts", "value", "quality", "source", "unit", "ts_unit", "seq"})
_SCALAR_TEXT: Final = ("source", "unit", "ts_unit", "quality")
_TOPIC_CACHE_LIMIT: Final = 100_000
_DEFAULTS: Final[Mapping[tuple[RecordKind, str], object]] = {
    (RecordKind.COUNT, "scrap"): 0,
    (RecordKind.COUNT, "rework"): 0,
    (RecordKind.INVENTORY, "on_order"): 0,
    (RecordKind.GENEALOGY, "relation"): "consumed",
}
"""Fields a payload may leave out, as in the constructors of ``andon.records``."""


@dataclass(frozen=True, slots=True)
class UnsTopic:
    """A topic read as a record kind and the path its records belong to."""

    kind: RecordKind
    path: str


def parse_topic(topic: str, *, prefix: str = "") -> UnsTopic | None:
    """Return the kind and path a UNS topic names, or ``None`` when it follows no convention.

    >>> parse_topic("acme/lyon/a/l1/c1/press1/sample/temp")
    UnsTopic(kind=<RecordKind.SAMPLE: 'sample'>, path='acme/lyon/a/l1/c1/press1/temp')
    >>> parse_topic("acme/lyon/a/l1/c1/press1/state").kind.value
    'state'
    """
    if prefix:
        if not topic.startswith(prefix):
            return None
        topic = topic[len(prefix) :]
    parts = topic.split("/")
    if any(not part for part in parts):
        return None
    if len(parts) >= 3 and parts[-2] == RecordKind.SAMPLE.value:
        return UnsTopic(RecordKind.SAMPLE, "/".join([*parts[:-2], parts[-1]]))
    if len(parts) >= 2 and parts[-1] in _KINDS and parts[-1] != RecordKind.SAMPLE.value:
        return UnsTopic(RecordKind(parts[-1]), "/".join(parts[:-1]))
    return None


def topic_for(kind: RecordKind, element: str, root: str) -> str:
    """Return the topic of a record of ``kind`` whose path column holds ``element``.

    The inverse of :func:`parse_topic`: a sample's element is its tag path, published under
    its equipment; a genealogy record, or a record without an element, under ``root``.

    >>> topic_for(RecordKind.SAMPLE, "acme/lyon/a/l1/c1/press1/temp", "acme")
    'acme/lyon/a/l1/c1/press1/sample/temp'
    >>> parse_topic(_).path
    'acme/lyon/a/l1/c1/press1/temp'
    """
    kind = RecordKind(kind)
    if kind is RecordKind.SAMPLE:
        equipment, tag = element.rsplit("/", 1)
        return f"{equipment}/sample/{tag}"
    if kind is RecordKind.GENEALOGY or not element:
        return f"{root}/{kind.value}"
    return f"{element}/{kind.value}"


def _json_columns(table: pa.Table) -> dict[str, list[Any]]:
    values: dict[str, list[Any]] = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_timestamp(column.type):
            column = pc.strftime(column.cast(TS_TYPE), format="%Y-%m-%dT%H:%M:%SZ")
        values[name] = column.to_pylist()
    return values


def encode_batch(
    kind: RecordKind, table: pa.Table, *, root: str, max_records: int = 5000
) -> list[tuple[str, bytes]]:
    """Return ``(topic, payload)`` pairs for a batch: one message per topic (split when long).

    Each payload is ``{"records": [...]}`` with every column of the table, ``ts`` as ISO 8601
    UTC with microseconds; :class:`UnsDecoder` reads it back to the same records.

    >>> from andon.records import samples
    >>> tag = "acme/lyon/a/l1/c1/press1/temp"
    >>> [(topic, payload)] = encode_batch(
    ...     RecordKind.SAMPLE, samples(ts=[0], path=[tag], value=[41.5]), root="acme"
    ... )
    >>> topic, json.loads(payload)["records"][0]["ts"]
    ('acme/lyon/a/l1/c1/press1/sample/temp', '1970-01-01T00:00:00.000000Z')
    >>> UnsDecoder().decode([(topic, payload)]).tables[RecordKind.SAMPLE]["value"].to_pylist()
    [41.5]
    """
    kind = RecordKind(kind)
    if table.num_rows == 0:
        return []
    path_column = PATH_COLUMNS.get(kind)
    groups: dict[str, npt.NDArray[np.intp]]
    if path_column is None:
        groups = {f"{root}/{kind.value}": np.arange(table.num_rows)}
    else:
        encoded = pc.dictionary_encode(table.column(path_column).combine_chunks())
        indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        dictionary = encoded.dictionary.to_pylist()
        order = np.argsort(indices, kind="stable")
        cuts = np.flatnonzero(np.diff(indices[order])) + 1
        groups = {}
        for rows in np.split(order, cuts):
            code = int(indices[rows[0]])
            element = dictionary[code] if code >= 0 else ""
            groups[topic_for(kind, element or "", root)] = rows
    values = _json_columns(table)
    names = list(values)
    messages: list[tuple[str, bytes]] = []
    for topic, rows in groups.items():
        for start in range(0, rows.size, max_records):
            part = rows[start : start + max_records]
            records = [{name: values[name][i] for name in names} for i in part.tolist()]
            payload = json.dumps({"records": records}, separators=(",", ":"), allow_nan=False)
            messages.append((topic, payload.encode()))
    return messages


class _Reject(Exception):  # noqa: N818 - internal control flow, never escapes the decoder
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class UnsDecoder:
    """Turns (topic, payload) pairs into record batches; never raises on bad input.

    ``source`` fills the ``source`` column unless a payload names its own; ``prefix`` is a
    topic prefix to strip (e.g. ``"uns/"``); payloads above ``max_payload_bytes`` are
    quarantined unread.
    """

    def __init__(
        self,
        *,
        source: str = "mqtt",
        prefix: str = "",
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    ) -> None:
        self.source: Final = source
        self.prefix: Final = prefix
        self.max_payload_bytes: Final = max_payload_bytes
        self._topics: dict[str, UnsTopic | None] = {}

    def _topic(self, topic: str) -> UnsTopic | None:
        found = self._topics.get(topic, _MISSING)
        if found is _MISSING:
            if len(self._topics) >= _TOPIC_CACHE_LIMIT:
                self._topics.clear()
            found = parse_topic(topic, prefix=self.prefix) if is_utf8(topic) else None
            self._topics[topic] = found
        return found  # type: ignore[return-value]

    def decode(self, messages: Sequence[tuple[str, bytes]]) -> Decoded:
        """Decode a group of messages; identical (topic, payload) repeats count once."""
        rejects: list[Rejected] = []
        samples: list[tuple[str, bytes]] = []
        others: dict[RecordKind, list[tuple[str, str, bytes]]] = {}
        seen: set[tuple[str, bytes]] = set()
        for topic, payload in messages:
            if (topic, payload) in seen:
                continue
            seen.add((topic, payload))
            parsed = self._topic(topic)
            if parsed is None and not is_utf8(topic):
                rejects.append(
                    Rejected(
                        "topic.not_utf8",
                        f"topic {topic!r} is not UTF-8 (MQTT topics must be)",
                        printable(topic),
                        payload,
                    )
                )
                continue
            if parsed is None:
                rejects.append(
                    Rejected(
                        "topic.unknown",
                        f"topic {topic!r} is not <element path>/<record kind> nor "
                        f"<equipment path>/sample/<tag> (kinds: {', '.join(sorted(_KINDS))})",
                        topic,
                        payload,
                    )
                )
                continue
            if not payload:
                rejects.append(
                    Rejected("payload.empty", "empty payload", topic, payload, parsed.kind.value)
                )
                continue
            if len(payload) > self.max_payload_bytes:
                rejects.append(
                    Rejected(
                        "payload.too_large",
                        f"payload of {len(payload)} bytes exceeds the limit of "
                        f"{self.max_payload_bytes} bytes; it was not read",
                        topic,
                        payload,
                        parsed.kind.value,
                    )
                )
                continue
            if parsed.kind is RecordKind.SAMPLE:
                samples.append((topic, payload))
            else:
                others.setdefault(parsed.kind, []).append((topic, parsed.path, payload))
        tables: list[tuple[RecordKind, pa.Table]] = []
        if samples:
            table = self._samples_fast(samples)
            if table is not None:
                tables.append((RecordKind.SAMPLE, table))
            else:
                for topic, payload in samples:
                    path = self._topic(topic).path  # type: ignore[union-attr]
                    self._one(RecordKind.SAMPLE, topic, path, payload, tables, rejects)
        for kind, items in others.items():
            for topic, path, payload in items:
                self._one(kind, topic, path, payload, tables, rejects)
        by_kind: dict[RecordKind, list[pa.Table]] = {}
        for kind, table in tables:
            # "value": null says there is no value: never a good sample
            kept = valueless_not_good(table) if kind is RecordKind.SAMPLE else table
            by_kind.setdefault(kind, []).append(kept)
        return Decoded(
            {
                kind: parts[0]
                if len(parts) == 1
                else pa.concat_tables(parts, promote_options="default")
                for kind, parts in by_kind.items()
            },
            stamped(rejects, self.source),
        )

    # --- the columnar fast path ---------------------------------------------------------------

    def _samples_fast(self, messages: list[tuple[str, bytes]]) -> pa.Table | None:
        """Decode columnar sample payloads with one Arrow JSON read, or ``None`` to go slow."""
        payloads = [payload for _, payload in messages]
        if any(b"\n" in p or b"\r" in p for p in payloads):
            return None
        # Only objects reach Arrow's reader: a first row that is not one (a payload `null`)
        # is a segfault inside it (pyarrow 26), not an error.
        if any(not p.lstrip(b" \t").startswith(b"{") for p in payloads):
            return None
        blob = b"\n".join(payloads)
        # The columnar form has one object and at most three lists (ts, value, seq) per
        # payload; more brackets (nesting, or brackets in text) go the slow way: Arrow's
        # reader recurses into nested arrays and a deep one overflows its stack.
        if blob.count(b"{") > len(payloads) or blob.count(b"[") > 3 * len(payloads):
            return None
        try:
            return self._columnar(messages, blob)
        except (UnicodeDecodeError, pa.ArrowException):
            # a name or text that is not UTF-8, or a layout Arrow's reader trips on (its
            # IndexError on some damaged blobs): the slow path reads message by message
            return None

    def _columnar(self, messages: list[tuple[str, bytes]], blob: bytes) -> pa.Table | None:
        try:
            table = pj.read_json(
                io.BytesIO(blob),
                read_options=pj.ReadOptions(use_threads=False, block_size=len(blob) + 1),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            return None
        if table.num_rows != len(messages) or not _fast_schema(table.schema):
            return None
        columns = {name: table.column(name).combine_chunks() for name in table.column_names}
        ts_list, value_list = columns["ts"], columns["value"]
        n_ts = _lengths(ts_list)
        if (n_ts < 0).any() or not np.array_equal(n_ts, _lengths(value_list)):
            return None
        if "seq" in columns and not np.array_equal(n_ts, _lengths(columns["seq"])):
            return None
        scalars = {
            name: columns[name].to_pylist() if name in columns else [None] * len(messages)
            for name in _SCALAR_TEXT
        }
        named_units = scalars["ts_unit"]
        if any(u is not None and u not in TS_UNITS for u in named_units):
            return None
        message_index = np.repeat(np.arange(len(messages), dtype=np.int64), n_ts)
        index = pa.array(message_index)
        flat_ts = pc.list_flatten(ts_list)
        if flat_ts.null_count:
            return None
        if pa.types.is_string(flat_ts.type):
            try:
                ts = flat_ts.cast(TS_TYPE)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None
        else:
            raw = flat_ts.to_numpy(zero_copy_only=False)
            if (raw < 0).any() or (pa.types.is_floating(flat_ts.type) and np.isnan(raw).any()):
                return None  # the slow path rejects the message that holds it
            mul, div = _factors(raw, named_units, message_index)
            if pa.types.is_floating(flat_ts.type):
                micros = np.rint(raw * mul / div)
                if not np.isfinite(micros).all() or (np.abs(micros) > 9.2e18).any():
                    return None
                ts_us = micros.astype(np.int64)
            else:
                whole = raw.astype(np.int64)
                if (np.abs(whole) > np.iinfo(np.int64).max // mul).any():
                    return None  # would overflow: the slow path rejects the message
                ts_us = whole * mul // div
            ts = pa.array(ts_us, type=pa.int64()).cast(TS_TYPE)
        values = pc.list_flatten(value_list)
        if not pa.types.is_float64(values.type):
            values = values.cast(pa.float64())
        if pc.any(pc.is_inf(values)).as_py():
            return None  # a number too large for a float (Arrow reads it as inf): the slow way
        if "seq" in columns:
            seq = pc.list_flatten(columns["seq"]).cast(pa.int64())
        else:
            starts = np.concatenate([[0], np.cumsum(n_ts)[:-1]]).astype(np.int64)
            seq = pa.array(np.arange(len(message_index), dtype=np.int64) - starts[message_index])
        paths = pa.array([self._topic(t).path for t, _ in messages], type=pa.string())  # type: ignore[union-attr]
        sources = pa.array([s or self.source for s in scalars["source"]], type=pa.string())
        qualities = pa.array(
            [q or Quality.GOOD.value for q in scalars["quality"]], type=pa.string()
        )
        arrays = [
            ts,
            sources.take(index),
            seq,
            paths.take(index),
            values,
            qualities.take(index),
        ]
        schema = schema_of(RecordKind.SAMPLE)
        if any(u is not None for u in scalars["unit"]):
            arrays.append(pa.array(scalars["unit"], type=pa.string()).take(index))
            schema = schema.append(pa.field("unit", pa.string()))
        return pa.Table.from_arrays(arrays, schema=schema)

    # --- the message-by-message path ----------------------------------------------------------

    def _one(  # noqa: PLR0917 - private helper of decode
        self,
        kind: RecordKind,
        topic: str,
        path: str,
        payload: bytes,
        tables: list[tuple[RecordKind, pa.Table]],
        rejects: list[Rejected],
    ) -> None:
        try:
            tables.append((kind, self._table(kind, path, _parse_json(payload))))
        except _Reject as exc:
            rejects.append(Rejected(exc.reason, exc.detail, topic, payload, kind.value))

    def _table(self, kind: RecordKind, path: str, document: Any) -> pa.Table:
        if not isinstance(document, dict):
            raise _Reject(
                "payload.malformed", f"payload is JSON {type(document).__name__}, not an object"
            )
        columns, n = _columns(document)
        ts_unit = columns.pop("ts_unit", None)
        unit_name = ts_unit[0] if ts_unit else None
        if unit_name is not None and (not isinstance(unit_name, str) or unit_name not in TS_UNITS):
            raise _Reject(
                "payload.bad_ts_unit", f"ts_unit {unit_name!r} is not one of s, ms, us, ns"
            )
        if "ts" not in columns:
            raise _Reject("payload.missing_field", "payload has no 'ts'")
        ts = [_micros(value, unit_name) for value in columns["ts"]]
        arrays: list[pa.Array] = []
        schema = schema_of(kind)
        path_column = PATH_COLUMNS.get(kind)
        for field in schema:
            if field.name == "ts":
                arrays.append(pa.array(ts, type=pa.int64()).cast(TS_TYPE))
                continue
            if field.name == path_column:
                values: list[Any] = [path] * n
            elif field.name == "source":
                values = columns.get("source") or [self.source] * n
            elif field.name == "seq":
                values = columns.get("seq") or list(range(n))
            elif field.name == "quality":
                values = columns.get("quality") or [Quality.GOOD.value] * n
            elif field.name in columns:
                values = columns[field.name]
            elif field.nullable:
                values = [None] * n
            elif (kind, field.name) in _DEFAULTS:
                values = [_DEFAULTS[kind, field.name]] * n
            else:
                raise _Reject(
                    "payload.missing_field", f"{kind.value} payload has no {field.name!r}"
                )
            if field.name == "parts":
                values = [v if v is None or isinstance(v, str) else json.dumps(v) for v in values]
            try:
                arrays.append(pa.array(values, type=field.type))
            except (
                pa.ArrowInvalid,
                pa.ArrowTypeError,
                TypeError,
                OverflowError,
                ValueError,
            ) as exc:
                raise _Reject(
                    "payload.wrong_type",
                    f"{kind.value} field {field.name!r} is not {field.type}: {exc}",
                ) from None
        table = pa.Table.from_arrays(arrays, schema=schema)
        if kind is RecordKind.SAMPLE and columns.get("unit") is not None:
            try:
                unit = pa.array(columns["unit"], type=pa.string())
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise _Reject("payload.wrong_type", f"unit is not text: {exc}") from None
            table = table.append_column("unit", unit)
        return table


_MISSING: Final = object()


def _fast_schema(schema: pa.Schema) -> bool:
    names = set(schema.names)
    if not names <= _SAMPLE_FIELDS or not {"ts", "value"} <= names:
        return False
    ts, value = schema.field("ts").type, schema.field("value").type
    if not pa.types.is_list(ts) or not pa.types.is_list(value):
        return False
    if not (
        pa.types.is_integer(ts.value_type)
        or pa.types.is_floating(ts.value_type)
        or pa.types.is_string(ts.value_type)
    ):
        return False
    if not (
        pa.types.is_integer(value.value_type)
        or pa.types.is_floating(value.value_type)
        or pa.types.is_boolean(value.value_type)
        or pa.types.is_null(value.value_type)
    ):
        return False
    if "seq" in names:
        seq = schema.field("seq").type
        if not pa.types.is_list(seq) or not pa.types.is_integer(seq.value_type):
            return False
    return all(
        pa.types.is_string(schema.field(name).type) or pa.types.is_null(schema.field(name).type)
        for name in _SCALAR_TEXT
        if name in names
    )


def _lengths(column: pa.Array) -> npt.NDArray[np.int64]:
    lengths = pc.fill_null(pc.list_value_length(column), -1)
    return np.asarray(lengths.to_numpy(zero_copy_only=False), dtype=np.int64)


def _parse_json(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except UnicodeDecodeError as exc:
        raise _Reject("payload.not_utf8", f"payload is not UTF-8: {exc}") from None
    except RecursionError:
        raise _Reject("payload.too_deep", "payload nests too deeply to be read") from None
    except ValueError as exc:  # JSONDecodeError, and an integer of more than 4300 digits
        raise _Reject("payload.malformed", f"payload is not JSON andon reads: {exc}") from None


def is_utf8(text: str) -> bool:
    """Whether a text (a topic) is valid UTF-8: it holds no lone surrogate.

    >>> is_utf8("acme/lyon"), is_utf8("acme/ly" + chr(0xDCFF) + "on")
    (True, False)
    """
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """Return a text with what is not UTF-8 written as escapes, fit to store and show.

    >>> print(printable("ly" + chr(0xDCFF) + "on"))
    ly\\udcffon
    """
    return text if is_utf8(text) else text.encode("utf-8", "backslashreplace").decode()


def _factors(
    raw: npt.NDArray[Any], named: list[Any], message_index: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return each timestamp's ``mul`` and ``div``: its message's ``ts_unit``, else the unit
    its magnitude implies (:func:`infer_ts_unit`)."""
    magnitude = np.abs(raw.astype(np.float64))
    inferred = np.searchsorted(np.array([b for b, _ in _UNIT_BOUNDS]), magnitude, side="right")
    order = [*(u for _, u in _UNIT_BOUNDS), "ns"]
    codes = np.array([-1 if u is None else order.index(u) for u in named], dtype=np.int64)
    chosen = codes[message_index]
    chosen = np.where(chosen < 0, inferred, chosen)
    mul = np.array([TS_UNITS[u][0] for u in order], dtype=np.int64)[chosen]
    div = np.array([TS_UNITS[u][1] for u in order], dtype=np.int64)[chosen]
    return mul, div


def _columns(document: dict[str, Any]) -> tuple[dict[str, list[Any]], int]:
    """Return a payload's fields as equal-length columns, scalars repeated."""
    if "records" in document:
        records = document["records"]
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise _Reject("payload.malformed", "'records' must be a list of objects")
        n = len(records)
        names = {name for record in records for name in record}
        columns = {name: [record.get(name) for record in records] for name in names}
        for name, value in document.items():
            if name != "records":
                columns.setdefault(name, [value] * n)
        return columns, n
    lengths = {len(v) for k, v in document.items() if isinstance(v, list) and k != "parts"}
    if len(lengths) > 1:
        raise _Reject(
            "payload.length_mismatch",
            f"column lengths differ: {sorted(lengths)} (every list must have one length)",
        )
    n = lengths.pop() if lengths else 1
    return {
        name: value if isinstance(value, list) and name != "parts" else [value] * n
        for name, value in document.items()
    }, n


def _micros(value: Any, unit: str | None) -> int:
    """Return UTC microseconds for an epoch number in ``unit`` (``None``: read from its
    magnitude) or an ISO 8601 string; a negative time is refused."""
    if isinstance(value, bool) or value is None:
        raise _Reject("payload.bad_timestamp", f"timestamp {value!r} is not a number or a string")
    if isinstance(value, int | float):
        if not value >= 0:  # negative, or NaN
            raise _Reject(
                "payload.bad_timestamp", f"timestamp {value!r} is before 1970 or not a number"
            )
        mul, div = TS_UNITS[unit or infer_ts_unit(value)]
        micros = value * mul / div if isinstance(value, float) else value * mul // div
        if not -(2**62) < micros < 2**62:
            raise _Reject("payload.bad_timestamp", f"timestamp {value!r} is out of range")
        return round(micros)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _Reject("payload.bad_timestamp", f"timestamp {value!r} is not ISO 8601") from None
        if parsed.tzinfo is None:
            raise _Reject(
                "payload.bad_timestamp",
                f"timestamp {value!r} has no UTC offset (write Z or +01:00)",
            )
        delta = parsed - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    raise _Reject("payload.bad_timestamp", f"timestamp {value!r} is not a number or a string")
