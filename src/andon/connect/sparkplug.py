"""Sparkplug B 3.0 host application: births, deaths, data, aliases, sequence numbers, STATE.

Two layers, kept apart:

* :func:`decode_payload` / :func:`encode_payload`: pure functions over protobuf bytes
  (the ``Payload`` message of the Sparkplug B 3.0 specification, section 6.4); the encoder
  writes the wire format directly (:mod:`andon.connect.spb_wire`, beside the columnar
  reader of data payloads) and is the one the simulator's edge nodes use;
* :class:`SparkplugHost`: a sans-I/O state machine over (topic, payload) pairs. It learns
  metric names, aliases and data types from NBIRTH/DBIRTH, maps each metric to a model tag
  path, turns NDATA/DDATA into ``sample`` batches, follows each edge node's ``seq`` (0-255)
  and asks for a rebirth (``NCMD`` with ``Node Control/Rebirth``) on a gap or an unknown
  alias, and marks nodes and devices offline on NDEATH/DDEATH. It returns the NCMD
  messages to send; the MQTT client sends them.

Mapping births to model paths, in order: a metric whose name is a tag path of the model is
that tag; otherwise the device id names the equipment (its path with ``:`` for ``/``, e.g.
``acme:lyon:machining:m1:milling:mill1``, or an equipment id unique in the model) and the
metric name is the tag's name. A metric that maps to no tag keeps the path
``<group>/<node>/<device>/<metric>``, which the contract check quarantines as
``unknown_path``: nothing is dropped without a trace.

>>> data = encode_payload(timestamp_ms=1_700_000_000_000, seq=0,
...                       metrics=[("temp", 1, 1_700_000_000_000, 41.5)])
>>> decode_payload(data).metrics[0].name
'temp'
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from google.protobuf.message import DecodeError

from andon.connect import spb_wire
from andon.connect._proto.sparkplug_b_pb2 import Payload
from andon.connect.decoded import Decoded, Rejected, stamped
from andon.connect.uns import DEFAULT_MAX_PAYLOAD_BYTES, is_utf8, printable
from andon.model import Model
from andon.records import TS_TYPE, Quality, RecordKind

__all__ = [
    "DATATYPE_FIELDS",
    "NAMESPACE",
    "MetricTuple",
    "NodeState",
    "SparkplugHost",
    "SparkplugTopic",
    "asks_rebirth",
    "data_payload",
    "decode_payload",
    "device_data",
    "encode_payload",
    "metric_values",
    "parse_topic",
    "state_payload",
]

_log: Final = logging.getLogger(__name__)

NAMESPACE: Final = "spBv1.0"

DATATYPE_FIELDS: Final[dict[int, str]] = {
    1: "int_value",  # Int8
    2: "int_value",  # Int16
    3: "int_value",  # Int32
    4: "long_value",  # Int64
    5: "int_value",  # UInt8
    6: "int_value",  # UInt16
    7: "int_value",  # UInt32
    8: "long_value",  # UInt64
    9: "float_value",  # Float
    10: "double_value",  # Double
    11: "boolean_value",  # Boolean
    13: "long_value",  # DateTime (ms)
}
"""Numeric Sparkplug data types (section 6.4.16) and the value field that carries each.

