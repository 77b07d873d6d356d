"""Fuzzing the UNS JSON decoder (hypothesis, a small budget in the suite).

The rule: any input is stored, quarantined with a reason, or refused with an
:class:`~andon.errors.AndonError` -- never another exception, a crash or a silent wrong
value. Each message either becomes records or one quarantine row; the decoded group goes
through the contract check and into a real store. The entry point is
``andon.connect.uns.UnsDecoder(...).decode(messages)``; ``benchmarks/fuzz.py`` calls the
same for long runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon.connect.decoded import Batch
from andon.connect.pipeline import Pipeline
from andon.connect.uns import UnsDecoder
from andon.errors import AndonError
from andon.model import Model, load_model
from andon.records import RecordKind
from andon.store import DuckDBStore

ROOT = Path(__file__).resolve().parents[2]
EQ = "acme/lyon/machining/m1/milling/mill1"
TOPICS = [
    f"{EQ}/sample/spindle_temperature",
    f"{EQ}/sample/spindle_vibration",
    f"{EQ}/state",
    f"{EQ}/count",
    f"{EQ}/maintenance",
    "acme/genealogy",
    "acme/lyon/nowhere/sample/x",
]
BUDGET = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["s", "ms", "us", "ns", "good", "bad", "running", "2026-01-05T06:00:00Z"]),
    st.sampled_from([1_700_000_000, 1_700_000_000_000, 1.7e15, 1.7e18, -1, 0]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "ts",
    "value",
    "ts_unit",
    "quality",
    "source",
    "unit",
    "seq",
    "state",
    "reason",
    "records",
]
documents = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), json_values, max_size=6)


def _encode(document: Any) -> bytes:
    return json.dumps(document, allow_nan=True).encode()


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    how = draw(st.sampled_from(["document", "columns", "bytes", "mutated", "deep", "digits"]))
    if how == "document":
        return _encode(draw(documents))
    if how == "columns":
        n = draw(st.integers(0, 4))
        return _encode(
            {
                "ts": draw(st.lists(scalars, min_size=n, max_size=n)),
                "value": draw(st.lists(scalars, min_size=n, max_size=n)),
                **draw(
                    st.dictionaries(
                        st.sampled_from(["ts_unit", "quality", "unit", "seq"]), scalars, max_size=2
                    )
                ),
            }
        )
    if how == "bytes":
        return draw(st.binary(max_size=200))
    if how == "deep":
        depth = draw(st.integers(1, 30_000))
        return b'{"ts": [1700000000000], "value": ' + b"[" * depth + b"]" * depth + b"}"
    if how == "digits":
        return b'{"ts": [1700000000000], "value": [1' + b"7" * draw(st.integers(300, 6000)) + b"]}"
    base = bytearray(_encode({"ts": [1_700_000_000_000, 1_700_000_001_000], "value": [1.0, 2.0]}))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(base) - 1))
        base[at] = draw(st.integers(0, 255))
    return bytes(base)


topics = st.one_of(
    st.sampled_from(TOPICS),
    st.text(max_size=40),
    st.sampled_from(TOPICS).map(lambda t: t.replace("mill1", "mill\udcff")),
)


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model(ROOT / "examples" / "discrete")


@pytest.fixture(scope="module")
def pipeline(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    store = DuckDBStore(tmp_path_factory.mktemp("fuzz") / "uns.duckdb")
    yield Pipeline(store=store, model=model)
    store.close()


@BUDGET
@given(messages=st.lists(st.tuples(topics, payloads()), min_size=1, max_size=6))
def test_any_uns_input_is_stored_quarantined_or_refused(
    pipeline: Pipeline, messages: list[tuple[str, bytes]]
) -> None:
    decoder = UnsDecoder(source="fuzz")
    try:
        decoded = decoder.decode(messages)
    except AndonError:
        return
    unique = len(set(messages))
    assert len(decoded.rejected) <= unique
    for reject in decoded.rejected:
        assert reject.reason
        assert reject.detail
    if len(decoded.rejected) == unique:
        assert decoded.rows == 0
    batch = Batch.of(decoded, received_at_us=1_700_000_000_000_000)
    Batch.from_bytes(batch.to_bytes())  # what a buffer keeps reads back
    try:
        result = pipeline.write(batch, now_us=1_800_000_000_000_000)
    except AndonError:
        return
    stored = result.written + result.duplicates + sum(result.quarantined.values())
    assert stored == decoded.rows + len(decoded.rejected)
    samples = decoded.tables.get(RecordKind.SAMPLE)
    if samples is not None and samples.num_rows:
        ts = samples.column("ts").cast("int64").to_pylist()
        assert min(ts) >= 0  # never before 1970
