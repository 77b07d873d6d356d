"""What the simulator publishes, andon.connect reads back: UNS JSON and Sparkplug B payloads."""

from __future__ import annotations

import pyarrow as pa

from andon.connect.sparkplug import SparkplugHost, encode_payload
from andon.connect.spb_wire import DataType, Metric
from andon.connect.uns import UnsDecoder, encode_batch
from andon.model import Model
from andon.records import RecordKind, samples, states

EQ = "acme/lyon/machining/m1/milling/mill1"


def test_simulator_uns_messages_decode_to_the_same_records(example_model: Model) -> None:
    sample_table = samples(
        ts=[1_767_600_000_000_000, 1_767_600_060_000_000],
        path=[f"{EQ}/spindle_temperature", f"{EQ}/spindle_vibration"],
        value=[41.5, 2.25],
        source="sim",
    )
    state_table = states(ts=[1_767_600_000_000_000], path=EQ, state="running", source="sim")
    messages = encode_batch(RecordKind.SAMPLE, sample_table, root="acme") + encode_batch(
        RecordKind.STATE, state_table, root="acme"
    )
    decoded = UnsDecoder(source="other").decode(messages)
    assert not decoded.rejected
    got = decoded.tables[RecordKind.SAMPLE].sort_by("path")
    assert got.column("path").to_pylist() == sample_table.column("path").to_pylist()
    assert got.column("value").to_pylist() == [41.5, 2.25]
    assert got.column("ts").cast(pa.int64()).to_pylist() == [
        1_767_600_000_000_000,
        1_767_600_060_000_000,
    ]
    assert got.column("source").to_pylist() == ["sim", "sim"]
    assert decoded.tables[RecordKind.STATE].column("state").to_pylist() == ["running"]


def test_simulator_sparkplug_payloads_decode(example_model: Model) -> None:
    device = EQ.replace("/", ":")
    host = SparkplugHost(model=example_model, group="acme")
    birth = encode_payload(
        timestamp_ms=1, seq=0, metrics=[Metric("bdSeq", None, None, DataType.INT64, 0)]
    )
    dbirth = encode_payload(
        timestamp_ms=1,
        seq=1,
        metrics=[
            Metric("spindle_temperature", 0, 1, DataType.DOUBLE, None),
            Metric("state", 1, 1, DataType.STRING, None),
        ],
    )
    ddata = encode_payload(
        timestamp_ms=2000,
        seq=2,
        metrics=[
            Metric(None, 0, 2000, DataType.DOUBLE, 43.5),
            Metric(None, 1, 2000, DataType.STRING, "setup"),
        ],
    )
    decoded = host.decode(
        [
            ("spBv1.0/acme/NBIRTH/lyon", birth),
            (f"spBv1.0/acme/DBIRTH/lyon/{device}", dbirth),
            (f"spBv1.0/acme/DDATA/lyon/{device}", ddata),
        ]
    )
    assert not decoded.rejected
    assert decoded.tables[RecordKind.SAMPLE].column("path").to_pylist() == [
        f"{EQ}/spindle_temperature"
    ]
    assert decoded.tables[RecordKind.SAMPLE].column("value").to_pylist() == [43.5]
    assert decoded.tables[RecordKind.STATE].column("state").to_pylist() == ["setup"]
    assert host.take_commands() == []