Peers differ on the field of the integer types (Eclipse Tahu's JavaScript client sends
UInt32 in ``long_value``), so the host reads an integer type from ``int_value`` or
``long_value`` and a Float or Double from ``float_value`` or ``double_value``, whichever is
set, and checks the value against the type's range; a value in any other field, or none
(without ``is_null``), is quarantined as ``sparkplug.bad_value``, never read as 0."""

_SIGNED_BITS: Final[dict[int, int]] = {1: 8, 2: 16, 3: 32, 4: 64}
_UNSIGNED_BITS: Final[dict[int, int]] = {5: 8, 6: 16, 7: 32, 8: 64, 13: 64}
_FIELD_NUMBERS: Final[dict[str, int]] = {
    "int_value": spb_wire.INT,
    "long_value": spb_wire.LONG,
    "float_value": spb_wire.FLOAT,
    "double_value": spb_wire.DOUBLE,
    "boolean_value": spb_wire.BOOLEAN,
    "string_value": spb_wire.STRING,
}
_DATA_TYPES: Final = frozenset({"NDATA", "DDATA"})
_PROTOCOL_PREFIXES: Final = ("Node Control/", "Device Control/", "Properties/", "bdSeq")
_TEXT_TYPES: Final = frozenset({12, 14})  # String, Text
_REBIRTH_EVERY_S: Final = 5.0
_MAX_TS_MS: Final = (1 << 63) // 1000


@dataclass(frozen=True, slots=True)
class SparkplugTopic:
    """A Sparkplug topic: ``spBv1.0/<group>/<type>/<node>[/<device>]``."""

    group: str
    message_type: str
    node: str
    device: str | None = None


def parse_topic(topic: str) -> SparkplugTopic | None:
    """Return the parts of a Sparkplug B topic, or ``None`` (STATE and others).

    >>> parse_topic("spBv1.0/plant/DDATA/edge1/press1")
    SparkplugTopic(group='plant', message_type='DDATA', node='edge1', device='press1')
    """
    parts = topic.split("/")
    if len(parts) not in (4, 5) or parts[0] != NAMESPACE or not all(parts):
        return None
    return SparkplugTopic(parts[1], parts[2], parts[3], parts[4] if len(parts) == 5 else None)


def decode_payload(data: bytes) -> Any:
    """Return the ``Payload`` message of some bytes; raise ``ValueError`` if they are not one."""
    payload = Payload()
    try:
        payload.ParseFromString(data)
    except (DecodeError, RuntimeWarning, ValueError) as exc:
        msg = f"not a Sparkplug B payload: {exc}"
        raise ValueError(msg) from exc
    return payload


MetricTuple = tuple[str | None, int | None, int | None, float | bool | None]
"""(name, alias, timestamp ms, value): a Double metric, a Boolean for a ``bool``, null for
``None``."""


def encode_payload(
    *,
    timestamp_ms: int | None,
    seq: int | None,
    metrics: Iterable[spb_wire.Metric | MetricTuple],
) -> bytes:
    """Return payload bytes, the encoder beside :func:`decode_payload` and the host's reader.

    Each metric is a :class:`~andon.connect.spb_wire.Metric` (any scalar data type) or a
    ``(name, alias, timestamp ms, value)`` tuple: a Double, a Boolean when the value is a
    ``bool``, a null metric when it is ``None``. Written by
    :func:`~andon.connect.spb_wire.write_payload`; the simulator's edge nodes, the tests and
    the benchmarks use it.
    """
    return spb_wire.write_payload(
        timestamp_ms=timestamp_ms, seq=seq, metrics=[_metric_of(m) for m in metrics]
    )


def _metric_of(metric: spb_wire.Metric | MetricTuple) -> spb_wire.Metric:
    if isinstance(metric, spb_wire.Metric):
        return metric
    name, alias, ts, value = metric
    datatype = spb_wire.DataType.BOOLEAN if isinstance(value, bool) else spb_wire.DataType.DOUBLE
    return spb_wire.Metric(
        name=name,
        alias=alias,
        timestamp_ms=ts,
        datatype=datatype,
        value=value if value is None or isinstance(value, bool) else float(value),
    )


def device_data(
    kind: RecordKind,
    table: pa.Table,
    *,
    aliases: Mapping[str, tuple[str, int]],
    max_metrics: int = 2000,
) -> list[tuple[str, list[spb_wire.Metric]]]:
    """Return the DDATA metrics of a batch by device, in the order devices first appear.

    Samples become Double metrics (a bad sample, without a value, a null metric) and states
    String metrics, each with its alias and its record's timestamp; ``aliases`` maps a
    record's path (the tag path of a sample, the equipment path of a state) to its device id
    and alias, as the device's DBIRTH declared them. Rows whose path has no alias, and other
    record kinds, are not Sparkplug metrics and are left out. A device's metrics come in
    lists of at most ``max_metrics``, one payload each (:func:`data_payload`).
    """
    kind = RecordKind(kind)
    if kind is RecordKind.SAMPLE:
        datatype, column = spb_wire.DataType.DOUBLE, "value"
    elif kind is RecordKind.STATE:
        datatype, column = spb_wire.DataType.STRING, "state"
    else:
        return []
    paths = table.column("path").to_pylist()
    ts_ms = (table.column("ts").cast(pa.int64()).to_numpy() // 1000).tolist()
    values = table.column(column).to_pylist()
    per_device: dict[str, list[spb_wire.Metric]] = {}
    for path, ts, value in zip(paths, ts_ms, values, strict=True):
        where = aliases.get(path)
        if where is not None:
            device, alias = where
            per_device.setdefault(device, []).append(
                spb_wire.Metric(None, alias, ts, datatype, value)
            )
    return [
        (device, metrics[start : start + max_metrics])
        for device, metrics in per_device.items()
        for start in range(0, len(metrics), max_metrics)
    ]


def data_payload(metrics: Sequence[spb_wire.Metric], *, seq: int) -> bytes:
    """Return an NDATA/DDATA payload stamped with its newest metric's timestamp."""
    newest = max((m.timestamp_ms or 0 for m in metrics), default=0)
    return encode_payload(timestamp_ms=newest, seq=seq, metrics=metrics)


def state_payload(*, online: bool, timestamp_ms: int | None = None) -> bytes:
    """Return a host application STATE payload (Sparkplug B 3.0 section 7.6: JSON)."""
    ts = timestamp_ms if timestamp_ms is not None else time.time_ns() // 1_000_000
    return json.dumps({"online": online, "timestamp": ts}).encode()


