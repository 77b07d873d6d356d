"""Object-centric analysis in the store: the same views as :mod:`andon.apps.flow.analysis`
and :func:`andon.ocel.directly_follows`, computed by the store's SQL engine.

A log is kept in the store (:func:`keep`: three auxiliary tables of events, objects and
event-object relations, written as Arrow columns) and analysed there by one statement per
view (:mod:`andon.store.flow_queries`), on DuckDB and PostgreSQL alike: a window over each
object's events ordered by time, ties in the log's order, then group-bys. No Python object
is made per event, and only the result (one row per edge, activity or variant) leaves the
store. Durations are summarised as the columnar views do: mean, median and 90th percentile
by linear interpolation (``percentile_cont``).

The results are sorted as the columnar views sort theirs, so that each table compares equal
to its columnar twin (the tests hold them to it on both stores).

>>> from andon import ocel
>>> from andon.store import open_store
>>> log = ocel.loads(b'''{"eventTypes": [{"name": "a", "attributes": []},
...     {"name": "b", "attributes": []}],
...   "objectTypes": [{"name": "unit", "attributes": []}],
...   "events": [
...     {"id": "e1", "type": "a", "time": "2026-03-08T06:00:00Z",
...      "relationships": [{"objectId": "u1", "qualifier": "q"}]},
...     {"id": "e2", "type": "b", "time": "2026-03-08T07:00:00Z",
...      "relationships": [{"objectId": "u1", "qualifier": "q"}]}],
...   "objects": [{"id": "u1", "type": "unit"}]}''', "ocel-json")
>>> store = open_store("duckdb://:memory:")
>>> keep(store, log, name="example")
>>> directly_follows(store, name="example").edges.select("source", "target", "median_s").rows()
[('a', 'b', 3600.0)]
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import pyarrow as pa

from andon.apps.flow.analysis import VARIANT_SEPARATOR
from andon.ocel import FlowGraph, OcelLog
from andon.store import Store
from andon.store import flow_queries as fq

__all__ = ["activity_times", "directly_follows", "keep", "variants", "waiting"]

_COUNTS = ("frequency", "event_pairs", "objects", "events", "starts", "ends", "count", "length")


def _frame(table: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a table gives a frame
        raise TypeError("expected a table")
    counts = [c for c in frame.columns if c in _COUNTS or c == "sync_events"]
    floats = [c for c in frame.columns if c.endswith("_s") or c in {"hours", "share"}]
    return frame.with_columns(
        *[pl.col(c).cast(pl.Int64) for c in counts],
        *[pl.col(c).cast(pl.Float64) for c in floats],
    )


def keep(store: Store, log: OcelLog, *, name: str) -> None:
    """Keep ``log`` in ``store`` under ``name`` for analysis, replacing a log of that name."""
    events = log.events.select(
        "id",
        "type",
        pl.col("time").dt.epoch("us").alias("time_us"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("ord"),
    )
    e2o = log.e2o.select("event_id", "object_id").unique(maintain_order=True)
    fq.keep_log(
        store,
        log=name,
        events=events.to_arrow(),
        objects=log.objects.select("id", "type").to_arrow(),
        e2o=e2o.to_arrow(),
    )


def directly_follows(
    store: Store, *, name: str, object_types: Sequence[str] | None = None
) -> FlowGraph:
    """Return the directly-follows graph of the kept log ``name`` per object type, as
    :func:`andon.ocel.directly_follows` gives it."""
    edges = _frame(fq.log_edges(store, log=name, object_types=object_types))
    activities = _frame(fq.log_activities(store, log=name, object_types=object_types))
    ends = [
        activities.filter(pl.col(column) > 0)
        .select("object_type", "activity", pl.col(column).alias("objects"))
        .sort("object_type", "activity")
        for column in ("starts", "ends")
    ]
    return FlowGraph(
        edges=edges.sort("object_type", "source", "target"),
        activities=activities.select("object_type", "activity", "events", "objects").sort(
            "object_type", "activity"
        ),
        starts=ends[0],
        ends=ends[1],
    )


def waiting(store: Store, *, name: str, object_types: Sequence[str] | None = None) -> pl.DataFrame:
    """Return the waiting before each activity per object type, as
    :func:`andon.apps.flow.analysis.waiting` gives it."""
    frame = _frame(fq.log_waiting(store, log=name, object_types=object_types))
    return frame.sort(["hours", "object_type", "activity"], descending=[True, False, False])


def activity_times(
    store: Store, *, name: str, object_types: Sequence[str] | None = None
) -> pl.DataFrame:
    """Return the sojourn, waiting and synchronisation times per object type and activity,
    as :func:`andon.apps.flow.analysis.activity_times` gives them."""
    frame = _frame(fq.log_activity_times(store, log=name, object_types=object_types))
    return frame.sort("object_type", "activity")


def variants(store: Store, *, name: str, object_types: Sequence[str] | None = None) -> pl.DataFrame:
    """Return the variants per object type, as :func:`andon.apps.flow.analysis.variants`
    gives them."""
    frame = _frame(
        fq.log_variants(store, log=name, separator=VARIANT_SEPARATOR, object_types=object_types)
    )
    return frame.sort(["object_type", "objects", "variant"], descending=[False, True, False])
