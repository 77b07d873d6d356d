"""The simulator's data passes the contracts on its way into a store, as a plant's does."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from andon.connect.pipeline import Pipeline
from andon.model import Model, load_model
from andon.records import RecordKind, samples
from andon.sim import PipelineSink, simulate
from andon.sim.outputs import open_sink
from andon.store import open_store

ROOT = Path(__file__).resolve().parents[2]
DEGF_TAG = "acme/brno/machining/m1/milling/mill1/spindle_temperature"


def test_a_rerun_through_the_contracts_duplicates_nothing(tiny: Model) -> None:
    store = open_store("duckdb://:memory:")
    sink = PipelineSink.into(store, model=tiny)
    first = simulate(tiny, days=0.5, seed=9, sink=sink)
    assert sink.quarantined == {}
    counts = {kind: store.count_rows(kind) for kind in RecordKind}
    truth = store.read_table("truth_health").num_rows
    assert counts[RecordKind.SAMPLE] == first.records["sample"]
    assert sink.written == first.total_records
    again = PipelineSink.into(store, model=tiny)
    simulate(tiny, days=0.5, seed=9, sink=again)
    assert again.written == 0
    assert again.duplicates == first.total_records
    assert {kind: store.count_rows(kind) for kind in RecordKind} == counts
    assert store.read_table("truth_health").num_rows == truth
    simulate(tiny, days=0.5, seed=10, sink=PipelineSink.into(store, model=tiny))
    assert store.count_rows(RecordKind.SAMPLE) == 2 * counts[RecordKind.SAMPLE]
    store.close()


def test_bad_rows_are_quarantined_with_their_reason(tiny: Model) -> None:
    store = open_store("duckdb://:memory:")
    sink = PipelineSink(pipeline=Pipeline(store=store, model=tiny))
    tag = next(iter(tiny.tags))
    batch = samples(ts=[1, 2, 3], path=[tag, tag, "tiny/nowhere/x"], value=[1.0, 1e9, 1.0])
    sink.write(RecordKind.SAMPLE, batch, batch_id="b1")
    assert sink.quarantined == {"out_of_range": 1, "unknown_path": 1}
    assert store.count_rows(RecordKind.SAMPLE) == 1
    assert store.quarantined().num_rows == 2
    store.close()


def test_the_future_bound_follows_simulated_time(tiny: Model) -> None:
    tag = next(iter(tiny.tags))
    batch = samples(ts=[10_000_000_000], path=[tag], value=[1.0])
    store = open_store("duckdb://:memory:")
    sink = PipelineSink.into(store, model=tiny)
    sink.advance(9_000_000_000)  # ten minutes before the sample: beyond the 300 s bound
    sink.write(RecordKind.SAMPLE, batch, batch_id="early")
    assert sink.quarantined == {"future": 1}
    sink.advance(10_000_000_000)
    sink.write(RecordKind.SAMPLE, batch, batch_id="on-time")
    assert sink.written == 1
    clocked = PipelineSink.into(store, model=tiny, clock=lambda: 0)
    clocked.advance(10_000_000_000)  # a given clock wins over the simulated time
    clocked.write(RecordKind.SAMPLE, batch, batch_id="clocked")
    assert clocked.quarantined == {"future": 1}
    store.close()


def test_stored_values_are_in_class_units() -> None:
    model = load_model(ROOT / "examples" / "discrete")
    store = open_store("duckdb://:memory:")
    sink = open_sink("store", store_url="duckdb://:memory:", model=model)
    assert isinstance(sink, PipelineSink)
    sink = PipelineSink.into(store, model=model)
    simulate(model, days=0.25, seed=2, sink=sink)
    stored = store.samples(tags=[DEGF_TAG])
    values = stored.column("value")
    # the controller reports degF (up to 302); the store holds degC within [-10, 150]
    assert pc.max(values).as_py() <= 150.0
    assert pc.min(values).as_py() >= -10.0
    assert isinstance(stored, pa.Table)
    store.close()


@pytest.mark.parametrize("kind", [RecordKind.STATE, RecordKind.ENERGY, RecordKind.TARIFF])
def test_every_kind_the_simulator_emits_passes(tiny: Model, kind: RecordKind) -> None:
    store = open_store("duckdb://:memory:")
    sink = PipelineSink.into(store, model=tiny)
    result = simulate(tiny, days=0.5, seed=3, sink=sink)
    assert sink.quarantined == {}
    assert store.count_rows(kind) == result.records[kind.value] > 0
    store.close()
