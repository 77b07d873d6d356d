"""The Sparkplug B host state machine, without a network: births, aliases, seq, deaths."""

from __future__ import annotations

import pytest

from andon.connect._proto.sparkplug_b_pb2 import Payload
from andon.connect.sparkplug import (
    SparkplugHost,
    decode_payload,
    encode_payload,
    parse_topic,
    state_payload,
)
from andon.model import Model
from andon.records import RecordKind

G = "plant"
DEVICE = "acme:lyon:machining:m1:milling:mill1"
TAG = "acme/lyon/machining/m1/milling/mill1/spindle_temperature"


def _birth(host: SparkplugHost, *, seq0: int = 0) -> None:
    host.decode(
        [
            (
                f"spBv1.0/{G}/NBIRTH/edge1",
                encode_payload(timestamp_ms=1, seq=seq0, metrics=[("bdSeq", None, 1, 3.0)]),
            ),
            (
                f"spBv1.0/{G}/DBIRTH/edge1/{DEVICE}",
                encode_payload(
                    timestamp_ms=1,
                    seq=seq0 + 1,
                    metrics=[
                        ("spindle_temperature", 7, 1, 40.0),
                        ("spindle_vibration", 8, 1, 2.0),
                        ("mystery", 9, 1, 1.0),
                    ],
                ),
            ),
        ]
    )


def test_births_map_metrics_to_model_tags_and_data_uses_aliases(example_model: Model) -> None:
    host = SparkplugHost(model=example_model, group=G, source="spb")
    _birth(host)
    data = encode_payload(
        timestamp_ms=1000,
        seq=2,
        metrics=[(None, 7, 1000, 41.5), (None, 8, None, 2.5), (None, 9, 1001, 3.0)],
    )
    decoded = host.decode([(f"spBv1.0/{G}/DDATA/edge1/{DEVICE}", data)])
    table = decoded.tables[RecordKind.SAMPLE]
    assert table.column("path").to_pylist() == [
        TAG,
        "acme/lyon/machining/m1/milling/mill1/spindle_vibration",
        f"{G}/edge1/{DEVICE}/mystery",  # unmapped: the contract check will quarantine it
    ]
    assert table.column("value").to_pylist() == [41.5, 2.5, 3.0]
    assert table.column("ts").cast("int64").to_pylist() == [1_000_000, 1_000_000, 1_001_000]
    assert not decoded.rejected
    assert host.take_commands() == []


def test_a_seq_gap_asks_for_a_rebirth_once(example_model: Model) -> None:
    host = SparkplugHost(model=example_model, group=G)
    _birth(host)
    topic = f"spBv1.0/{G}/DDATA/edge1/{DEVICE}"
    decoded = host.decode(
        [(topic, encode_payload(timestamp_ms=5, seq=9, metrics=[(None, 7, 5, 40.0)]))]
    )
    assert decoded.rows == 1  # the data itself is good
    commands = host.take_commands()
    assert [c[0] for c in commands] == [f"spBv1.0/{G}/NCMD/edge1"]
    rebirth = decode_payload(commands[0][1]).metrics[0]
    assert rebirth.name == "Node Control/Rebirth"
    assert rebirth.boolean_value is True
    host.decode([(topic, encode_payload(timestamp_ms=6, seq=20, metrics=[(None, 7, 6, 40.0)]))])
    assert host.take_commands() == []  # not a flood of requests
    assert host.counts["seq_gaps"] == 2


def test_seq_wraps_after_255(example_model: Model) -> None:
    host = SparkplugHost(model=example_model, group=G)
    _birth(host, seq0=253)
    topic = f"spBv1.0/{G}/DDATA/edge1/{DEVICE}"
    host.decode([(topic, encode_payload(timestamp_ms=5, seq=255, metrics=[(None, 7, 5, 40.0)]))])
    host.decode([(topic, encode_payload(timestamp_ms=6, seq=0, metrics=[(None, 7, 6, 40.0)]))])
    assert host.take_commands() == []
    assert "seq_gaps" not in host.counts


