"""The Sparkplug B host state machine, without a network: births, aliases, seq, deaths."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


_TYPES = {
    1: 8,
    2: 16,
    3: 32,
    4: 64,
    5: None,
    6: None,
    7: None,
    8: None,
    9: None,
    10: None,
    11: None,
}
_FIELD = {
    1: "int_value",
    2: "int_value",
    3: "int_value",
    4: "long_value",
    5: "int_value",
    6: "int_value",
    7: "int_value",
    8: "long_value",
    9: "float_value",
    10: "double_value",
    11: "boolean_value",
}
_TAGS = ["spindle_temperature", "spindle_vibration", "mystery", "other"]


_UNSIGNED = {5: 8, 6: 16, 7: 32, 8: 64}


def _read_value(metric: Payload.Metric, datatype: int) -> float | None:
    """A metric's value as the Sparkplug B 3.0 rules read it, one metric at a time: integer
    types from int_value or long_value in the type's range, floats from either float field."""
    member = metric.WhichOneof("value")
    if datatype in {9, 10}:
        return float(getattr(metric, member)) if member in {"float_value", "double_value"} else None
    if datatype == 11:
        return float(metric.boolean_value) if member == "boolean_value" else None
    if member not in {"int_value", "long_value"}:
        return None
    raw = getattr(metric, member)
    if datatype in _UNSIGNED:
        return float(raw) if raw < 1 << _UNSIGNED[datatype] else None
    width = 32 if member == "int_value" else 64
    number = raw - (1 << width) if raw >= 1 << (width - 1) else raw
    bits = _TYPES[datatype]
    assert bits is not None
    if bits < 64 and 1 << (bits - 1) <= number < 1 << bits:
        number -= 1 << bits  # the type's own width sent unsigned (-1 as 255)
    return float(number) if -(1 << (bits - 1)) <= number < 1 << (bits - 1) else None


def _reference(
    births: dict[int, tuple[str, int]], payload: Payload
) -> list[tuple[int, str, float | None]]:
    """The samples a per-metric reading of the payload gives (the specification's rules)."""
    rows = []
    for metric in payload.metrics:
        known = births.get(metric.alias) if not metric.name else None
        if metric.name:
            known = next(((n, t) for n, t in births.values() if n == metric.name), None)
        if known is None:
            continue
        name, datatype = known
        ts = metric.timestamp or payload.timestamp
        value = None
        if not metric.is_null:
            value = _read_value(metric, datatype)
            if value is None:  # no value, or one the type cannot hold: quarantined
                continue
        mapped = name in _TAGS[:2]  # tags of the model; the others keep their Sparkplug path
        path = f"{DEVICE.replace(':', '/')}/{name}" if mapped else f"{G}/edge1/{DEVICE}/{name}"
        rows.append((ts * 1000, path, value))
    return rows


data_metric = st.tuples(
    st.sampled_from([0, 1, 2, 3, 99]),  # alias (99: unknown)
    st.booleans(),  # by name instead of alias
    st.integers(0, 2_000_000_000_000),  # timestamp, 0: the payload's
    st.booleans(),  # is_null
    st.integers(0, 2**64 - 1),
    st.floats(allow_nan=False),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    types=st.lists(st.sampled_from(sorted(_TYPES)), min_size=4, max_size=4),
    groups=st.lists(st.lists(data_metric, max_size=8), min_size=1, max_size=5),
)
def test_columnar_samples_match_a_per_metric_reading(
    example_model: Model,
    types: list[int],
    groups: list[list[tuple[int, bool, int, bool, int, float]]],
) -> None:
    host = SparkplugHost(model=example_model, group=G)
    births = {alias: (_TAGS[alias], types[alias]) for alias in range(4)}
    birth = Payload(timestamp=1, seq=1)
    for alias, (name, datatype) in births.items():
        metric = birth.metrics.add()
        metric.name, metric.alias, metric.datatype = name, alias, datatype
    host.decode(
        [
            (f"spBv1.0/{G}/NBIRTH/edge1", encode_payload(timestamp_ms=1, seq=0, metrics=[])),
            (f"spBv1.0/{G}/DBIRTH/edge1/{DEVICE}", birth.SerializeToString()),
        ]
    )
    messages, expected = [], []
    for number, group in enumerate(groups):
        payload = Payload(timestamp=1_700_000_000_000 + number, seq=2 + number)
        for alias, by_name, ts, is_null, integer, real in group:
            metric = payload.metrics.add()
            if by_name and alias in births:
                metric.name = births[alias][0]
            else:
                metric.alias = alias
            metric.timestamp = ts
            if is_null:
                metric.is_null = True
            field = _FIELD[births[alias][1]] if alias in births else "double_value"
            if field == "int_value":
                metric.int_value = integer & 0xFFFFFFFF
            elif field == "long_value":
                metric.long_value = integer
            elif field == "boolean_value":
                metric.boolean_value = bool(integer & 1)
            else:
                setattr(metric, field, real if field == "double_value" else 1.5)
        messages.append((f"spBv1.0/{G}/DDATA/edge1/{DEVICE}", payload.SerializeToString()))
        expected += _reference(births, payload)
    decoded = host.decode(messages)
    table = decoded.tables.get(RecordKind.SAMPLE)
    got = (
        []
        if table is None
        else list(
            zip(
                table.column("ts").cast("int64").to_pylist(),
                table.column("path").to_pylist(),
                table.column("value").to_pylist(),
                strict=True,
            )
        )
    )
    assert got == expected
    unknown = sum(1 for g in groups for m in g if m[0] == 99)
    assert any(r.reason == "sparkplug.unknown_alias" for r in decoded.rejected) == (unknown > 0)


def test_a_payload_over_the_limit_is_quarantined_unread(example_model: Model) -> None:
    host = SparkplugHost(model=example_model, group=G, max_payload_bytes=1000)
    _birth(host)
    big = encode_payload(
        timestamp_ms=5, seq=2, metrics=[(None, 7, 5 + i, 40.0) for i in range(200)]
    )
    small = encode_payload(timestamp_ms=5, seq=3, metrics=[(None, 7, 5, 41.0)])
    topic = f"spBv1.0/{G}/DDATA/edge1/{DEVICE}"
    decoded = host.decode([(topic, big), (topic, small)])
    assert [r.reason for r in decoded.rejected] == ["sparkplug.too_large"]
    assert f"{len(big)} bytes" in decoded.rejected[0].detail
    assert len(decoded.rejected[0].payload) < 5000
    assert decoded.tables[RecordKind.SAMPLE].column("value").to_pylist() == [41.0]
