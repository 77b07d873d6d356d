"""The UNS JSON decoder on hostile input: every message is stored, or quarantined with its
reason, and the messages after a bad one are still read. Times without a unit are read from
their magnitude, never stored in January 1970."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow as pa
import pytest

from andon.connect.decoded import Batch
from andon.connect.uns import UnsDecoder, infer_ts_unit
from andon.records import RecordKind

EQ = "acme/lyon/machining/m1/milling/mill1"
TOPIC = f"{EQ}/sample/spindle_temperature"
GOOD = b'{"ts": [1700000000000, 1700000001000], "value": [41.5, 41.7]}'
AT_2023_US = 1_700_000_000_000_000


def _decode(messages: list[tuple[str, bytes]]) -> tuple[pa.Table | None, list[str]]:
    decoded = UnsDecoder(source="t").decode(messages)
    Batch.of(decoded, received_at_us=0).to_bytes()  # its quarantine rows are storable
    return decoded.tables.get(RecordKind.SAMPLE), [r.reason for r in decoded.rejected]


def test_an_array_nested_20000_deep_is_quarantined_not_a_crash() -> None:
    # run apart: before the fix Arrow's JSON reader overflowed its stack (a segfault)
    script = f"""
import json
from andon.connect.uns import UnsDecoder
deep = b'{{"ts": [1700000000000], "value": ' + b"[" * 20000 + b"]" * 20000 + b"}}"
assert 40_000 < len(deep) < 41_000
decoded = UnsDecoder().decode([({TOPIC!r}, deep), ({TOPIC!r}, {GOOD!r})])
print(json.dumps([[r.reason for r in decoded.rejected], decoded.rows]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    reasons, rows = json.loads(done.stdout)
    assert reasons == ["payload.too_deep"]
    assert rows == 2  # the valid message of the same group is read


@pytest.mark.parametrize(
    "payload",
    [
        b'{"ts": 1700000000000, "value": 1' + b"0" * 4400 + b"}",
        b'{"ts": 1' + b"0" * 4400 + b', "value": 1}',
        b'{"ts": [1700000000000], "value": [1' + b"0" * 4400 + b"]}",
        b'{"records": [{"ts": 1700000000000, "value": 1' + b"0" * 4400 + b"}]}",
    ],
    ids=["value", "ts", "column", "records"],
)
def test_a_number_of_more_than_4300_digits_is_quarantined(payload: bytes) -> None:
    table, reasons = _decode([(TOPIC, payload), (TOPIC, GOOD)])
    assert reasons == ["payload.malformed"]
    assert table is not None
    assert table.column("value").to_pylist() == [41.5, 41.7]  # the good message, after it


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (TOPIC, b'{"ts": [1700000000000], "v\xffalue": [1.0]}', "payload.not_utf8"),
        (TOPIC, b'{"ts": [1700000000000], "value": [1.0], "unit": "\xff"}', "payload.not_utf8"),
        (TOPIC, b'{"ts": 1700000000000, "value": 1.0, "source": "\xc3("}', "payload.not_utf8"),
        (f"{EQ}/state", b'{"ts": 1700000000000, "state": "run\xffning"}', "payload.not_utf8"),
        (f"{EQ}/sample/sp\udcffindle", b'{"ts": 1700000000000, "value": 1}', "topic.not_utf8"),
        (f"{EQ}\udcff/state", b'{"ts": 1700000000000, "state": "idle"}', "topic.not_utf8"),
    ],
)
def test_bytes_that_are_not_utf8_are_quarantined(topic: str, payload: bytes, reason: str) -> None:
    table, reasons = _decode([(topic, payload), (TOPIC, GOOD)])
    assert reasons == [reason]
    assert table is not None
    assert table.num_rows == 2


@pytest.mark.parametrize(
    ("ts", "unit", "expected_us"),
    [
        (1_700_000_000, None, AT_2023_US),
        (1_700_000_000.5, None, AT_2023_US + 500_000),
        (1_700_000_000_000, None, AT_2023_US),
        (1_700_000_000_000_000, None, AT_2023_US),
        (1_700_000_000_000_000_000, None, AT_2023_US),
        (1_700_000_000, "s", AT_2023_US),
        (1_700_000_000, "ms", 1_700_000_000_000),  # a named unit is taken as it is
    ],
)
@pytest.mark.parametrize("form", ["columns", "record"])
def test_epoch_numbers_without_a_unit_are_read_from_their_magnitude(
    ts: float, unit: str | None, expected_us: int, form: str
) -> None:
    document: dict[str, object] = (
        {"ts": [ts], "value": [1.0]} if form == "columns" else {"ts": ts, "value": 1.0}
    )
    if unit is not None:
        document["ts_unit"] = unit
    table, reasons = _decode([(TOPIC, json.dumps(document).encode())])
    assert reasons == []
    assert table is not None
    assert table.column("ts").cast(pa.int64()).to_pylist() == [expected_us]


@pytest.mark.parametrize(
    "payload",
    [
        b'{"ts": [-1700000000000], "value": [1.0]}',
        b'{"ts": -1, "value": 1.0}',
        b'{"ts": [-1.5], "value": [1.0], "ts_unit": "s"}',
        b'{"records": [{"ts": -5, "value": 1.0}]}',
        b'{"ts": NaN, "value": 1.0}',
    ],
)
def test_negative_times_are_quarantined(payload: bytes) -> None:
    table, reasons = _decode([(TOPIC, payload), (TOPIC, GOOD)])
    assert reasons == ["payload.bad_timestamp"]
    assert table is not None
    assert table.num_rows == 2


def test_the_unit_rule_meets_without_a_gap() -> None:
    assert [infer_ts_unit(v) for v in (0, 99_999_999_999, 1e11, 1e14, 1e17)] == [
        "s",
        "s",
        "ms",
        "us",
        "ns",
    ]


def test_a_quarantined_message_names_its_source() -> None:
    from andon.connect.sparkplug import SparkplugHost  # noqa: PLC0415
    from andon.model import load_model  # noqa: PLC0415
    from andon.sim.examples import find_model  # noqa: PLC0415

    messages = [("no/such/kind/here", GOOD), (TOPIC, b""), (TOPIC, b"{not json")]
    decoded = UnsDecoder(source="line-gateway").decode(messages)
    assert len(decoded.rejected) == 3
    assert {r.source for r in decoded.rejected} == {"line-gateway"}
    host = SparkplugHost(model=load_model(find_model("discrete")), source="spb-host")
    junk = host.decode([("spBv1.0/g/NDATA/n1", b"\xff\x00\xff")])
    assert junk.rejected
    assert {r.source for r in junk.rejected} == {"spb-host"}