def test_unknown_alias_is_kept_and_triggers_rebirth(example_model: Model) -> None:
    host = SparkplugHost(model=example_model, group=G)
    data = encode_payload(timestamp_ms=5, seq=4, metrics=[(None, 7, 5, 40.0)])
    decoded = host.decode([(f"spBv1.0/{G}/DDATA/edge1/{DEVICE}", data)])
    assert [r.reason for r in decoded.rejected] == ["sparkplug.unknown_alias"]
    assert decoded.rejected[0].payload.startswith(b"base64:")
    assert len(host.take_commands()) == 1


def test_deaths_mark_offline_and_stale_deaths_are_ignored(example_model: Model) -> None:
    host = SparkplugHost(model=example_model, group=G)
    _birth(host)
    node = host.nodes[(G, "edge1")]
    stale = encode_payload(timestamp_ms=9, seq=None, metrics=[("bdSeq", None, 9, 2.0)])
    host.decode([(f"spBv1.0/{G}/NDEATH/edge1", stale)])
    assert node.online
    death = encode_payload(timestamp_ms=9, seq=None, metrics=[("bdSeq", None, 9, 3.0)])
    host.decode(
        [(f"spBv1.0/{G}/DDEATH/edge1/{DEVICE}", encode_payload(timestamp_ms=9, seq=2, metrics=[]))]
    )
    assert DEVICE not in node.devices
    host.decode([(f"spBv1.0/{G}/NDEATH/edge1", death)])
    assert not node.online


def test_corrupt_payload_and_foreign_topics(example_model: Model) -> None:
    host = SparkplugHost(model=example_model, group=G)
    decoded = host.decode(
        [
            (f"spBv1.0/{G}/DDATA/edge1/{DEVICE}", b"\xff\xff\xff\xff garbage"),
            ("spBv1.0/STATE/other-host", state_payload(online=True)),
            ("spBv1.0/other-group/DDATA/edge1/x", b"\xff"),
            ("not/sparkplug", b"x"),
        ]
    )
    assert sorted(r.reason for r in decoded.rejected) == ["sparkplug.corrupt", "sparkplug.topic"]


def test_topic_parsing() -> None:
    assert parse_topic("spBv1.0/g/NBIRTH/n") is not None
    assert parse_topic("spBv1.0/g/NBIRTH/n").device is None  # type: ignore[union-attr]
    assert parse_topic("spBv1.0/g/DDATA/n/d/extra") is None
    with pytest.raises(ValueError, match="Sparkplug"):
        decode_payload(b"\x0a\xff")


def test_a_state_metric_becomes_a_state_record(example_model: Model) -> None:
    """The simulator's devices publish ``state`` as a String metric beside their tags."""
    host = SparkplugHost(model=example_model, group=G)
    _birth(host)
    birth = Payload(timestamp=1, seq=2)
    metric = birth.metrics.add()
    metric.name, metric.alias, metric.datatype, metric.string_value = "state", 20, 12, "idle"
    host.decode([(f"spBv1.0/{G}/DBIRTH/edge1/{DEVICE}", birth.SerializeToString())])
    data = Payload(timestamp=2000, seq=3)
    metric = data.metrics.add()
    metric.alias, metric.timestamp, metric.string_value = 20, 2000, "running"
    value = data.metrics.add()
    value.alias, value.timestamp, value.double_value = 7, 2000, 44.0
    decoded = host.decode([(f"spBv1.0/{G}/DDATA/edge1/{DEVICE}", data.SerializeToString())])
    assert not decoded.rejected
    states = decoded.tables[RecordKind.STATE]
    assert states.column("path").to_pylist() == ["acme/lyon/machining/m1/milling/mill1"]
    assert states.column("state").to_pylist() == ["running"]
    assert decoded.tables[RecordKind.SAMPLE].column("value").to_pylist() == [44.0]
