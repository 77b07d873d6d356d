"""Every protocol's codec by name: its decoder, its encoder where it has one, example messages.

One entry per protocol of ``andon.connect`` (UNS JSON, Sparkplug B, historian files, OPC UA
values), each seen the same way: a decoder built for a model takes ``(topic, payload)``
messages and returns canonical record batches (:class:`~andon.connect.decoded.Decoded`).
The conformance suite runs the same checks on every entry (deterministic, never a foreign
exception on hostile bytes, canonical schemas, decode of encode); a new protocol is added
here and gets them.

What a topic and a payload are, per protocol: an MQTT topic and its JSON payload (UNS); a
Sparkplug topic and its protobuf payload; a file name (its suffix says CSV or Parquet) and
the file's bytes, in the long layout; an OPC UA node id and a ``DataValue`` in OPC UA binary
encoding (Part 6, 5.2.2.17), as a subscription delivers it.

>>> codec = get_codec("uns")
>>> from andon.model import load_model
>>> model = load_model("examples/discrete")
>>> decoded = codec.decoder(model).decode(codec.examples(model, 1_767_571_200_000_000))
>>> sorted(kind.value for kind in decoded.tables), decoded.rejected
(['sample', 'state'], ())
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from typing import Final, Protocol

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from asyncua import ua
from asyncua.common.utils import Buffer
from asyncua.ua.ua_binary import struct_from_binary, struct_to_binary

from andon.connect import spb_wire
from andon.connect.decoded import Decoded, Rejected
from andon.connect.files import HistorianFile, read_historian
from andon.connect.opcua import _Collector, node_map
from andon.connect.sparkplug import NAMESPACE, SparkplugHost, data_payload, device_data
from andon.connect.sparkplug import encode_payload as spb_encode
from andon.connect.uns import UnsDecoder, encode_batch
from andon.errors import ConnectError
from andon.model import Model
from andon.records import Quality, RecordKind, samples, states

__all__ = ["Codec", "Decoder", "Message", "codec_names", "get_codec"]

Message = tuple[str, bytes]
"""A topic (or a file name, a node id) and its payload."""


class Decoder(Protocol):
    """What a codec's decoder offers: messages in, canonical record batches out."""

    def decode(self, messages: Sequence[Message]) -> Decoded:
        """Decode a group of messages; what cannot be read comes back rejected."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Codec:
    """One protocol: how to decode it, encode it, and what a source of it sends."""

    name: str
    description: str
    kinds: frozenset[RecordKind]
    """Record kinds the protocol carries."""
    decoder: Callable[[Model], Decoder]
    """A new decoder for a model (decoders with state, as a Sparkplug host, start afresh)."""
    examples: Callable[[Model, int], list[Message]]
    """Messages a source of the model sends about the moment given (UTC microseconds)."""
    encode: Callable[[Model, RecordKind, pa.Table], list[Message]] | None = None
    """Records to messages, the inverse of the decoder; ``None`` where andon only reads."""
    kept: tuple[str, ...] = ("ts", "path", "value", "quality")
    """Columns a round trip through the protocol keeps (the others are the decoder's own)."""
    ts_resolution_us: int = 1
    """Resolution of the protocol's timestamps: a round trip floors ``ts`` to it."""
    qualities: frozenset[Quality] = frozenset(Quality)
    """Sample qualities the protocol can say (Sparkplug B only has a null metric: bad)."""


# --- examples ---------------------------------------------------------------------------------


def _example_records(model: Model, at_us: int) -> dict[RecordKind, pa.Table]:
    """One sample of every tag and one state of every equipment, a second apart."""
    tags = sorted(model.tags)
    equipment = sorted(model.equipment)
    return {
        RecordKind.SAMPLE: samples(
            ts=[at_us + i * 1_000_000 for i in range(len(tags))],
            path=tags,
            value=[float(i) + 0.5 for i in range(len(tags))],
            source="example",
        ),
        RecordKind.STATE: states(
            ts=[at_us] * len(equipment),
            path=equipment,
            state=["running"] * len(equipment),
            source="example",
        ),
    }


def _encoded_examples(
    encode: Callable[[Model, RecordKind, pa.Table], list[Message]], kinds: frozenset[RecordKind]
) -> Callable[[Model, int], list[Message]]:
    def examples(model: Model, at_us: int) -> list[Message]:
        out: list[Message] = []
        for kind, table in _example_records(model, at_us).items():
            if kind in kinds:
                out.extend(encode(model, kind, table))
        return out

    return examples


# --- UNS JSON ---------------------------------------------------------------------------------


def _uns_encode(model: Model, kind: RecordKind, table: pa.Table) -> list[Message]:
    return encode_batch(kind, table, root=model.root)


# --- Sparkplug B ------------------------------------------------------------------------------


def _spb_aliases(model: Model) -> tuple[dict[str, tuple[str, int]], dict[str, tuple[str, int]]]:
    """Tag path and equipment path -> (device id, alias): one edge node per site, one device
    per equipment with its tags in class order, then ``state``. Aliases are unique within
    the edge node (Sparkplug B 3.0, 6.4.9: across all its devices), not only the device."""
    tags: dict[str, tuple[str, int]] = {}
    equipment: dict[str, tuple[str, int]] = {}
    next_alias: dict[str, int] = {}
    for path, info in sorted(model.equipment.items()):
        node = path.split("/")[1]
        device = path.replace("/", ":")
        alias = next_alias.get(node, 0)
        for tag in info.equipment_class.tags:
            tags[f"{path}/{tag.name}"] = (device, alias)
            alias += 1
        equipment[path] = (device, alias)
        next_alias[node] = alias + 1
    return tags, equipment


def _spb_births(model: Model) -> tuple[list[Message], dict[str, int]]:
    """Every node's NBIRTH and every device's DBIRTH; the next ``seq`` of each node."""
    tags, equipment = _spb_aliases(model)
    out: list[Message] = []
    seq: dict[str, int] = {}
    for path, info in sorted(model.equipment.items()):
        node = path.split("/")[1]
        if node not in seq:
            seq[node] = 1
            out.append(
                (
                    f"{NAMESPACE}/{model.root}/NBIRTH/{node}",
                    spb_encode(
                        timestamp_ms=0,
                        seq=0,
                        metrics=[spb_wire.Metric("bdSeq", None, 0, spb_wire.DataType.INT64, 0)],
                    ),
                )
            )
        metrics = [
            spb_wire.Metric(tag.name, tags[f"{path}/{tag.name}"][1], 0, spb_wire.DataType.DOUBLE)
            for tag in info.equipment_class.tags
        ]
        metrics.append(spb_wire.Metric("state", equipment[path][1], 0, spb_wire.DataType.STRING))
        device = path.replace("/", ":")
        out.append(
            (
                f"{NAMESPACE}/{model.root}/DBIRTH/{node}/{device}",
                spb_encode(timestamp_ms=0, seq=seq[node], metrics=metrics),
            )
        )
        seq[node] += 1
    return out, seq


def _spb_encode(model: Model, kind: RecordKind, table: pa.Table) -> list[Message]:
    """Births of every node and device, then the batch as DDATA (samples and states only)."""
    tags, equipment = _spb_aliases(model)
    aliases = tags if RecordKind(kind) is RecordKind.SAMPLE else equipment
    out, seq = _spb_births(model)
    for device, metrics in device_data(kind, table, aliases=aliases):
        node = device.split(":")[1]
        out.append(
            (
                f"{NAMESPACE}/{model.root}/DDATA/{node}/{device}",
                data_payload(metrics, seq=seq[node] % 256),
            )
        )
        seq[node] += 1
    return out


def _spb_decoder(model: Model) -> Decoder:
    return SparkplugHost(model=model, source="sparkplug")


# --- historian files --------------------------------------------------------------------------


class _FileDecoder:
    """Reads each message as a historian export in the long layout (the name's suffix says
    CSV or Parquet); the files are read from a temporary folder, as ``andon ingest file``
    reads them from disk."""

    def decode(self, messages: Sequence[Message]) -> Decoded:
        tables: list[pa.Table] = []
        rejects: list[Rejected] = []
        with tempfile.TemporaryDirectory(prefix="andon-file-") as folder:
            for number, (name, data) in enumerate(messages):
                suffix = "".join(c for c in PurePosixPath(name).suffix if c.isalnum())
                path = Path(folder) / f"{number}.{suffix}"
                path.write_bytes(data)
                try:
                    batches = list(read_historian(HistorianFile(path=path, source="file")))
                except ConnectError as exc:
                    rejects.append(
                        Rejected("file.unreadable", str(exc), name, data, RecordKind.SAMPLE.value)
                    )
                    continue
                for batch in batches:
                    tables.append(batch.tables[RecordKind.SAMPLE])
                    rejects.extend(
                        Rejected(
                            str(row["reason"]),
                            str(row["detail"]),
                            name,
                            str(row["record"]).encode(),
                            RecordKind.SAMPLE.value,
                            "file",
                        )
                        for row in batch.quarantine.to_pylist()
                    )
        found = {RecordKind.SAMPLE: pa.concat_tables(tables)} if tables else {}
        return Decoded(found, tuple(rejects))


def _file_examples(model: Model, at_us: int) -> list[Message]:
    table = _example_records(model, at_us)[RecordKind.SAMPLE]
    long = pa.table(
        {
            "ts": table.column("ts"),
            "tag": table.column("path"),
            "value": table.column("value"),
            "quality": table.column("quality"),
        }
    )
    text = io.BytesIO()
    pcsv.write_csv(long, text)
    columnar = io.BytesIO()
    pq.write_table(long, columnar)
    return [("historian.csv", text.getvalue()), ("historian.parquet", columnar.getvalue())]


# --- OPC UA -----------------------------------------------------------------------------------

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class _OpcUaDecoder:
    """Maps binary ``DataValue`` notifications to samples with the source's own mapping
    (:class:`andon.connect.opcua._Collector`), as its subscription handler receives them."""

    def __init__(self, model: Model) -> None:
        self.paths: Final = node_map(model)

    def decode(self, messages: Sequence[Message]) -> Decoded:
        collector = _Collector(self.paths)
        rejects: list[Rejected] = []
        for node_id, data in messages:
            try:
                value = struct_from_binary(ua.DataValue, Buffer(data))
            except Exception as exc:  # noqa: BLE001 - asyncua raises many kinds on bad bytes
                rejects.append(
                    Rejected(
                        "opcua.corrupt",
                        f"not an OPC UA DataValue: {type(exc).__name__}: {exc}",
                        node_id,
                        data,
                        RecordKind.SAMPLE.value,
                    )
                )
                continue
            node = SimpleNamespace(nodeid=SimpleNamespace(to_string=lambda n=node_id: n))
            notification = SimpleNamespace(monitored_item=SimpleNamespace(Value=value))
            payload = value.Value.Value if value.Value is not None else None
            collector.datachange_notification(node, payload, notification)  # type: ignore[arg-type]
        decoded = collector.take("opcua")
        return Decoded(decoded.tables, decoded.rejected + tuple(rejects))


def _opcua_encode(model: Model, kind: RecordKind, table: pa.Table) -> list[Message]:
    """Each sample of a tag mapped to a node id as a binary ``DataValue`` (bad: 0x80000000)."""
    if RecordKind(kind) is not RecordKind.SAMPLE:
        return []
    nodes = {path: node for node, path in node_map(model).items()}
    out: list[Message] = []
    micros = table.column("ts").cast(pa.int64()).to_pylist()
    for path, ts, value, quality in zip(
        table.column("path").to_pylist(),
        micros,
        table.column("value").to_pylist(),
        table.column("quality").to_pylist(),
        strict=True,
    ):
        node = nodes.get(path)
        if node is None:
            continue
        status = {"good": 0, "uncertain": 0x40000000}.get(quality, 0x80000000)
        variant = ua.Variant(value, ua.VariantType.Double) if value is not None else ua.Variant()
        stamp = _EPOCH + dt.timedelta(microseconds=ts)
        data = ua.DataValue(
            variant,
            ua.StatusCode(ua.UInt32(status)),
            SourceTimestamp=stamp,  # type: ignore[arg-type]  # asyncua encodes any datetime
        )
        out.append((node, struct_to_binary(data)))
    return out


# --- the registry -----------------------------------------------------------------------------

_SAMPLE_AND_STATE: Final = frozenset({RecordKind.SAMPLE, RecordKind.STATE})
_ALL: Final = frozenset(RecordKind)

_CODECS: Final[Mapping[str, Codec]] = {
    codec.name: codec
    for codec in (
        Codec(
            name="uns",
            description="MQTT Unified Namespace JSON (docs/uns.md)",
            kinds=_ALL,
            decoder=lambda _: UnsDecoder(source="mqtt"),
            examples=_encoded_examples(_uns_encode, _ALL),
            encode=_uns_encode,
            kept=("ts", "source", "seq", "path", "value", "quality", "state", "reason"),
        ),
        Codec(
            name="sparkplug",
            description="Sparkplug B 3.0 births and data, protobuf payloads",
            kinds=_SAMPLE_AND_STATE,
            decoder=_spb_decoder,
            examples=_encoded_examples(_spb_encode, _SAMPLE_AND_STATE),
            encode=_spb_encode,
            kept=("ts", "path", "value", "quality", "state"),
            ts_resolution_us=1000,
            qualities=frozenset({Quality.GOOD, Quality.BAD}),
        ),
        Codec(
            name="files",
            description="historian exports, CSV or Parquet, long layout",
            kinds=frozenset({RecordKind.SAMPLE}),
            decoder=lambda _: _FileDecoder(),
            examples=_file_examples,
        ),
        Codec(
            name="opcua",
            description="OPC UA data changes: binary DataValues of the model's node ids",
            kinds=frozenset({RecordKind.SAMPLE}),
            decoder=_OpcUaDecoder,
            examples=_encoded_examples(_opcua_encode, frozenset({RecordKind.SAMPLE})),
            encode=_opcua_encode,
        ),
    )
}


def codec_names() -> list[str]:
    """Return the names of the registered codecs."""
    return sorted(_CODECS)


def get_codec(name: str) -> Codec:
    """Return the codec registered under ``name``."""
    found = _CODECS.get(name)
    if found is None:
        msg = f"unknown codec {name!r}; known: {', '.join(codec_names())}"
        raise ConnectError(msg)
    return found
