"""Traces on plants the trace was not written for: the simulated SMT and beverage plants,
checked against their unit and order records."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from andon.model import load_model
from andon.records import RecordKind
from andon.sim import simulate
from andon.sim.sinks import MemorySink
from andon.store import DuckDBStore
from andon.trace import backward, forward, recall

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module", params=["smt", "beverage"])
def plant(request: pytest.FixtureRequest) -> DuckDBStore:
    model = load_model(EXAMPLES / request.param)
    sink = MemorySink()
    simulate(model, days=1, seed=3, sink=sink, sample_rate_s=600)
    store = DuckDBStore(None)
    for kind in RecordKind:
        store.write(kind, sink.table(kind))
    return store


def test_a_lot_reaches_every_unit_recorded_with_it(plant: DuckDBStore) -> None:
    rows = pl.from_arrow(plant.records(RecordKind.UNIT))
    assert isinstance(rows, pl.DataFrame)
    lot = rows["lot"].drop_nulls().sort()[0]
    recorded = set(rows.filter(pl.col("lot") == lot)["serial"].to_list())
    trace = forward(plant, lot)
    assert recorded
    assert recorded <= set(trace.units["serial"].to_pylist())
    answer = recall(plant, lot)
    assert answer.completed.num_rows + answer.in_progress.num_rows == trace.units.num_rows


def test_a_unit_traces_back_to_its_lot_its_line_and_an_order_of_its_product(
    plant: DuckDBStore,
) -> None:
    rows = pl.from_arrow(plant.records(RecordKind.UNIT))
    assert isinstance(rows, pl.DataFrame)
    serial = rows["serial"].sort()[len(rows) // 2]
    unit = rows.filter(pl.col("serial") == serial)
    trace = backward(plant, serial)
    assert trace.lots == (unit["lot"][0],)
    found = trace.units.to_pylist()[0]
    assert found["product"] == unit["product"][0]
    assert found["order_id"] is not None
    assert found["order_id"].endswith(unit["product"][0])
    placed = pl.from_arrow(plant.records(RecordKind.ORDER))
    assert isinstance(placed, pl.DataFrame)
    order = placed.filter(pl.col("order_id") == found["order_id"])
    assert set(order["product"].to_list()) == {found["product"]}
    line = order["path"].drop_nulls()[0]
    assert all(station.startswith(line + "/") for station in unit["path"].to_list())
    assert set(trace.visits["station"].to_pylist()) == set(unit["path"].to_list())
    assert trace.parameters.num_rows == unit.height