def rebirth_payload() -> bytes:
    """Return an NCMD payload that asks an edge node to publish its births again."""
    return encode_payload(
        timestamp_ms=time.time_ns() // 1_000_000,
        seq=None,
        metrics=[("Node Control/Rebirth", None, None, True)],
    )


def asks_rebirth(payload: bytes) -> bool:
    """Whether an NCMD payload sets ``Node Control/Rebirth`` to true (the inverse of
    :func:`rebirth_payload`; what an edge node honours)."""
    metrics = spb_wire.read_metrics([payload])
    return any(
        metrics.name(row) == "Node Control/Rebirth"
        and metrics.member[row] == spb_wire.BOOLEAN
        and bool(metrics.varint[row])
        for row in range(len(metrics))
    )


@dataclass(slots=True)
class _Metric:
    path: str
    value_field: str | None
    datatype: int
    is_state: bool = False
    device: str | None = None


@dataclass(slots=True)
class NodeState:
    """What the host knows of one edge node: aliases, expected seq, online devices."""

    group: str
    node: str
    online: bool = False
    bd_seq: int | None = None
    expected_seq: int | None = None
    aliases: dict[int, _Metric] = field(default_factory=dict)
    names: dict[tuple[str | None, str], _Metric] = field(default_factory=dict)
    devices: set[str] = field(default_factory=set)
    dead: set[str] = field(default_factory=set)
    last_rebirth_request: float = 0.0
    lookup: _AliasTable | None = None

    def alias_table(self) -> _AliasTable:
        """Return the aliases sorted, with their metrics' attributes (cached until a birth)."""
        if self.lookup is None:
            keys = sorted(self.aliases)
            self.lookup = _AliasTable.of(keys, [self.aliases[k] for k in keys])
        return self.lookup


