"""Fuzz the decoders with hypothesis: no input crashes them, every message is accounted for."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon.connect.sparkplug import SparkplugHost, encode_payload
from andon.connect.uns import UnsDecoder
from andon.model import Model

EQ = "acme/lyon/machining/m1/milling/mill1"
topics = st.sampled_from(
    [
        f"{EQ}/sample/spindle_temperature",
        f"{EQ}/state",
        f"{EQ}/count",
        f"{EQ}/energy",
        "acme/x",
        "a/b/sample/c",
        "",
    ]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)
documents = st.dictionaries(
    st.sampled_from(
        [
            "ts",
            "value",
            "quality",
            "records",
            "ts_unit",
            "source",
            "unit",
            "seq",
            "state",
            "good",
            "product",
            "kwh",
        ]
    ),
    json_values,
    max_size=6,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(topics, st.binary(max_size=200)), max_size=6))
def test_uns_decoder_survives_any_bytes(messages: list[tuple[str, bytes]]) -> None:
    decoded = UnsDecoder().decode(messages)
    assert len(decoded.rejected) <= len(messages)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(topics, documents), min_size=1, max_size=6))
def test_uns_decoder_survives_any_json(messages: list[tuple[str, dict[str, object]]]) -> None:
    raw = [(t, json.dumps(d, allow_nan=True).encode()) for t, d in messages]
    decoded = UnsDecoder().decode(raw)
    distinct = len(set(raw))
    # every distinct message either gives records or is rejected with a reason
    assert len(decoded.rejected) <= distinct
    for reject in decoded.rejected:
        assert reject.reason
        assert reject.detail


spb_topics = st.sampled_from(
    [
        "spBv1.0/g/NBIRTH/n",
        "spBv1.0/g/DBIRTH/n/d",
        "spBv1.0/g/DDATA/n/d",
        "spBv1.0/g/NDATA/n",
        "spBv1.0/g/NDEATH/n",
        "spBv1.0/g/XX/n",
    ]
)
metrics = st.lists(
    st.tuples(
        st.none() | st.text(max_size=10),
        st.none() | st.integers(0, 2**64 - 1),
        st.none() | st.integers(0, 2**63),
        st.none() | st.booleans() | st.floats(),
    ),
    max_size=5,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(spb_topics, st.binary(max_size=120)), max_size=6))
def test_sparkplug_host_survives_any_bytes(
    example_model: Model, messages: list[tuple[str, bytes]]
) -> None:
    SparkplugHost(model=example_model, group="g").decode(messages)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.tuples(spb_topics, st.none() | st.integers(0, 2**64 - 1), metrics), max_size=8))
def test_sparkplug_host_survives_any_payload(
    example_model: Model,
    messages: list[tuple[str, int | None, list[tuple[str | None, int | None, int | None, object]]]],
) -> None:
    host = SparkplugHost(model=example_model, group="g")
    raw = [(t, encode_payload(timestamp_ms=1, seq=seq, metrics=m)) for t, seq, m in messages]  # type: ignore[arg-type]
    host.decode(raw)
