"""The UNS JSON decoder: every payload form, timestamp form, and bad input, without a network."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from andon.connect.uns import UnsDecoder, parse_topic
from andon.records import RecordKind

EQ = "acme/lyon/machining/m1/milling/mill1"
TOPIC = f"{EQ}/sample/spindle_temperature"
TAG = f"{EQ}/spindle_temperature"


def _samples(decoder: UnsDecoder, payloads: list[bytes], topic: str = TOPIC) -> pa.Table:
    decoded = decoder.decode([(topic, p) for p in payloads])
    assert not decoded.rejected, decoded.rejected
    return decoded.tables[RecordKind.SAMPLE]


def test_topics_name_kind_and_path() -> None:
    assert parse_topic(TOPIC) is not None
    assert parse_topic(TOPIC).path == TAG  # type: ignore[union-attr]
    state = parse_topic(f"{EQ}/state")
    assert state is not None
    assert state.kind is RecordKind.STATE
    assert state.path == EQ
    assert parse_topic("acme/lyon/whatever") is None
    assert parse_topic("acme//state") is None
    assert parse_topic("uns/" + TOPIC, prefix="uns/").path == TAG  # type: ignore[union-attr]
    assert parse_topic(TOPIC, prefix="uns/") is None


@pytest.mark.parametrize(
    "payload",
    [
        {"ts": [1_700_000_000_000, 1_700_000_001_000], "value": [41.5, 42.0]},
        {
            "records": [
                {"ts": 1_700_000_000_000, "value": 41.5},
                {"ts": 1_700_000_001_000, "value": 42},
            ]
        },
        {"ts": ["2023-11-14T22:13:20Z", "2023-11-14T23:13:21+01:00"], "value": [41.5, 42.0]},
        {
            "ts_unit": "us",
            "ts": [1_700_000_000_000_000, 1_700_000_001_000_000],
            "value": [41.5, 42.0],
        },
        {"ts_unit": "s", "ts": [1_700_000_000, 1_700_000_001.0], "value": [41.5, 42.0]},
        {
            "ts_unit": "ns",
            "ts": [1_700_000_000_000_000_000, 1_700_000_001_000_000_000],
            "value": [41.5, 42.0],
        },
    ],
    ids=["columnar", "records", "iso8601", "epoch_us", "epoch_s", "epoch_ns"],
)
def test_every_form_gives_the_same_samples(payload: dict[str, object]) -> None:
    table = _samples(UnsDecoder(source="t"), [json.dumps(payload).encode()])
    assert table.column("ts").cast(pa.int64()).to_pylist() == [
        1_700_000_000_000_000,
        1_700_000_001_000_000,
    ]
    assert table.column("value").to_pylist() == [41.5, 42.0]
    assert table.column("path").to_pylist() == [TAG, TAG]
    assert table.column("quality").to_pylist() == ["good", "good"]
    assert table.column("source").to_pylist() == ["t", "t"]
    assert table.column("seq").to_pylist() == [0, 1]


def test_single_record_and_scalars_broadcast() -> None:
    decoder = UnsDecoder()
    one = _samples(decoder, [b'{"ts": 1700000000000, "value": 1.5, "quality": "uncertain"}'])
    assert one.num_rows == 1
    assert one.column("quality")[0].as_py() == "uncertain"
    many = _samples(decoder, [b'{"ts": [1, 2], "value": [1, 2], "source": "plc7", "unit": "degF"}'])
    assert many.column("source").to_pylist() == ["plc7", "plc7"]
    assert many.column("unit").to_pylist() == ["degF", "degF"]


def test_fast_path_and_slow_path_agree() -> None:
    """A group with one odd message is read one by one; the good messages give the same rows."""
    decoder = UnsDecoder(source="s")
    good = [
        json.dumps(
            {"ts": [i * 1000 + j for j in range(5)], "value": [float(j) for j in range(5)]}
        ).encode()
        for i in range(4)
    ]
    fast = decoder.decode([(TOPIC, p) for p in good])
    slow = decoder.decode([(TOPIC, p) for p in good] + [(TOPIC, b"{broken")])
    assert len(fast.rejected) == 0
    assert len(slow.rejected) == 1
    assert fast.tables[RecordKind.SAMPLE].to_pylist() == slow.tables[RecordKind.SAMPLE].to_pylist()


def test_other_kinds_take_their_path_from_the_topic() -> None:
    decoder = UnsDecoder(source="mes")
    decoded = decoder.decode(
        [
            (f"{EQ}/state", b'{"ts": "2026-01-05T06:00:00Z", "state": "running"}'),
            (f"{EQ}/count", b'{"records": [{"ts": 1, "product": "HSG-200", "good": 3}]}'),
            (
                f"{EQ}/maintenance",
                (
                    b'{"ts": 5, "work_order": "WO1", "kind": "failure", "event": "opened", '
                    b'"parts": {"BRG-7014": 2}}'
                ),
            ),
        ]
    )
    assert not decoded.rejected
    state = decoded.tables[RecordKind.STATE]
    assert state.column("path").to_pylist() == [EQ]
    assert state.column("state").to_pylist() == ["running"]
    count = decoded.tables[RecordKind.COUNT]
    assert count.column("good").to_pylist() == [3]
    assert count.column("scrap").to_pylist() == [0]
    maintenance = decoded.tables[RecordKind.MAINTENANCE]
    assert json.loads(maintenance.column("parts")[0].as_py()) == {"BRG-7014": 2}


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (TOPIC, b"{not json", "payload.malformed"),
        (TOPIC, b"[1, 2, 3]", "payload.malformed"),
        (TOPIC, b"", "payload.empty"),
        (TOPIC, b'{"ts": [1, 2], "value": [1]}', "payload.length_mismatch"),
        (TOPIC, b'{"ts": "2026-01-05T06:00:00", "value": 1}', "payload.bad_timestamp"),
        (TOPIC, b'{"ts": true, "value": 1}', "payload.bad_timestamp"),
        (TOPIC, b'{"ts": 1, "value": 1, "ts_unit": "fortnight"}', "payload.bad_ts_unit"),
        (TOPIC, b'{"value": 1}', "payload.missing_field"),
        (TOPIC, b'{"ts": 1, "value": "hot"}', "payload.wrong_type"),
        (f"{EQ}/state", b'{"ts": 1}', "payload.missing_field"),
        ("acme/lyon/not-a-kind", b'{"ts": 1, "value": 1}', "topic.unknown"),
    ],
)
def test_bad_input_is_rejected_with_a_reason_and_kept(
    topic: str, payload: bytes, reason: str
) -> None:
    decoded = UnsDecoder().decode([(topic, payload)])
    assert [r.reason for r in decoded.rejected] == [reason]
    assert decoded.rejected[0].payload == payload
    assert decoded.rejected[0].detail


def test_oversized_payload_is_refused_unread() -> None:
    decoder = UnsDecoder(max_payload_bytes=1000)
    payload = b'{"ts": [' + b"1," * 600 + b'1], "value": [1]}'
    decoded = decoder.decode([(TOPIC, payload)])
    assert decoded.rejected[0].reason == "payload.too_large"
    text = decoded.rejected[0].record_text()
    assert text.startswith("{")


def test_a_message_delivered_twice_in_a_group_counts_once() -> None:
    payload = b'{"ts": [1, 2], "value": [1, 2]}'
    decoded = UnsDecoder().decode([(TOPIC, payload), (TOPIC, payload)])
    assert decoded.rows == 2


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_columnar_samples_take_the_fast_path_in_every_ts_unit(unit: str) -> None:
    """The fast path (Arrow's JSON reader, no Python object per sample) must not fall back."""
    scale = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
    ts = [1_767_600_000 * scale, 1_767_600_001 * scale]
    payload = json.dumps({"ts_unit": unit, "ts": ts, "value": [1.0, 2.0]}).encode()
    table = UnsDecoder()._samples_fast([(TOPIC, payload)])
    assert table is not None
    assert table.column("ts").cast(pa.int64()).to_pylist() == [
        1_767_600_000_000_000,
        1_767_600_001_000_000,
    ]


@pytest.mark.parametrize(
    "payload",
    [
        b'{"ts": 1767600000000, "value": null}',  # the slow path, one sample
        b'{"ts": [1767600000000, 1767600001000], "value": [null, null]}',  # columnar
    ],
)
def test_a_null_value_is_a_bad_sample_unless_the_payload_says_otherwise(payload: bytes) -> None:
    decoded = UnsDecoder().decode([(TOPIC, payload)])
    samples = decoded.tables[RecordKind.SAMPLE]
    assert set(samples.column("quality").to_pylist()) == {"bad"}  # one rule with Sparkplug
    assert samples.column("value").null_count == samples.num_rows
    said = UnsDecoder().decode(
        [(TOPIC, b'{"ts": 1767600000000, "value": null, "quality": "uncertain"}')]
    )
    assert said.tables[RecordKind.SAMPLE].column("quality").to_pylist() == ["uncertain"]
    kept = UnsDecoder().decode([(TOPIC, b'{"ts": 1767600000000, "value": 2.5}')])
    assert kept.tables[RecordKind.SAMPLE].column("quality").to_pylist() == ["good"]
