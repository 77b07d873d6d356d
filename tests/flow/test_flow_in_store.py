"""Object-centric analysis in the store: on DuckDB and PostgreSQL, every view equals its
columnar twin, on the small plant history, on a log with ties, two qualifiers and an object
type left out, and on the public order-management log; the graph's counts equal pm4py's."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from andon import ocel
from andon.apps.flow import analysis, in_store, store_log
from andon.store import Store

from .flow_samples import H

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ocel2"


def _same(columnar: pl.DataFrame, sql: pl.DataFrame) -> None:
    assert columnar.height > 0
    assert_frame_equal(columnar, sql, check_dtypes=False, rel_tol=1e-9)


def _all_views(store: Store, log: ocel.OcelLog, name: str, types: list[str] | None) -> None:
    in_store.keep(store, log, name=name)
    ours = ocel.directly_follows(log, object_types=types)
    theirs = in_store.directly_follows(store, name=name, object_types=types)
    for table in ("edges", "activities", "starts", "ends"):
        _same(getattr(ours, table), getattr(theirs, table))
    _same(
        analysis.waiting(log, object_types=types),
        in_store.waiting(store, name=name, object_types=types),
    )
    _same(
        analysis.activity_times(log, object_types=types),
        in_store.activity_times(store, name=name, object_types=types),
    )
    _same(
        analysis.variants(log, object_types=types),
        in_store.variants(store, name=name, object_types=types),
    )


def test_the_plant_history_in_sql_equals_the_columns(filled: Store) -> None:
    log = store_log(filled, start=0, end=10 * H)
    _all_views(filled, log, "plant", None)
    times = in_store.activity_times(filled, name="plant", object_types=["unit"])
    reflow = times.filter(pl.col("activity") == "processed at reflow").row(0, named=True)
    assert reflow["events"] == 4
    assert reflow["sync_mean_s"] == 0.0  # one unit per event: nothing to wait for


def _tied_log() -> ocel.OcelLog:
    def event(eid: str, kind: str, minute: int, *objects: tuple[str, str]) -> dict[str, object]:
        return {
            "id": eid,
            "type": kind,
            "time": f"2026-03-08T06:{minute:02d}:00Z",
            "relationships": [{"objectId": o, "qualifier": q} for o, q in objects],
        }

    document = {
        "eventTypes": [{"name": n, "attributes": []} for n in ("pick", "pack", "ship")],
        "objectTypes": [{"name": n, "attributes": []} for n in ("order", "item", "truck")],
        "events": [
            event("e3", "pack", 5, ("o1", "order"), ("i1", "item"), ("i2", "item")),
            event("e1", "pick", 1, ("i1", "item"), ("o1", "order")),
            event("e2", "pick", 3, ("i2", "item"), ("o1", "order"), ("o1", "first")),
            event("e4", "ship", 9, ("o1", "order"), ("t1", "truck")),
            event("e5", "ship", 9, ("o2", "order"), ("t1", "truck")),  # a tie on t1
            event("e6", "pick", 9, ("o2", "order")),  # a tie on o2
        ],
        "objects": [
            {"id": i, "type": t}
            for i, t in (
                ("o1", "order"),
                ("o2", "order"),
                ("i1", "item"),
                ("i2", "item"),
                ("t1", "truck"),
            )
        ],
    }
    return ocel.loads(json.dumps(document).encode(), "ocel-json")


@pytest.mark.parametrize("types", [None, ["order", "item"]])
def test_ties_two_qualifiers_and_chosen_types(store: Store, types: list[str] | None) -> None:
    log = _tied_log()
    _all_views(store, log, "tied", types)
    times = in_store.activity_times(store, name="tied", object_types=["item"])
    pack = times.filter(pl.col("activity") == "pack").row(0, named=True)
    # i1 ready at 06:01, i2 at 06:03, packed at 06:05
    assert (pack["sojourn_mean_s"], pack["waiting_mean_s"], pack["sync_mean_s"]) == (
        240.0, 120.0, 120.0)  # fmt: skip
    edges = in_store.directly_follows(store, name="tied").edges
    o1 = edges.filter((pl.col("object_type") == "order") & (pl.col("source") == "pick"))
    assert o1.filter(pl.col("target") == "pick")["frequency"].to_list() == [1]  # e1, e2 once


def test_keeping_a_log_again_replaces_it(store: Store) -> None:
    log = _tied_log()
    in_store.keep(store, log, name="again")
    in_store.keep(store, log, name="again")
    in_store.keep(store, log, name="other")
    edges = in_store.directly_follows(store, name="again").edges
    assert edges.equals(ocel.directly_follows(log).edges)


def test_the_order_management_log(store: Store) -> None:
    path = SHARED / "order-management.json.gz"
    if not path.exists():
        pytest.skip(f"{path.name} is not in ../shared/data/ocel2")
    log = ocel.read(path)
    in_store.keep(store, log, name="om")
    _same(ocel.directly_follows(log).edges, in_store.directly_follows(store, name="om").edges)
    _same(analysis.variants(log), in_store.variants(store, name="om"))


def test_the_graph_counts_equal_pm4py(filled: Store, tmp_path: Path) -> None:
    pm4py = pytest.importorskip("pm4py", reason="pm4py (the peer) is not installed")
    log = store_log(filled, start=0, end=10 * H)
    target = tmp_path / "plant.json"
    ocel.write(log, target)
    graph = pm4py.discover_ocdfg(pm4py.read_ocel2_json(str(target)), business_hours=False)
    peer = {
        (object_type, source, target_): (
            len(occurrences),
            len(graph["edges"]["event_couples"][object_type][(source, target_)]),
            len(graph["edges"]["unique_objects"][object_type][(source, target_)]),
        )
        for object_type, pairs in graph["edges"]["total_objects"].items()
        for (source, target_), occurrences in pairs.items()
    }
    in_store.keep(filled, log, name="plant")
    edges = in_store.directly_follows(filled, name="plant").edges
    ours = {
        (r["object_type"], r["source"], r["target"]): (
            r["frequency"],
            r["event_pairs"],
            r["objects"],
        )
        for r in edges.iter_rows(named=True)
    }
    assert ours == peer
