"""Sparkplug B values as peers send them: every value field, births, deaths, hostile births.

What andon did not write: payloads are built with the generated protobuf classes field by
field, as Eclipse Tahu's JavaScript client fills them (UInt32 in ``long_value``), not with
andon's encoder.
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from andon.connect._proto.sparkplug_b_pb2 import Payload
from andon.connect.decoded import Batch, Decoded
from andon.connect.sparkplug import SparkplugHost, decode_payload, encode_payload
from andon.model import Model
from andon.records import RecordKind

G = "plant"
DEVICE = "acme:lyon:machining:m1:milling:mill1"
EQ = "acme/lyon/machining/m1/milling/mill1"
TEMP, VIB = f"{EQ}/spindle_temperature", f"{EQ}/spindle_vibration"
POISON_NBIRTH = bytes.fromhex("080112030a01c91800")


def _payload(ts: int, seq: int | None, metrics: list[dict[str, object]]) -> bytes:
    payload = Payload(timestamp=ts)
    if seq is not None:
        payload.seq = seq
    for fields in metrics:
        metric = payload.metrics.add()
        for name, value in fields.items():
            setattr(metric, name, value)
    return bytes(payload.SerializeToString())


def _born(
    model: Model, *, node: str = "edge1", datatype: int = 10, birth_value: object = None
) -> tuple[SparkplugHost, Decoded]:
    host = SparkplugHost(model=model, group=G, source="spb")
    first = {"name": "spindle_temperature", "alias": 1, "datatype": datatype}
    if birth_value is not None:
        first["int_value" if datatype != 10 else "double_value"] = birth_value
    else:
        first["is_null"] = True
    decoded = host.decode(
        [
            (
                f"spBv1.0/{G}/NBIRTH/{node}",
                _payload(1_700_000_000_000, 0, [{"name": "bdSeq", "datatype": 8, "long_value": 1}]),
            ),
            (
                f"spBv1.0/{G}/DBIRTH/{node}/{DEVICE}",
                _payload(
                    1_700_000_000_000,
                    1,
                    [
                        first,
                        {"name": "spindle_vibration", "alias": 2, "datatype": 10, "is_null": True},
                    ],
                ),
            ),
        ]
    )
    return host, decoded


def _ddata(seq: int, metrics: list[dict[str, object]], node: str = "edge1") -> tuple[str, bytes]:
    return f"spBv1.0/{G}/DDATA/{node}/{DEVICE}", _payload(1_700_000_001_000, seq, metrics)


def _samples(decoded: Decoded) -> list[tuple[str, float | None, str]]:
    table = decoded.tables.get(RecordKind.SAMPLE)
    if table is None:
        return []
    return list(
        zip(
            table.column("path").to_pylist(),
            table.column("value").to_pylist(),
            table.column("quality").to_pylist(),
            strict=True,
        )
    )


def test_the_9_byte_nbirth_with_a_name_not_utf8_is_quarantined_and_the_rest_goes_on(
    example_model: Model,
) -> None:
    assert isinstance(decode_payload(POISON_NBIRTH).metrics[0].name, bytes)
    host, _ = _born(example_model, node="edge2")
    decoded = host.decode(
        [
            (f"spBv1.0/{G}/NBIRTH/edge1", POISON_NBIRTH),
            *(
                _ddata(
                    2 + i,
                    [{"alias": 1, "timestamp": 1_700_000_001_000 + i, "double_value": 40.0 + i}],
                    "edge2",
                )
                for i in range(5)
            ),
        ]
    )
    assert [r.reason for r in decoded.rejected] == ["sparkplug.not_utf8"]
    assert [v for _, v, _ in _samples(decoded)] == [40.0, 41.0, 42.0, 43.0, 44.0]
    Batch.of(decoded, received_at_us=0).to_bytes()  # the quarantine row is storable


@pytest.mark.parametrize(
    ("datatype", "fields", "expected"),
    [
        (7, {"long_value": 4_000_000_000}, 4_000_000_000.0),  # UInt32 in long_value (Tahu JS)
        (7, {"long_value": 1200}, 1200.0),
        (7, {"int_value": 1200}, 1200.0),
        (5, {"long_value": 255}, 255.0),
        (1, {"int_value": 0xFFFFFFFF}, -1.0),  # Int8 -1, two's complement in 32 bits
        (1, {"int_value": 0xFF}, -1.0),  # Int8 -1 in its own width
        (3, {"long_value": (1 << 64) - 5}, -5.0),  # Int32 in long_value
        (4, {"long_value": (1 << 64) - 7}, -7.0),
        (4, {"int_value": 7}, 7.0),
        (8, {"long_value": 1 << 63}, float(1 << 63)),
        (9, {"double_value": 2.5}, 2.5),
        (10, {"float_value": 2.5}, 2.5),
        (11, {"boolean_value": True}, 1.0),
        (13, {"long_value": 1_700_000_000_000}, 1.7e12),
    ],
)
def test_a_value_in_any_field_its_type_may_come_in_is_read_exactly(
    example_model: Model, datatype: int, fields: dict[str, object], expected: float
) -> None:
    host, _ = _born(
        example_model, datatype=datatype, birth_value=0 if datatype not in {9, 10, 11} else None
    )
    decoded = host.decode([_ddata(2, [{"alias": 1, **fields}])])
    assert not decoded.rejected
    assert _samples(decoded) == [(TEMP, expected, "good")]


@pytest.mark.parametrize(
    ("datatype", "fields", "problem"),
    [
        (10, {"int_value": 5}, "value in another field"),
        (10, {"string_value": "5"}, "value in another field"),
        (10, {}, "no value"),
        (7, {"double_value": 5.0}, "value in another field"),
        (7, {"long_value": 1 << 40}, "out of range"),
        (5, {"int_value": 256}, "out of range"),
        (1, {"int_value": 300}, "out of range"),
        (11, {"int_value": 1}, "value in another field"),
    ],
)
def test_a_value_that_does_not_read_as_its_type_is_quarantined_never_zero(
    example_model: Model, datatype: int, fields: dict[str, object], problem: str
) -> None:
    host, _ = _born(
        example_model, datatype=datatype, birth_value=0 if datatype not in {9, 10, 11} else None
    )
    decoded = host.decode([_ddata(2, [{"alias": 1, **fields}, {"alias": 2, "double_value": 3.5}])])
    assert [r.reason for r in decoded.rejected] == ["sparkplug.bad_value"]
    assert problem in decoded.rejected[0].detail
    assert _samples(decoded) == [(VIB, 3.5, "good")]  # the good metric of the message is kept


def test_birth_values_are_stored_and_birth_nulls_only_declare(example_model: Model) -> None:
    _, decoded = _born(example_model, datatype=7, birth_value=1500)
    assert not decoded.rejected
    table = decoded.tables[RecordKind.SAMPLE]
    assert _samples(decoded) == [(TEMP, 1500.0, "good")]
    assert table.column("ts").cast(pa.int64()).to_pylist() == [1_700_000_000_000_000]


def test_a_null_metric_is_a_bad_sample(example_model: Model) -> None:
    host, _ = _born(example_model)
    decoded = host.decode([_ddata(2, [{"alias": 1, "is_null": True}])])
    assert _samples(decoded) == [(TEMP, None, "bad")]


def test_a_death_marks_metrics_stale_and_data_after_it_is_quarantined(
    example_model: Model,
) -> None:
    host, _ = _born(example_model)
    death = _payload(0, None, [{"name": "bdSeq", "datatype": 8, "long_value": 1}])
    decoded = host.decode([(f"spBv1.0/{G}/NDEATH/edge1", death)])
    assert sorted(_samples(decoded)) == [(TEMP, None, "uncertain"), (VIB, None, "uncertain")]
    host.take_commands()
    host.nodes[(G, "edge1")].last_rebirth_request = 0.0
    decoded = host.decode([_ddata(2, [{"alias": 1, "double_value": 41.0}])])
    assert [r.reason for r in decoded.rejected] == ["sparkplug.offline"]
    assert _samples(decoded) == []
    assert [t for t, _ in host.take_commands()] == [f"spBv1.0/{G}/NCMD/edge1"]
    host.decode(
        [
            (
                f"spBv1.0/{G}/NBIRTH/edge1",
                _payload(1_700_000_002_000, 0, [{"name": "bdSeq", "datatype": 8, "long_value": 2}]),
            ),
            (
                f"spBv1.0/{G}/DBIRTH/edge1/{DEVICE}",
                _payload(
                    1_700_000_002_000,
                    1,
                    [{"name": "spindle_temperature", "alias": 1, "datatype": 10, "is_null": True}],
                ),
            ),
        ]
    )
    decoded = host.decode([_ddata(2, [{"alias": 1, "double_value": 42.0}])])
    assert not decoded.rejected
    assert _samples(decoded) == [(TEMP, 42.0, "good")]


def test_a_device_death_marks_its_metrics_stale(example_model: Model) -> None:
    host, _ = _born(example_model)
    decoded = host.decode(
        [(f"spBv1.0/{G}/DDEATH/edge1/{DEVICE}", encode_payload(timestamp_ms=5, seq=2, metrics=[]))]
    )
    assert sorted(_samples(decoded)) == [(TEMP, None, "uncertain"), (VIB, None, "uncertain")]
    decoded = host.decode([_ddata(3, [{"alias": 1, "double_value": 41.0}])])
    assert [r.reason for r in decoded.rejected] == ["sparkplug.offline"]


def test_a_topic_not_utf8_is_quarantined(example_model: Model) -> None:
    host, _ = _born(example_model)
    topic, data = _ddata(2, [{"alias": 1, "double_value": 41.0}])
    decoded = host.decode([(topic + "\udcff", data), (topic, data)])
    assert [r.reason for r in decoded.rejected] == ["sparkplug.topic"]
    assert _samples(decoded) == [(TEMP, 41.0, "good")]
    Batch.of(decoded, received_at_us=0).to_bytes()
