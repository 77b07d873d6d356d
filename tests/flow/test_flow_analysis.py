"""Waiting per activity, synchronisation and variants per object type, by hand and against
the shared order-management log."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from andon import ocel
from andon.apps.flow import store_log
from andon.apps.flow.analysis import variants, waiting
from andon.store import Store

from .flow_samples import H, M

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ocel2"


def _log(events: list[tuple[str, str, str, list[str]]], objects: dict[str, str]) -> ocel.OcelLog:
    doc = {
        "eventTypes": [{"name": t, "attributes": []} for t in sorted({e[1] for e in events})],
        "objectTypes": [{"name": t, "attributes": []} for t in sorted(set(objects.values()))],
        "events": [
            {
                "id": i,
                "type": t,
                "time": time,
                "relationships": [{"objectId": o, "qualifier": "q"} for o in rel],
            }
            for i, t, time, rel in events
        ],
        "objects": [{"id": o, "type": t} for o, t in objects.items()],
    }
    return ocel.loads(json.dumps(doc).encode(), "ocel-json")


def test_waiting_and_synchronisation_by_hand() -> None:
    log = _log(
        [
            ("e1", "pick", "2026-01-01T08:00:00Z", ["i1"]),
            ("e2", "pick", "2026-01-01T09:00:00Z", ["i2"]),
            ("e3", "pack", "2026-01-01T10:00:00Z", ["i1", "i2"]),  # i1 waited 2 h, i2 1 h
            ("e4", "ship", "2026-01-01T10:30:00Z", ["i1"]),
        ],
        {"i1": "item", "i2": "item"},
    )
    waits = waiting(log)
    pack = waits.filter(pl.col("activity") == "pack").row(0, named=True)
    assert pack["count"] == 2
    assert pack["median_s"] == 5400.0
    assert pack["hours"] == 3.0
    assert pack["sync_events"] == 1
    assert pack["sync_median_s"] == 3600.0  # i1 ready at 8:00, i2 at 9:00
    assert waits["activity"].to_list() == ["pack", "ship"]  # most hours first
    found = variants(log)
    assert found.select("variant", "objects", "share").rows() == [
        ("pick > pack", 1, 0.5),  # equal counts: by name
        ("pick > pack > ship", 1, 0.5),
    ]
    assert found["median_throughput_s"].to_list() == [3600.0, 9000.0]


def test_the_plant_history(filled: Store) -> None:
    log = store_log(filled, start=0, end=10 * H)
    waits = waiting(log, object_types=["unit"])
    reflow = waits.filter(pl.col("activity") == "processed at reflow").row(0, named=True)
    # U1 30 min, U2 130 min (the oven was down), U3 40 min, U4 40 min after print
    assert reflow["count"] == 4
    assert reflow["hours"] == pytest.approx((30 + 130 + 40 + 40) * M / H)
    paths = variants(log, object_types=["order"])
    assert paths.select("variant", "objects").rows() == [
        ("released > started > completed", 1),
        ("released > started > held > unheld > completed", 1),
    ]


def test_order_management_variants_cover_every_object() -> None:
    path = SHARED / "order-management.json.gz"
    if not path.exists():
        pytest.skip("the public OCEL 2.0 logs are not in ../shared/data/ocel2")
    log = ocel.read(path)
    found = variants(log)
    per_type = found.group_by("object_type").agg(pl.col("objects").sum(), pl.col("share").sum())
    related = (
        log.e2o.select("object_id").unique().join(log.objects, left_on="object_id", right_on="id")
    )
    expected = dict(related.group_by("type").len().iter_rows())
    assert dict(per_type.select("object_type", "objects").iter_rows()) == expected
    assert per_type["share"].to_list() == pytest.approx([1.0] * per_type.height)
    waits = waiting(log)
    graph = ocel.directly_follows(log)
    # every step with a predecessor is one occurrence of an edge into its activity
    into = graph.edges.group_by("object_type", "target").agg(pl.col("frequency").sum())
    joined = waits.join(
        into, left_on=["object_type", "activity"], right_on=["object_type", "target"]
    )
    assert (joined["count"] == joined["frequency"]).all()
    assert joined.height == waits.height
