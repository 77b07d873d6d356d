"""OCEL 2.0 out of simulated plants unlike the hand-written one: the conformance plant
(tests/conformance/plant.yaml) and the SMT and batch examples for one day each, every unit
placed in an order, valid on re-read, a bottleneck cell found on each line."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from andon import ocel
from andon.apps.flow import store_log
from andon.apps.flow.delay import delays
from andon.model import load_model
from andon.sim import simulate
from andon.sim.scenario import HoldRule, Scenario
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore

PLANT = Path(__file__).resolve().parents[1] / "conformance" / "plant.yaml"


@pytest.fixture(scope="module")
def log() -> ocel.OcelLog:
    model = load_model(PLANT)
    store = DuckDBStore(None)
    try:
        result = simulate(model, days=1.0, seed=5, sink=PipelineSink.into(store, model=model))
        return store_log(store, start=result.start_us, end=result.end_us)
    finally:
        store.close()


def test_every_unit_is_part_of_one_order(log: ocel.OcelLog) -> None:
    units = log.objects.filter(pl.col("type") == "unit")
    assert units.height > 0
    part_of = log.o2o.filter(pl.col("qualifier") == "part of")
    assert part_of["source_id"].n_unique() == part_of.height
    orders = set(log.objects.filter(pl.col("type") == "order")["id"])
    assert set(part_of["target_id"]) <= orders
    assert part_of.height == units.height


def test_unit_steps_follow_the_routing(log: ocel.OcelLog) -> None:
    graph = ocel.directly_follows(log, object_types=["unit"])
    assert graph.edges.height > 0
    assert (graph.edges["median_s"] >= 0).all()
    # A unit's story begins when its line releases it and it consumes its lot.
    assert graph.starts["activity"].to_list() == ["consumed"]
    assert (
        graph.edges.filter(pl.col("source") == "consumed")["target"]
        .str.starts_with("processed at")
        .all()
    )


def test_sqlite_round_trip(log: ocel.OcelLog, tmp_path: Path) -> None:
    ocel.write(log, tmp_path / "plant.sqlite")
    assert ocel.read(tmp_path / "plant.sqlite").same_facts(log)


@pytest.mark.parametrize("example", ["smt", "batch"])
def test_other_example_plants(example: str, tmp_path: Path) -> None:
    model = load_model(Path(__file__).resolve().parents[2] / "examples" / example)
    store = DuckDBStore(None)
    try:
        result = simulate(model, days=1.0, seed=1, sink=PipelineSink.into(store, model=model))
        log = store_log(store, start=result.start_us, end=result.end_us)
        report = delays(store, start=result.start_us, end=result.end_us)
    finally:
        store.close()
    units = log.objects.filter(pl.col("type") == "unit").height
    assert units > 0
    assert log.o2o.filter(pl.col("qualifier") == "part of").height == units
    ocel.write(log, tmp_path / "plant.json")
    assert ocel.read(tmp_path / "plant.json").same_facts(log)
    assert report.lines.height > 0
    for line, cell in report.lines.select("line", "bottleneck").iter_rows():
        assert cell.startswith(f"{line}/")


def test_simulated_holds_are_quality_hold_objects_and_a_cause_of_delay() -> None:
    model = load_model(PLANT)
    holds = Scenario(holds={"W1": HoldRule(cell="milling", share=1.0, mean_h=5.0)})
    store = DuckDBStore(None)
    try:
        sink = PipelineSink.into(store, model=model)
        result = simulate(model, days=4.0, seed=3, sink=sink, scenario=holds)
        log = store_log(store, start=result.start_us, end=result.end_us)
        report = delays(store, start=result.start_us, end=result.end_us)
    finally:
        store.close()
    orders = log.objects.filter(pl.col("type") == "order").height
    assert log.objects.filter(pl.col("type") == "quality_hold").height == orders
    first = report.causes.row(0, named=True)
    # The held units' wait ends at the cell after the mills.
    assert (first["cause"], first["station"].rsplit("/", 2)[1]) == ("hold", "testing")
