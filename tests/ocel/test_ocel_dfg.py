"""The object-centric directly-follows graph on the small log, counted by hand."""

from __future__ import annotations

import polars as pl
import pytest

from andon import ocel


@pytest.fixture
def graph(small_log: ocel.OcelLog) -> ocel.FlowGraph:
    return ocel.directly_follows(small_log)


def _edges(graph: ocel.FlowGraph, object_type: str) -> dict[tuple[str, str], tuple[int, ...]]:
    rows = graph.edges.filter(pl.col("object_type") == object_type)
    return {
        (r["source"], r["target"]): (r["frequency"], r["event_pairs"], r["objects"])
        for r in rows.iter_rows(named=True)
    }


def test_edges_per_object_type_are_counted_per_object(graph: ocel.FlowGraph) -> None:
    # units: u1 release(e1) -> process(e2, two qualifiers: one step) -> ship(e5);
    #        u2 release(e1) -> process(e4) -> ship(e5)
    assert _edges(graph, "unit") == {
        ("release", "process"): (2, 2, 2),
        ("process", "ship"): (2, 2, 2),
    }
    # the order o1: release(e1) -> hold(e3) -> ship(e5)
    assert _edges(graph, "order") == {("release", "hold"): (1, 1, 1), ("hold", "ship"): (1, 1, 1)}
    # the station m1: process(e2) -> process(e4); m2 has no event
    assert _edges(graph, "station") == {("process", "process"): (1, 1, 1)}


def test_an_event_pair_shared_by_objects_counts_once_as_a_pair() -> None:
    log = ocel.loads(
        b"""{"eventTypes": [{"name": "a", "attributes": []}, {"name": "b", "attributes": []}],
        "objectTypes": [{"name": "item", "attributes": []}],
        "events": [
          {"id": "e1", "type": "a", "time": "2026-01-01T00:00:00Z",
           "relationships": [{"objectId": "i1", "qualifier": "q"},
                             {"objectId": "i2", "qualifier": "q"}]},
          {"id": "e2", "type": "b", "time": "2026-01-01T00:00:10Z",
           "relationships": [{"objectId": "i1", "qualifier": "q"},
                             {"objectId": "i2", "qualifier": "q"}]},
          {"id": "e3", "type": "b", "time": "2026-01-01T00:00:40Z",
           "relationships": [{"objectId": "i3", "qualifier": "q"}]},
          {"id": "e0", "type": "a", "time": "2026-01-01T00:00:00Z",
           "relationships": [{"objectId": "i3", "qualifier": "q"}]}],
        "objects": [{"id": "i1", "type": "item"}, {"id": "i2", "type": "item"},
                    {"id": "i3", "type": "item"}]}""",
        "ocel-json",
    )
    graph = ocel.directly_follows(log)
    (row,) = graph.edges.iter_rows(named=True)
    assert (row["source"], row["target"]) == ("a", "b")
    assert (row["frequency"], row["event_pairs"], row["objects"]) == (3, 2, 3)
    assert row["mean_s"] == pytest.approx(20.0)
    assert row["median_s"] == pytest.approx(10.0)
    assert row["p90_s"] == pytest.approx(34.0)  # linear between 10 and 40 at 0.9 of the way


def test_durations_are_seconds_between_the_two_events(graph: ocel.FlowGraph) -> None:
    unit = graph.edges.filter(
        (pl.col("object_type") == "unit") & (pl.col("source") == "release")
    ).row(0, named=True)
    # e1 06:00Z -> e2 06:00:00.25Z (u1) and e1 06:00Z -> e4 09:30Z (u2)
    assert unit["mean_s"] == pytest.approx((0.25 + 12600) / 2)
    assert unit["median_s"] == pytest.approx((0.25 + 12600) / 2)


def test_activities_starts_and_ends(graph: ocel.FlowGraph) -> None:
    units = graph.activities.filter(pl.col("object_type") == "unit")
    assert dict(units.select("activity", "events").iter_rows()) == {
        "process": 2,
        "release": 1,
        "ship": 1,
    }
    assert graph.starts.filter(pl.col("object_type") == "unit").rows() == [("unit", "release", 2)]
    assert graph.ends.filter(pl.col("object_type") == "unit").rows() == [("unit", "ship", 2)]


def test_events_at_one_instant_keep_the_order_of_the_log(small_log: ocel.OcelLog) -> None:
    # e3 (hold) and e4 (process) are both at 09:30Z; add o1 to e4: hold then process
    e2o = pl.concat(
        [
            small_log.e2o,
            pl.DataFrame([("e4", "o1", "x")], schema=small_log.e2o.schema, orient="row"),
        ]
    )
    log = ocel.OcelLog(**{**small_log.__dict__, "e2o": e2o})
    orders = _edges(ocel.directly_follows(log), "order")
    assert ("hold", "process") in orders
    assert ("process", "hold") not in orders


def test_only_the_object_types_asked_for(small_log: ocel.OcelLog) -> None:
    graph = ocel.directly_follows(small_log, object_types=["order"])
    assert set(graph.edges["object_type"]) == {"order"}