class SparkplugHost:
    """The Sparkplug host state machine: (topic, payload) groups in, samples out.

    ``group`` limits the host to one group id (``None``: every group); ``host_id`` names it
    in its STATE topic; a payload over ``max_payload_bytes`` is quarantined unread
    (``sparkplug.too_large``). :meth:`decode` returns samples and rejects; the NCMD rebirth
    requests it wants sent are taken with :meth:`take_commands`.
    """

    def __init__(
        self,
        *,
        model: Model,
        group: str | None = None,
        host_id: str = "andon",
        source: str = "sparkplug",
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    ) -> None:
        self.model: Final = model
        self.max_payload_bytes: Final = max_payload_bytes
        self.group: Final = group
        self.host_id: Final = host_id
        self.source: Final = source
        self.nodes: dict[tuple[str, str], NodeState] = {}
        self._commands: list[tuple[str, bytes]] = []
        self._by_id: dict[str, str | None] = {}
        for path in model.equipment:
            eq_id = path.rsplit("/", 1)[1]
            self._by_id[eq_id] = None if eq_id in self._by_id else path
        self.counts: dict[str, int] = {}

    @property
    def state_topic(self) -> str:
        """The host's STATE topic (retained; the will says offline)."""
        return f"{NAMESPACE}/STATE/{self.host_id}"

    def subscriptions(self) -> list[str]:
        """Topics the host subscribes to: its group (or every group) and its own STATE
        (``tck-id-host-topic-phid-birth-sub-required``; ``spBv1.0/+/#`` covers it)."""
        if self.group is None:
            return [f"{NAMESPACE}/+/#"]
        return [f"{NAMESPACE}/{self.group}/#", self.state_topic]

    def presence(self) -> tuple[str, bytes, bytes]:
        """Return the STATE topic with its online and offline (will) payloads, built with one
        timestamp (Sparkplug B 3.0 section 7.6: the birth's timestamp is the will's); a new
        call, for a new connection, takes a new one."""
        now_ms = time.time_ns() // 1_000_000
        return (
            self.state_topic,
            state_payload(online=True, timestamp_ms=now_ms),
            state_payload(online=False, timestamp_ms=now_ms),
        )

    def take_commands(self) -> list[tuple[str, bytes]]:
        """Return and forget the NCMD messages the host wants published."""
        commands, self._commands = self._commands, []
        return commands

    def _count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def _request_rebirth(self, node: NodeState, why: str) -> None:
        now = time.monotonic()
        if now - node.last_rebirth_request < _REBIRTH_EVERY_S:
            return
        node.last_rebirth_request = now
        node.expected_seq = None
        _log.warning("asking %s/%s for a rebirth: %s", node.group, node.node, why)
        self._count("rebirth_requests")
        self._commands.append((f"{NAMESPACE}/{node.group}/NCMD/{node.node}", rebirth_payload()))

    def _equipment(self, device: str | None) -> str | None:
        if device is None:
            return None
        path = device.replace(":", "/")
        if path in self.model.equipment:
            return path
        return self._by_id.get(device)

    def _map(self, topic: SparkplugTopic, name: str) -> str:
        if name in self.model.tags:
            return name
        equipment = self._equipment(topic.device) or self._equipment(topic.node)
        if equipment is not None:
            candidate = f"{equipment}/{name}"
            if candidate in self.model.tags:
                return candidate
        device = f"/{topic.device}" if topic.device else ""
        return f"{topic.group}/{topic.node}{device}/{name}"

    def decode(self, messages: Sequence[tuple[str, bytes]]) -> Decoded:
        """Follow births and deaths; decode data messages in order into samples and states.

        Consecutive NDATA/DDATA messages are read together into columns
        (:func:`~andon.connect.spb_wire.read_metrics`): no Python object per metric.
        """
        rejects: list[Rejected] = []
        rows = _Rows()
        run: list[tuple[SparkplugTopic, str, bytes]] = []
        for topic_text, data in messages:
            if not is_utf8(topic_text):
                detail = f"topic {topic_text!r} is not UTF-8 (MQTT topics must be)"
                rejects.append(_reject("sparkplug.topic", detail, printable(topic_text), data))
                continue
            topic = parse_topic(topic_text)
            if topic is None:
                if not topic_text.startswith(f"{NAMESPACE}/STATE/"):
                    rejects.append(
                        _reject("sparkplug.topic", "not a Sparkplug B topic", topic_text, data)
                    )
                continue
            if self.group is not None and topic.group != self.group:
                continue
            if len(data) > self.max_payload_bytes:
                digest = hashlib.sha256(data).hexdigest()
                detail = (
                    f"{len(data)} bytes (sha256 {digest}), over the limit of "
                    f"{self.max_payload_bytes}: not read; the first 3072 bytes are kept"
                )
                rejects.append(_reject("sparkplug.too_large", detail, topic_text, data[:3072]))
                continue
            if topic.message_type in _DATA_TYPES:
                run.append((topic, topic_text, data))
                continue
            if run:
                self._data(run, rows, rejects)
                run = []
            try:
                self._one(topic, topic_text, data, rows, rejects)
            except _BirthError as exc:
                rejects.append(_reject(exc.reason, str(exc), topic_text, data))
            except ValueError as exc:
                rejects.append(_reject("sparkplug.corrupt", str(exc), topic_text, data))
        if run:
            self._data(run, rows, rejects)
        return Decoded(rows.tables(self.source), stamped(rejects, self.source))

    def _node(self, topic: SparkplugTopic) -> NodeState:
        key = (topic.group, topic.node)
        node = self.nodes.get(key)
        if node is None:
            node = self.nodes[key] = NodeState(topic.group, topic.node)
        return node

    def _one(
        self,
        topic: SparkplugTopic,
        topic_text: str,
        data: bytes,
        rows: _Rows,
        rejects: list[Rejected],
    ) -> None:
        """Follow one birth, death or command (data messages go to :meth:`_data`)."""
        kind = topic.message_type
        if kind in {"NCMD", "DCMD"}:
            return
        payload = decode_payload(data)
        _check_names(payload)
        node = self._node(topic)
        if kind == "NDEATH":
            bd_seq = _bd_seq(payload)
            if node.bd_seq is not None and bd_seq is not None and bd_seq != node.bd_seq:
                self._count("stale_deaths")
                return
            if node.online:
                rows.add_stale(_now_us(), list(node.names.values()))
            node.online = False
            node.expected_seq = None
            self._count("node_deaths")
            _log.info("edge node %s/%s is offline (NDEATH)", topic.group, topic.node)
            return
        seq = int(payload.seq) if payload.HasField("seq") else None
        if kind == "NBIRTH":
            node.online = True
            node.bd_seq = _bd_seq(payload)
            node.aliases.clear()
            node.names.clear()
            node.lookup = None
            node.devices.clear()
            node.dead.clear()
            node.expected_seq = None if seq is None else (seq + 1) % 256
            self._learn(node, topic, payload)
            self._birth_values(node, topic, topic_text, data, rows, rejects)
            self._count("births")
            return
        if kind not in {"DBIRTH", "DDEATH"}:
            rejects.append(
                _reject("sparkplug.type", f"unknown message type {kind!r}", topic_text, data)
            )
            return
        self._follow_seq(node, kind, seq)
        if kind == "DBIRTH":
            if topic.device is not None:
                node.devices.add(topic.device)
                node.dead.discard(topic.device)
            self._learn(node, topic, payload)
            if node.online:
                self._birth_values(node, topic, topic_text, data, rows, rejects)
            self._count("births")
            return
        if topic.device is not None and topic.device in node.devices:
            entries = [m for (device, _), m in node.names.items() if device == topic.device]
            rows.add_stale(_now_us(), entries)
            node.dead.add(topic.device)
        node.devices.discard(topic.device or "")
        self._count("device_deaths")

    def _birth_values(  # noqa: PLR0917 - private helper of _one
        self,
        node: NodeState,
        topic: SparkplugTopic,
        topic_text: str,
        data: bytes,
        rows: _Rows,
        rejects: list[Rejected],
    ) -> None:
        """Keep a birth's metric values: a metric reported by exception that never changes
        has its value only there."""
        read = spb_wire.read_metrics([data])
        if read.corrupt:
            return  # protobuf read it: a layout the columnar reader refuses keeps no values
        run = [(topic, topic_text, data)]
        table = self._resolve(run, [node], read)
        problems = _problems(read, table)
        _, _, bad_values = problems.get(0, ([], [], []))
        if bad_values:
            rejects.append(
                _reject(
                    "sparkplug.bad_value",
                    f"{len(bad_values)} birth metric(s) whose value does not read as their data "
                    f"type: {', '.join(bad_values[:5])} (the birth itself was followed)",
                    topic_text,
                    data,
                )
            )
        rows.add(read, table, nulls=False)

    def _follow_seq(self, node: NodeState, kind: str, seq: int | None) -> None:
        """Check a message's ``seq`` against the node's; ask for a rebirth on a gap."""
        if not node.online:
            self._request_rebirth(node, f"{kind} before NBIRTH")
        elif seq is not None and node.expected_seq is not None and seq != node.expected_seq:
            self._count("seq_gaps")
            self._request_rebirth(node, f"seq {seq} where {node.expected_seq} was expected")
        if seq is not None and node.online:
            node.expected_seq = (seq + 1) % 256

    def _learn(self, node: NodeState, topic: SparkplugTopic, payload: Any) -> None:
        node.lookup = None
        for metric in payload.metrics:
            name = metric.name
            if not name or name.startswith(_PROTOCOL_PREFIXES):
                continue
            equipment = self._equipment(topic.device) or self._equipment(topic.node)
            if name == "state" and metric.datatype in _TEXT_TYPES and equipment is not None:
                entry = _Metric(
                    equipment, "string_value", metric.datatype, is_state=True, device=topic.device
                )
            else:
                value_field = DATATYPE_FIELDS.get(metric.datatype)
                entry = _Metric(
                    self._map(topic, name), value_field, metric.datatype, device=topic.device
                )
            node.names[(topic.device, name)] = entry
            if metric.HasField("alias"):
                node.aliases[int(metric.alias)] = entry

    def _data(
        self,
        run: list[tuple[SparkplugTopic, str, bytes]],
        rows: _Rows,
        rejects: list[Rejected],
    ) -> None:
        """Decode consecutive data messages (no birth or death among them) as columns."""
        read = spb_wire.read_metrics([data for _, _, data in run])
        nodes = [None if i in read.corrupt else self._node(t) for i, (t, _, _) in enumerate(run)]
        table = self._resolve(run, nodes, read)
        problems = _problems(read, table)
        offline: list[int] = []
        for number, (topic, topic_text, data) in enumerate(run):
            node, header = nodes[number], read.headers[number]
            if node is None or header is None:
                detail = read.corrupt.get(number, "not a Sparkplug B payload")
                rejects.append(_reject("sparkplug.corrupt", detail, topic_text, data))
                continue
            dead = not node.online and bool(node.names)  # born once, then NDEATH
            if dead or (topic.device is not None and topic.device in node.dead):
                # its aliases belong to a session that ended (NDEATH/DDEATH): not read
                offline.append(number)
                self._request_rebirth(node, f"{topic.message_type} after a death, before a birth")
                what = "edge node" if dead else "device"
                rejects.append(
                    _reject(
                        "sparkplug.offline",
                        f"{topic.message_type} from an {what} that is dead (NDEATH/DDEATH): "
                        "its aliases are stale; a rebirth was requested",
                        topic_text,
                        data,
                    )
                )
                continue
            self._follow_seq(node, topic.message_type, header.seq)
            unknown, unsupported, bad_values = problems.get(number, ([], [], []))
            if bad_values:
                rejects.append(
                    _reject(
                        "sparkplug.bad_value",
                        f"{len(bad_values)} metric(s) whose value does not read as their birth's "
                        f"data type: {', '.join(bad_values[:5])}",
                        topic_text,
                        data,
                    )
                )
            if unknown:
                self._request_rebirth(node, f"unknown metric(s) {', '.join(unknown[:5])}")
                rejects.append(
                    _reject(
                        "sparkplug.unknown_alias",
                        f"{len(unknown)} metric(s) not announced by a birth: "
                        f"{', '.join(unknown[:5])}",
                        topic_text,
                        data,
                    )
                )
            if unsupported:
                rejects.append(
                    _reject(
                        "sparkplug.unsupported",
                        f"{len(unsupported)} metric(s) not numeric or without a usable "
                        f"timestamp: {', '.join(unsupported[:5])}",
                        topic_text,
                        data,
                    )
                )
        rows.add(read, table, skip=offline)

    def _resolve(
        self,
        run: list[tuple[SparkplugTopic, str, bytes]],
        nodes: list[NodeState | None],
        read: spb_wire.MetricColumns,
    ) -> _Resolved:
        """Find each metric's birth entry: by alias (vectorised, per node), else by name."""
        entry = np.full(len(read), _UNKNOWN, dtype=np.int64)
        parts: list[_AliasTable] = []
        offset = 0
        by_node: dict[int, tuple[NodeState, list[int]]] = {}
        for number, node in enumerate(nodes):
            if node is not None:
                by_node.setdefault(id(node), (node, []))[1].append(number)
        for node, numbers in by_node.values():
            lookup = node.alias_table()
            if lookup.keys.size:
                rows = np.flatnonzero(np.isin(read.message, numbers))
                aliases = read.alias[rows]
                at = np.minimum(np.searchsorted(lookup.keys, aliases), lookup.keys.size - 1)
                found = lookup.keys[at] == aliases
                entry[rows[found]] = offset + at[found]
                parts.append(lookup)
                offset += lookup.keys.size
        named: list[_Metric] = []
        for row in np.flatnonzero(read.name_stop > read.name_start).tolist():
            name = read.name(row) or ""
            number = int(read.message[row])
            node = nodes[number]
            found_by_name = None if node is None else node.names.get((run[number][0].device, name))
            if found_by_name is None:
                entry[row] = _PROTOCOL if name.startswith(_PROTOCOL_PREFIXES) else _UNKNOWN
            else:
                entry[row] = offset + len(named)
                named.append(found_by_name)
        parts.append(_AliasTable.of([], named))
        parts.append(_AliasTable.of([], [_Metric("", None, 0)]))  # the slot of non-entries
        dummy = offset + len(named)
        safe = np.where(entry >= 0, entry, dummy)
        return _Resolved(
            entry=entry,
            value_field=np.concatenate([p.value_field for p in parts])[safe],
            datatype=np.concatenate([p.datatype for p in parts])[safe],
            is_state=np.concatenate([p.is_state for p in parts])[safe],
            paths=pa.concat_arrays([p.paths for p in parts]),
            safe=safe,
        )


