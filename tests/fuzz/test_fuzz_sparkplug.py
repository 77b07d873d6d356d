"""Fuzzing the Sparkplug B decoders (hypothesis, a small budget in the suite).

The rule: any input is stored, quarantined with a reason, or refused with an
:class:`~andon.errors.AndonError` -- never another exception. Births, deaths and data with
any data type, any value field (or none), names that are not UTF-8, damaged bytes, in any
order, go through one host. Entry points (also for ``benchmarks/fuzz.py``):
``andon.connect.sparkplug.SparkplugHost(model=...).decode(messages)`` and
``andon.connect.spb_wire.read_metrics(payloads)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon.connect import spb_wire
from andon.connect._proto.sparkplug_b_pb2 import Payload
from andon.connect.decoded import Batch
from andon.connect.sparkplug import SparkplugHost
from andon.errors import AndonError
from andon.model import Model, load_model
from andon.records import RecordKind

ROOT = Path(__file__).resolve().parents[2]
G = "fz"
DEVICE = "acme:lyon:machining:m1:milling:mill1"
BUDGET = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NAMES = ["spindle_temperature", "spindle_vibration", "state", "bdSeq", "Node Control/Rebirth", "x"]
VALUE_FIELDS = {
    "int_value": st.integers(0, 2**32 - 1),
    "long_value": st.integers(0, 2**64 - 1),
    "float_value": st.floats(width=32),
    "double_value": st.floats(),
    "boolean_value": st.booleans(),
    "string_value": st.text(max_size=8),
}


@st.composite
def metric_fields(draw: st.DrawFn) -> dict[str, object]:
    fields: dict[str, object] = {}
    if draw(st.booleans()):
        fields["name"] = draw(st.sampled_from(NAMES) | st.text(max_size=6))
    if draw(st.booleans()):
        fields["alias"] = draw(st.integers(0, 5) | st.integers(0, 2**64 - 1))
    if draw(st.booleans()):
        fields["timestamp"] = draw(st.integers(0, 2**64 - 1) | st.just(1_700_000_000_000))
    fields["datatype"] = draw(st.integers(0, 40))
    if draw(st.integers(0, 5)) == 0:
        fields["is_null"] = True
    if draw(st.integers(0, 5)):
        field = draw(st.sampled_from(sorted(VALUE_FIELDS)))
        fields[field] = draw(VALUE_FIELDS[field])
    return fields


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["NBIRTH", "DBIRTH", "NDATA", "DDATA", "NDEATH", "DDEATH", "NCMD"]))
    node = draw(st.sampled_from(["e1", "e2"]))
    topic = f"spBv1.0/{G}/{kind}/{node}" + (f"/{DEVICE}" if kind.startswith("D") else "")
    payload = Payload()
    if draw(st.booleans()):
        payload.timestamp = draw(st.integers(0, 2**64 - 1) | st.just(1_700_000_000_000))
    if draw(st.booleans()):
        payload.seq = draw(st.integers(0, 300))
    for fields in draw(st.lists(metric_fields(), max_size=5)):
        metric = payload.metrics.add()
        for name, value in fields.items():
            setattr(metric, name, value)
    data = bytearray(payload.SerializeToString())
    how = draw(st.sampled_from(["as is", "as is", "flip", "cut", "not utf8", "random"]))
    if how == "random":
        return topic, draw(st.binary(max_size=120))
    if how == "not utf8" and b"\x0a" in data:  # a metric name's bytes made invalid
        data = data.replace(b"spindle", b"sp\xc9\xffdle")
    if data and how in {"flip", "cut"}:
        at = draw(st.integers(0, len(data) - 1))
        if how == "cut":
            data = data[:at]
        else:
            data[at] ^= draw(st.integers(1, 255))
    if draw(st.integers(0, 20)) == 0:
        topic = draw(
            st.sampled_from([topic + "\udcff", "spBv1.0/STATE/x", draw(st.text(max_size=20))])
        )
    return topic, bytes(data)


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model(ROOT / "examples" / "discrete")


@BUDGET
@given(groups=st.lists(st.lists(messages(), min_size=1, max_size=6), min_size=1, max_size=4))
def test_any_sparkplug_input_is_stored_quarantined_or_refused(
    model: Model, groups: list[list[tuple[str, bytes]]]
) -> None:
    host = SparkplugHost(model=model, group=G)
    for group in groups:
        try:
            decoded = host.decode(group)
        except AndonError:
            continue
        for reject in decoded.rejected:
            assert reject.reason.startswith("sparkplug.")
            assert reject.detail
        samples = decoded.tables.get(RecordKind.SAMPLE)
        if samples is not None:
            values = samples.column("value").to_numpy(zero_copy_only=False)
            quality = samples.column("quality").to_pylist()
            for value, q in zip(values, quality, strict=True):
                # never a silent 0.0 for nothing: a value-less sample is not good
                assert not (np.isnan(value) and q == "good")
        Batch.from_bytes(Batch.of(decoded, received_at_us=0).to_bytes())
        host.take_commands()


@BUDGET
@given(payloads=st.lists(st.binary(max_size=200) | messages().map(lambda m: m[1]), max_size=8))
def test_the_columnar_reader_reads_any_bytes(payloads: list[bytes]) -> None:
    read = spb_wire.read_metrics(payloads)
    assert len(read.headers) == len(payloads)
    for number in read.corrupt:
        assert read.headers[number] is None
        assert not (read.message == number).any()
    for row in range(len(read)):
        read.name(row)
        read.text(row)
