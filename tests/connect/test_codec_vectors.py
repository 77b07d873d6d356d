"""Each protocol's encoder and decoder against one set of vectors, and round-trip properties.

The vectors (``codec_vectors.py``) say which bytes a batch of records becomes and which
records those bytes decode to; the encoder and the decoder are each held to both halves. The
Sparkplug encoder is also held to the protobuf runtime's own serialisation of the same
message, which andon did not write.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from codec_vectors import (
    ALIASES,
    BIRTH_METRICS,
    DEVICE,
    EQUIPMENT,
    SPARKPLUG_VECTORS,
    STATE_ALIASES,
    T0_US,
    TAG,
    UNS_VECTORS,
    VIBRATION,
    SparkplugVector,
    UnsVector,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon.connect._proto.sparkplug_b_pb2 import Payload
from andon.connect.sparkplug import (
    SparkplugHost,
    asks_rebirth,
    data_payload,
    decode_payload,
    device_data,
    encode_payload,
    rebirth_payload,
)
from andon.connect.spb_wire import DataType, Metric, read_metrics, write_payload
from andon.connect.uns import UnsDecoder, encode_batch, parse_topic, topic_for
from andon.model import Model
from andon.records import RecordKind, samples, states

GROUP = "acme"
_SAMPLE_COLUMNS = ["ts", "source", "seq", "path", "value", "quality"]


# --- UNS -------------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", UNS_VECTORS, ids=lambda v: v.name)
def test_uns_encoder_writes_the_vector_bytes(vector: UnsVector) -> None:
    assert tuple(encode_batch(vector.kind, vector.records, root=GROUP)) == vector.messages


@pytest.mark.parametrize("vector", UNS_VECTORS, ids=lambda v: v.name)
def test_uns_decoder_reads_the_vector_records(vector: UnsVector) -> None:
    decoded = UnsDecoder(source="other").decode(list(vector.messages))
    assert not decoded.rejected
    back = decoded.tables[vector.kind].select(vector.records.column_names)
    assert back.cast(vector.records.schema).equals(vector.records)


def test_uns_topics_follow_the_convention_both_ways() -> None:
    cases = [
        (RecordKind.SAMPLE, TAG, "acme/lyon/machining/m1/milling/mill1/sample/spindle_temperature"),
        (RecordKind.STATE, "acme/lyon/a/l/c/e", "acme/lyon/a/l/c/e/state"),
        (RecordKind.TARIFF, "acme/lyon", "acme/lyon/tariff"),
        (RecordKind.GENEALOGY, "", "acme/genealogy"),
    ]
    for kind, element, topic in cases:
        assert topic_for(kind, element, "acme") == topic
        parsed = parse_topic(topic)
        assert parsed is not None
        assert parsed.kind is kind
        assert parsed.path == (element or "acme")


_TAGS = (TAG, VIBRATION, "acme/brno/assembly/l2/c1/press2/hydraulic_pressure")


@st.composite
def _sample_tables(draw: st.DrawFn) -> pa.Table:
    n = draw(st.integers(min_value=1, max_value=40))
    offsets = draw(
        st.lists(st.integers(0, 10**12), min_size=n, max_size=n, unique=True)
    )  # unique times keep the natural key unique
    values = draw(
        st.lists(
            st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
            min_size=n,
            max_size=n,
        )
    )
    paths = draw(st.lists(st.sampled_from(_TAGS), min_size=n, max_size=n))
    quality = ["bad" if v is None else draw(st.sampled_from(["good", "uncertain"])) for v in values]
    return samples(
        ts=[T0_US + o for o in offsets], path=paths, value=values, quality=quality, source="p"
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=_sample_tables(), max_records=st.integers(min_value=1, max_value=50))
def test_uns_round_trip_keeps_every_sample(table: pa.Table, max_records: int) -> None:
    messages = encode_batch(RecordKind.SAMPLE, table, root=GROUP, max_records=max_records)
    assert len(messages) >= math.ceil(table.num_rows / max_records)
    decoded = UnsDecoder(source="other").decode(messages)
    assert not decoded.rejected
    back = decoded.tables[RecordKind.SAMPLE].select(_SAMPLE_COLUMNS).cast(table.schema)
    keys = [("seq", "ascending")]
    assert back.sort_by(keys).equals(table.sort_by(keys))


# --- Sparkplug B -----------------------------------------------------------------------------


def _host(model: Model) -> SparkplugHost:
    host = SparkplugHost(model=model, group=GROUP, source="spb")
    births = [
        (
            f"spBv1.0/{GROUP}/NBIRTH/lyon",
            encode_payload(
                timestamp_ms=1, seq=0, metrics=[Metric("bdSeq", None, 1, DataType.INT64, 0)]
            ),
        ),
        (
            f"spBv1.0/{GROUP}/DBIRTH/lyon/{DEVICE}",
            encode_payload(timestamp_ms=1, seq=1, metrics=BIRTH_METRICS),
        ),
    ]
    decoded = host.decode(births)
    assert not decoded.rejected
    return host


@pytest.mark.parametrize("vector", SPARKPLUG_VECTORS, ids=lambda v: v.name)
def test_sparkplug_encoder_writes_the_vector_bytes(vector: SparkplugVector) -> None:
    data = encode_payload(timestamp_ms=vector.timestamp_ms, seq=vector.seq, metrics=vector.metrics)
    assert data == vector.payload


@pytest.mark.parametrize("vector", SPARKPLUG_VECTORS, ids=lambda v: v.name)
def test_sparkplug_decoders_read_the_vector_metrics(vector: SparkplugVector) -> None:
    message = decode_payload(vector.payload)
    assert message.timestamp == vector.timestamp_ms
    assert (message.seq if message.HasField("seq") else None) == vector.seq
    columns = read_metrics([vector.payload])
    assert len(columns) == len(vector.metrics)
    for row, (metric, parsed) in enumerate(zip(vector.metrics, message.metrics, strict=True)):
        assert (parsed.name if parsed.HasField("name") else None) == metric.name
        assert parsed.datatype == metric.datatype
        assert parsed.is_null == (metric.value is None)
        assert columns.name(row) == metric.name
        assert bool(columns.is_null[row]) == (metric.value is None)
        if metric.alias is not None:
            assert int(columns.alias[row]) == metric.alias
        if metric.timestamp_ms is not None:
            assert int(columns.timestamp[row]) == metric.timestamp_ms


@pytest.mark.parametrize(
    "vector", [v for v in SPARKPLUG_VECTORS if v.samples is not None], ids=lambda v: v.name
)
def test_sparkplug_host_reads_the_vector_samples(
    vector: SparkplugVector, example_model: Model
) -> None:
    assert vector.samples is not None
    decoded = _host(example_model).decode(
        [(f"spBv1.0/{GROUP}/DDATA/lyon/{DEVICE}", vector.payload)]
    )
    assert not decoded.rejected
    got = decoded.tables[RecordKind.SAMPLE].select(["ts", "path", "value", "quality"])
    want = vector.samples.select(["ts", "path", "value", "quality"])
    assert got.cast(want.schema).equals(want)


@pytest.mark.parametrize(
    "vector", [v for v in SPARKPLUG_VECTORS if v.samples is not None], ids=lambda v: v.name
)
def test_sparkplug_encoder_writes_the_vector_bytes_from_records(vector: SparkplugVector) -> None:
    assert vector.samples is not None
    assert vector.seq is not None
    [(device, metrics)] = device_data(RecordKind.SAMPLE, vector.samples, aliases=ALIASES)
    assert device == DEVICE
    assert tuple(metrics) == vector.metrics
    assert data_payload(metrics, seq=vector.seq) == vector.payload


def test_device_data_splits_long_batches_and_skips_what_has_no_alias() -> None:
    table = samples(
        ts=[T0_US + i for i in range(5)],
        path=[TAG, "acme/elsewhere/x", TAG, VIBRATION, TAG],
        value=[1.0, 2.0, 3.0, 4.0, 5.0],
    )
    parts = device_data(RecordKind.SAMPLE, table, aliases=ALIASES, max_metrics=2)
    assert [(d, [m.value for m in ms]) for d, ms in parts] == [
        (DEVICE, [1.0, 3.0]),
        (DEVICE, [4.0, 5.0]),
    ]
    count = samples(ts=[T0_US], path=[TAG], value=[1.0])
    assert device_data(RecordKind.ENERGY, count, aliases=ALIASES) == []


def test_states_round_trip_through_a_host(example_model: Model) -> None:
    table = states(
        ts=[T0_US, T0_US + 5_000], path=[EQUIPMENT, EQUIPMENT], state=["running", "setup"]
    )
    [(device, metrics)] = device_data(RecordKind.STATE, table, aliases=STATE_ALIASES)
    decoded = _host(example_model).decode(
        [(f"spBv1.0/{GROUP}/DDATA/lyon/{device}", data_payload(metrics, seq=2))]
    )
    back = decoded.tables[RecordKind.STATE]
    assert back.column("state").to_pylist() == ["running", "setup"]
    assert back.column("path").to_pylist() == [EQUIPMENT, EQUIPMENT]
    assert back.column("ts").equals(table.column("ts").cast(back.column("ts").type))


def test_a_rebirth_request_reads_back_as_one() -> None:
    assert asks_rebirth(rebirth_payload())
    assert not asks_rebirth(
        encode_payload(timestamp_ms=1, seq=None, metrics=[("Node Control/Rebirth", None, 1, False)])
    )
    assert not asks_rebirth(encode_payload(timestamp_ms=1, seq=None, metrics=[("x", None, 1, 1.0)]))


def _reference(timestamp_ms: int | None, seq: int | None, metrics: list[Metric]) -> bytes:
    """The same payload serialised by the protobuf runtime."""
    payload = Payload()
    if timestamp_ms is not None:
        payload.timestamp = timestamp_ms
    if seq is not None:
        payload.seq = seq
    fields = {
        DataType.INT32: "int_value",
        DataType.UINT32: "int_value",
        DataType.INT64: "long_value",
        DataType.DOUBLE: "double_value",
        DataType.FLOAT: "float_value",
        DataType.BOOLEAN: "boolean_value",
        DataType.STRING: "string_value",
    }
    for metric in metrics:
        out = payload.metrics.add()
        if metric.name is not None:
            out.name = metric.name
        if metric.alias is not None:
            out.alias = metric.alias
        if metric.timestamp_ms is not None:
            out.timestamp = metric.timestamp_ms
        out.datatype = int(metric.datatype)
        if metric.value is None:
            out.is_null = True
            continue
        value = metric.value
        if metric.datatype in {DataType.INT32, DataType.UINT32}:
            value = int(value) & 0xFFFFFFFF
        elif metric.datatype is DataType.INT64:
            value = int(value) & (2**64 - 1)
        setattr(out, fields[DataType(metric.datatype)], value)
    return bytes(payload.SerializeToString())


_uint64 = st.integers(min_value=0, max_value=2**64 - 1)
_values: dict[DataType, st.SearchStrategy[Any]] = {
    DataType.INT32: st.integers(min_value=-(2**31), max_value=2**31 - 1),
    DataType.UINT32: st.integers(min_value=0, max_value=2**32 - 1),
    DataType.INT64: st.integers(min_value=-(2**63), max_value=2**63 - 1),
    DataType.DOUBLE: st.floats(allow_nan=False),
    DataType.FLOAT: st.floats(width=32, allow_nan=False),
    DataType.BOOLEAN: st.booleans(),
    DataType.STRING: st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
}


@st.composite
def _metrics(draw: st.DrawFn) -> Metric:
    datatype = draw(st.sampled_from(sorted(_values)))
    return Metric(
        name=draw(st.none() | st.text(st.characters(exclude_categories=["Cs"]), max_size=20)),
        alias=draw(st.none() | _uint64),
        timestamp_ms=draw(st.none() | _uint64),
        datatype=datatype,
        value=draw(st.none() | _values[datatype]),
    )


@settings(max_examples=150, deadline=None)
@given(
    timestamp_ms=st.none() | _uint64,
    seq=st.none() | st.integers(min_value=0, max_value=255),
    metrics=st.lists(_metrics(), max_size=8),
)
def test_sparkplug_payload_bytes_are_the_protobuf_runtimes(
    timestamp_ms: int | None, seq: int | None, metrics: list[Metric]
) -> None:
    data = write_payload(timestamp_ms=timestamp_ms, seq=seq, metrics=metrics)
    assert data == _reference(timestamp_ms, seq, metrics)
    columns = read_metrics([data])
    assert columns.headers[0] is not None
    assert columns.headers[0].timestamp == timestamp_ms
    assert columns.headers[0].seq == seq
    for row, metric in enumerate(metrics):
        assert columns.name(row) == metric.name
        assert bool(columns.is_null[row]) == (metric.value is None)
        if metric.value is None:
            continue
        if metric.datatype is DataType.DOUBLE:
            assert columns.real[row] == metric.value
        elif metric.datatype is DataType.FLOAT:
            assert np.float32(columns.real[row]) == np.float32(metric.value)
        elif metric.datatype is DataType.STRING:
            assert columns.text(row) == metric.value
        elif metric.datatype is DataType.BOOLEAN:
            assert bool(columns.varint[row]) == metric.value
        else:
            bits = 64 if metric.datatype is DataType.INT64 else 32
            assert int(columns.varint[row]) == int(metric.value) % 2**bits


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(
        st.none() | st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=30
    )
)
def test_sparkplug_samples_round_trip_through_a_host(
    values: list[float | None], example_model: Model
) -> None:
    host = _host(example_model)
    metrics = [
        Metric(None, i % 2, 1_767_571_200_000 + i, DataType.DOUBLE, v) for i, v in enumerate(values)
    ]
    data = encode_payload(timestamp_ms=1_767_571_200_000, seq=2, metrics=metrics)
    decoded = host.decode([(f"spBv1.0/{GROUP}/DDATA/lyon/{DEVICE}", data)])
    table = decoded.tables[RecordKind.SAMPLE]
    assert table.column("path").to_pylist() == [(TAG, VIBRATION)[i % 2] for i in range(len(values))]
    assert table.column("value").to_pylist() == values
    assert table.column("quality").to_pylist() == ["bad" if v is None else "good" for v in values]