_UNKNOWN: Final = -1
_PROTOCOL: Final = -2


@dataclass(frozen=True, slots=True)
class _AliasTable:
    """A node's metrics as arrays in alias order, for vectorised look-ups."""

    keys: npt.NDArray[np.uint64]
    value_field: npt.NDArray[np.int64]
    datatype: npt.NDArray[np.int64]
    is_state: npt.NDArray[np.bool_]
    paths: pa.Array

    @classmethod
    def of(cls, keys: list[int], metrics: list[_Metric]) -> _AliasTable:
        return cls(
            np.asarray(keys, dtype=np.uint64),
            np.asarray(
                [_FIELD_NUMBERS.get(m.value_field or "", 0) for m in metrics], dtype=np.int64
            ),
            np.asarray([m.datatype for m in metrics], dtype=np.int64),
            np.asarray([m.is_state for m in metrics], dtype=np.bool_),
            pa.array([m.path for m in metrics], type=pa.string()),
        )


@dataclass(frozen=True, slots=True)
class _Resolved:
    """Per metric row: its entry (or _UNKNOWN/_PROTOCOL) and that entry's attributes."""

    entry: npt.NDArray[np.int64]
    value_field: npt.NDArray[np.int64]
    datatype: npt.NDArray[np.int64]
    is_state: npt.NDArray[np.bool_]
    paths: pa.Array
    safe: npt.NDArray[np.int64]

    def usable_ts(self, read: spb_wire.MetricColumns) -> npt.NDArray[np.uint64]:
        """Each metric's timestamp (ms), the payload's where it has none; _MAX_TS_MS if none."""
        header_ts = np.asarray(
            [
                h.timestamp if h is not None and h.timestamp is not None else _MAX_TS_MS
                for h in read.headers
            ],
            dtype=np.uint64,
        )
        if read.message.size == 0:
            return np.zeros(0, dtype=np.uint64)
        return np.where(read.timestamp != 0, read.timestamp, header_ts[read.message])


