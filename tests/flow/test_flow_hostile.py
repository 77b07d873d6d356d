"""OCEL 2.0 out of hostile records: ids with separators, slashes, quotes and any letters,
shared between kinds of record; the log is always valid, keeps every distinct visit and
reads back the same from every format."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon import ocel
from andon.apps.flow import store_log
from andon.records import RecordKind
from andon.store import DuckDBStore

from .flow_samples import H, table

NAMES = st.sampled_from(["a", "a:b", "b", "a%3Ab", "x/y", "é", "'q'", "L1", "O1", "<&>"])
PATHS = st.sampled_from(["p/l/c1/m1", "p/l/c2/m1", "p/l/c2/m2", "p:l/c1/m1", "O1"])
TIMES = st.integers(min_value=0, max_value=4 * H)


@st.composite
def _history(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    units = draw(st.lists(st.tuples(TIMES, NAMES, PATHS, NAMES), max_size=12))
    orders = draw(
        st.lists(
            st.tuples(TIMES, NAMES, st.sampled_from(["released", "started", "held", "unheld",
                                                     "completed", "cancelled"])),
            max_size=8,
        )
    )  # fmt: skip
    links = draw(st.lists(st.tuples(TIMES, NAMES, NAMES), max_size=6))
    return {
        "unit": [
            {"ts": t, "serial": s, "path": p, "product": "P", "lot": lot, "parameter": "x",
             "value": 1.0}
            for t, s, p, lot in units
        ],
        "order": [
            {"ts": t, "order_id": o, "product": "P", "quantity": 1, "event": e, "path": "p/l"}
            for t, o, e in orders
        ],
        "genealogy": [
            {"ts": t, "parent": a, "child": b, "relation": "consumed"} for t, a, b in links
        ],
    }  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=_history())
def test_any_history_gives_a_valid_log(history: dict[str, list[dict[str, Any]]]) -> None:
    store = DuckDBStore(None)
    try:
        for kind, rows in history.items():
            if rows:
                store.write(RecordKind(kind), table(RecordKind(kind), rows), batch_id=kind)
        log = store_log(store, start=0, end=5 * H)
    finally:
        store.close()
    visits = {(r["serial"], r["path"], r["ts"]) for r in history["unit"]}
    steps = log.events.filter(pl.col("type").str.starts_with("processed at "))
    assert steps.height == len(visits)
    assert log.events["id"].n_unique() == log.events.height
    assert log.objects["id"].n_unique() == log.objects.height
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("log.json", "log.xml", "log.sqlite"):
            ocel.write(log, Path(scratch) / name)
            assert ocel.read(Path(scratch) / name).same_facts(log), name
