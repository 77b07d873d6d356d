"""OCEL 2.0 out of the store: the objects, events, relations and values of a plant history,
the same from DuckDB and PostgreSQL, valid in every format (re-read by andon and by pm4py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from andon import ocel
from andon.apps.flow import store_log
from andon.store import Store

from .flow_samples import BENCH, LINE, PRINT, REFLOW, H, fill


def _pairs(log: ocel.OcelLog, qualifier: str) -> set[tuple[str, str]]:
    o2o = log.o2o.filter(pl.col("qualifier") == qualifier)
    return set(o2o.select("source_id", "target_id").iter_rows())


def test_objects_of_each_type(filled: Store) -> None:
    log = store_log(filled, start=0, end=10 * H)
    types = dict(log.objects.group_by("type").len().iter_rows())
    assert types == {"order": 2, "unit": 4, "lot": 2, "equipment": 4, "work_order": 1,
                     "inspection": 2, "quality_hold": 1}  # fmt: skip
    equipment = set(log.objects.filter(pl.col("type") == "equipment")["id"])
    assert equipment == {LINE, PRINT, REFLOW, BENCH}


def test_units_belong_to_the_order_started_last_on_their_line(filled: Store) -> None:
    log = store_log(filled, start=0, end=10 * H)
    assert _pairs(log, "part of") == {("U1", "O1"), ("U2", "O1"), ("U3", "O2"), ("U4", "O2")}
    assert _pairs(log, "consumed") == {("U1", "L1"), ("U2", "L1"), ("U3", "L2"), ("U4", "L2")}
    assert ("U2", REFLOW) in _pairs(log, "processed on")
    assert _pairs(log, "on") == {("O1", LINE), ("O2", LINE), ("W1", REFLOW)}


def test_events_and_their_qualified_relations(filled: Store) -> None:
    log = store_log(filled, start=0, end=10 * H)
    types = dict(log.events.group_by("type").len().iter_rows())
    assert types["held"] == 1
    assert types["processed at print"] == 4
    assert types["processed at reflow"] == 4
    assert types["inspected"] == 2
    assert types["maintained"] == 1
    held = log.events.filter(pl.col("type") == "held")["id"][0]
    relations = set(log.e2o.filter(pl.col("event_id") == held).select(
        "object_id", "qualifier").iter_rows())  # fmt: skip
    assert relations == {("O1", "order"), (LINE, "line"), (f"hold:O1:{2 * H}", "hold")}
    inspected = log.e2o.join(
        log.events.filter(pl.col("type") == "inspected"), left_on="event_id", right_on="id"
    )
    assert set(inspected["qualifier"]) == {"unit", "station", "result"}


def test_a_quality_hold_is_an_object_held_then_unheld(filled: Store) -> None:
    log = store_log(filled, start=0, end=10 * H)
    hold = f"hold:O1:{2 * H}"
    assert log.objects.filter(pl.col("id") == hold)["type"].to_list() == ["quality_hold"]
    both = log.e2o.filter(pl.col("object_id") == hold).join(
        log.events, left_on="event_id", right_on="id"
    )
    assert sorted(both["type"].to_list()) == ["held", "unheld"]
    assert (hold, "O1") in _pairs(log, "holds")
    frame = log.object_attribute_frame("quality_hold").sort("time")
    assert frame["status"].drop_nulls().to_list() == ["held", "unheld"]
    assert frame["order"].drop_nulls().to_list() == ["O1"]


def test_time_varying_attributes(filled: Store) -> None:
    log = store_log(filled, start=0, end=10 * H)
    status = (
        log.object_attributes.filter((pl.col("object_id") == "O1") & (pl.col("name") == "status"))
        .sort("time")["value"]
        .to_list()
    )
    assert status == ["released", "started", "held", "unheld", "completed"]
    states = log.object_attribute_frame("equipment").filter(pl.col("id") == REFLOW)
    assert states.sort("time")["state"].drop_nulls().to_list() == [
        "running", "unplanned_down", "running"]  # fmt: skip
    units = log.object_attribute_frame("unit").filter(pl.col("id") == "U1").sort("time")
    assert units["station"].drop_nulls().to_list() == [PRINT, REFLOW]
    assert units["lot"].drop_nulls().to_list() == ["L1"]
    quantity = log.object_attribute_frame("order").filter(pl.col("id") == "O2")
    assert quantity["quantity"].drop_nulls().to_list() == [2]


def test_without_states_and_a_narrow_range(filled: Store) -> None:
    log = store_log(filled, start=4 * H, end=10 * H, equipment_states=False)
    assert set(log.objects.filter(pl.col("type") == "order")["id"]) == {"O1", "O2"}
    assert "state" not in set(log.object_attributes["name"])
    assert _pairs(log, "part of") == {("U3", "O2"), ("U4", "O2")}


def test_the_same_log_from_either_store(filled: Store, duckdb_store: Store) -> None:
    fill(duckdb_store)
    assert store_log(filled, start=0, end=10 * H).same_facts(
        store_log(duckdb_store, start=0, end=10 * H)
    )


@pytest.mark.parametrize("name", ["flow.json", "flow.xml", "flow.sqlite", "flow.json.gz"])
def test_every_format_reads_back_the_same_facts(filled: Store, tmp_path: Path, name: str) -> None:
    log = store_log(filled, start=0, end=10 * H)
    ocel.write(log, tmp_path / name)
    assert ocel.read(tmp_path / name).same_facts(log)


@pytest.mark.parametrize("name", ["flow.json", "flow.xml", "flow.sqlite"])
def test_pm4py_reads_the_export(filled: Store, tmp_path: Path, name: str) -> None:
    pm4py = pytest.importorskip("pm4py", reason="pm4py (the peer) is not installed")
    log = store_log(filled, start=0, end=10 * H)
    ocel.write(log, tmp_path / name)
    reader = {"json": pm4py.read_ocel2_json, "xml": pm4py.read_ocel2_xml,
              "sqlite": pm4py.read_ocel2_sqlite}[name.split(".")[1]]  # fmt: skip
    theirs = reader(str(tmp_path / name))
    assert len(theirs.events) == log.events.height
    assert len(theirs.objects) == log.objects.height
    assert len(theirs.relations) == log.e2o.height
    assert len(theirs.o2o) == log.o2o.height