_VALUE_PROBLEMS: Final = {1: "no value", 2: "value in another field", 3: "out of range"}


def metric_values(
    datatype: npt.NDArray[np.int64],
    read: spb_wire.MetricColumns,
    rows: npt.NDArray[np.intp],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Return the value of each metric row as a float and a problem code (0: none).

    The row's birth ``datatype`` says how to read what is set: an integer type from
    ``int_value`` (two's complement in 32 bits) or ``long_value`` (in 64), a Float or Double
    from either float field, a Boolean from ``boolean_value``. Codes: 1 no value (and not
    ``is_null``), 2 a value in a field that the type cannot come in, 3 outside the type's
    range. A null metric has no problem and no value (NaN; the caller masks it).
    """
    member = read.member[rows]
    raw = read.varint[rows]
    null = read.is_null[rows]
    values = np.full(rows.size, np.nan)
    problem = np.zeros(rows.size, dtype=np.int64)
    integer_member = (member == spb_wire.INT) | (member == spb_wire.LONG)
    low32 = (raw & np.uint64(0xFFFFFFFF)).astype(np.int64)
    as_int32 = np.where(low32 >= 1 << 31, low32 - (1 << 32), low32)
    as_int64 = raw.view(np.int64)
    for code, bits in _SIGNED_BITS.items():
        at = (datatype == code) & ~null
        if not at.any():
            continue
        number = np.where(member[at] == spb_wire.INT, as_int32[at], as_int64[at])
        if bits < 64:  # a peer may send the type's own width unsigned (-1 as 255)
            wrapped = (number >= 1 << (bits - 1)) & (number < 1 << bits)
            number = np.where(wrapped, number - (1 << bits), number)
            outside = (number < -(1 << (bits - 1))) | (number >= 1 << (bits - 1))
        else:
            outside = np.zeros(number.size, dtype=np.bool_)
        values[at] = number.astype(np.float64)
        problem[at] = np.where(integer_member[at], np.where(outside, 3, 0), 2)
    for code, bits in _UNSIGNED_BITS.items():
        at = (datatype == code) & ~null
        if not at.any():
            continue
        number = np.where(member[at] == spb_wire.INT, raw[at] & np.uint64(0xFFFFFFFF), raw[at])
        outside = number >= np.uint64(1 << bits) if bits < 64 else np.zeros(number.size, bool)
        values[at] = number.astype(np.float64)
        problem[at] = np.where(integer_member[at], np.where(outside, 3, 0), 2)
    real = (datatype == 9) | (datatype == 10)
    at = real & ~null
    real_member = (member == spb_wire.FLOAT) | (member == spb_wire.DOUBLE)
    values[at] = read.real[rows][at]
    problem[at] = np.where(real_member[at], 0, 2)
    at = (datatype == 11) & ~null
    values[at] = raw[at].astype(np.float64)
    problem[at] = np.where(member[at] == spb_wire.BOOLEAN, 0, 2)
    at = np.isin(datatype, list(_TEXT_TYPES)) & ~null
    problem[at] = np.where(member[at] == spb_wire.STRING, 0, 2)
    problem[(member == 0) & ~null & (problem == 2)] = 1
    return values, problem


def _problems(
    read: spb_wire.MetricColumns, table: _Resolved
) -> dict[int, tuple[list[str], list[str], list[str]]]:
    """Per message: metrics no birth announced, metrics that cannot become samples, and
    metrics whose value does not read as their birth's data type."""
    problems: dict[int, tuple[list[str], list[str], list[str]]] = {}
    ts = table.usable_ts(read)
    known = table.entry >= 0
    untyped = known & (table.value_field == 0)
    timeless = known & (table.value_field != 0) & (ts >= _MAX_TS_MS)
    typed = np.flatnonzero(known & (table.value_field != 0))
    _, value_problem = metric_values(table.datatype[typed], read, typed)
    bad = np.zeros(len(read), dtype=np.int64)
    bad[typed] = value_problem
    for row in np.flatnonzero((table.entry == _UNKNOWN) | untyped | timeless | (bad > 0)).tolist():
        label = read.name(row) or f"alias {int(read.alias[row])}"
        unknown, unsupported, bad_values = problems.setdefault(int(read.message[row]), ([], [], []))
        if table.entry[row] == _UNKNOWN:
            unknown.append(label)
        elif untyped[row]:
            unsupported.append(read.name(row) or str(int(read.alias[row])))
        elif bad[row]:
            bad_values.append(f"{label} ({_VALUE_PROBLEMS[int(bad[row])]})")
        else:
            unsupported.append(f"{read.name(row) or int(read.alias[row])} (no usable timestamp)")
    return problems


class _Rows:
    """Sample and state columns collected over the runs of one decode call."""

    def __init__(self) -> None:
        self.samples: list[
            tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], pa.Array, pa.Array, pa.Array]
        ]
        self.samples = []
        self.states: list[tuple[int, int, str, str]] = []

    def add(
        self,
        read: spb_wire.MetricColumns,
        table: _Resolved,
        skip: Iterable[int] = (),
        *,
        nulls: bool = True,
    ) -> None:
        """Keep the samples and states of a run's metrics (none of the messages in ``skip``;
        without ``nulls``, no null metric: a birth's null metric only declares it)."""
        if len(read) == 0:
            return
        ts = table.usable_ts(read)
        usable = (table.entry >= 0) & (table.value_field != 0) & (ts < _MAX_TS_MS)
        skipped = list(skip)
        if skipped:
            usable &= ~np.isin(read.message, skipped)
        if not nulls:
            usable &= ~read.is_null
        candidates = np.flatnonzero(usable)
        _, problem = metric_values(table.datatype[candidates], read, candidates)
        usable[candidates[problem > 0]] = False
        for row in np.flatnonzero(usable & table.is_state & ~read.is_null).tolist():
            text = read.text(row)
            path = table.paths[int(table.safe[row])].as_py()
            self.states.append((int(ts[row]) * 1000, int(read.index[row]), path, text or ""))
        rows = np.flatnonzero(usable & ~table.is_state)
        if rows.size == 0:
            return
        values, _ = metric_values(table.datatype[rows], read, rows)
        null = read.is_null[rows]
        self.samples.append(
            (
                ts[rows].astype(np.int64) * 1000,
                read.index[rows],
                table.paths.take(pa.array(table.safe[rows])),
                pa.array(np.where(null, 0.0, values), mask=null, type=pa.float64()),
                pa.repeat(Quality.GOOD.value, rows.size),
            )
        )

    def add_stale(self, ts_us: int, entries: Sequence[_Metric]) -> None:
        """Keep a stale mark of each metric (NDEATH, DDEATH): a sample without a value of
        quality ``uncertain``, and an equipment state ``offline``."""
        samples = [e.path for e in entries if not e.is_state]
        for position, entry in enumerate(e for e in entries if e.is_state):
            self.states.append((ts_us, position, entry.path, "offline"))
        if samples:
            n = len(samples)
            self.samples.append(
                (
                    np.full(n, ts_us, dtype=np.int64),
                    np.arange(n, dtype=np.int64),
                    pa.array(samples, type=pa.string()),
                    pa.nulls(n, pa.float64()),
                    pa.repeat(Quality.UNCERTAIN.value, n),
                )
            )

    def tables(self, source: str) -> dict[RecordKind, pa.Table]:
        """Return the sample and state tables of what was kept."""
        tables: dict[RecordKind, pa.Table] = {}
        if self.samples:
            ts_parts, seq_parts, paths, values, qualities = zip(*self.samples, strict=True)
            n = sum(len(p) for p in ts_parts)
            value = pa.concat_arrays(list(values))
            # a null metric (is_null) carries no value: a bad sample, as the simulator sends
            # one; a stale mark keeps its quality (uncertain)
            given = pa.concat_arrays([q.cast(pa.string()) for q in qualities])
            null_good = pc.and_(pc.is_null(value), pc.equal(given, Quality.GOOD.value))
            quality = pc.if_else(null_good, Quality.BAD.value, given)
            tables[RecordKind.SAMPLE] = pa.Table.from_arrays(
                [
                    pa.array(np.concatenate(ts_parts), type=pa.int64()).cast(TS_TYPE),
                    pa.repeat(source, n),
                    pa.array(np.concatenate(seq_parts), type=pa.int64()),
                    pa.concat_arrays(list(paths)),
                    value,
                    quality,
                ],
                names=["ts", "source", "seq", "path", "value", "quality"],
            )
        if self.states:
            ts, seq, paths_, states = zip(*self.states, strict=True)
            tables[RecordKind.STATE] = pa.Table.from_arrays(
                [
                    pa.array(ts, type=pa.int64()).cast(TS_TYPE),
                    pa.repeat(source, len(ts)),
                    pa.array(seq, type=pa.int64()),
                    pa.array(paths_, type=pa.string()),
                    pa.array(states, type=pa.string()),
                    pa.nulls(len(ts), pa.string()),
                ],
                names=["ts", "source", "seq", "path", "state", "reason"],
            )
        return tables


class _BirthError(ValueError):
    """A birth or death that cannot be followed, with its quarantine reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _check_names(payload: Any) -> None:
    """Refuse a birth or death whose metric names are not UTF-8 (protobuf hands them on as
    bytes), before anything of it is learnt."""
    for metric in payload.metrics:
        if isinstance(metric.name, bytes):
            msg = f"metric name {metric.name!r} is not UTF-8"
            raise _BirthError("sparkplug.not_utf8", msg)


def _now_us() -> int:
    """The host's clock, for a death's stale marks: a will's timestamp is its connect time."""
    return time.time_ns() // 1000


def _bd_seq(payload: Any) -> int | None:
    for metric in payload.metrics:
        if metric.name == "bdSeq":
            kind = metric.WhichOneof("value")
            return None if kind is None else int(getattr(metric, kind))
    return None


def _reject(reason: str, detail: str, topic: str, data: bytes) -> Rejected:
    """A rejected binary payload, kept as base64 so that it can be decoded again later."""
    return Rejected(
        reason,
        detail,
        topic,
        b"base64:" + base64.b64encode(data),
        RecordKind.SAMPLE.value,
    )
