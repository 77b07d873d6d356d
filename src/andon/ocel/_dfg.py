"""The object-centric directly-follows graph: per object type, which activity follows which.

For every object, its events are ordered by time (events at the same instant keep the order
of the log); each pair of consecutive events is one occurrence of the edge from the first
event's activity to the second's, in the object's type. An event related to an object under
two qualifiers is one step of that object, not two. Computed on columns in one lazy Polars
query: a sort, a shift and group-bys; no Python object per event.

Each edge carries three counts, the three that object-centric process mining reports:
``frequency``, the object-level occurrences (one per object per consecutive pair);
``event_pairs``, the distinct pairs of events (an event pair shared by two orders counts
once); ``objects``, the distinct objects that take the edge. The duration of an occurrence
is the time from the first event to the second, in seconds, summarised as the mean, the
median and the 90th percentile (linear interpolation) over the occurrences.

>>> from andon import ocel
>>> log = ocel.loads(b'''{"eventTypes": [{"name": "start", "attributes": []},
...     {"name": "end", "attributes": []}],
...   "objectTypes": [{"name": "unit", "attributes": []}],
...   "events": [
...     {"id": "e1", "type": "start", "time": "2026-03-08T06:00:00Z",
...      "relationships": [{"objectId": "u1", "qualifier": "q"}]},
...     {"id": "e2", "type": "end", "time": "2026-03-08T06:01:30Z",
...      "relationships": [{"objectId": "u1", "qualifier": "q"}]}],
...   "objects": [{"id": "u1", "type": "unit"}]}''', "ocel-json")
>>> graph = ocel.directly_follows(log)
>>> graph.edges.select("object_type", "source", "target", "frequency", "mean_s").rows()
[('unit', 'start', 'end', 1, 90.0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from andon.ocel._model import OcelLog

__all__ = ["FlowGraph", "directly_follows"]


@dataclass(frozen=True, kw_only=True)
class FlowGraph:
    """The object-centric directly-follows graph of a log.

    ``edges``: ``object_type``, ``source``, ``target``, ``frequency``, ``event_pairs``,
    ``objects``, ``mean_s``, ``median_s``, ``p90_s``. ``activities``: ``object_type``,
    ``activity``, ``events``, ``objects``. ``starts`` and ``ends``: ``object_type``,
    ``activity``, ``objects`` (the objects whose first or last event it is).
    """

    edges: pl.DataFrame
    activities: pl.DataFrame
    starts: pl.DataFrame
    ends: pl.DataFrame


def _steps(log: OcelLog, object_types: Sequence[str] | None) -> pl.LazyFrame:
    events = (
        log.events.lazy()
        .with_row_index("_order")
        .select(pl.col("id").alias("event_id"), pl.col("type").alias("activity"), "time", "_order")
    )
    objects = log.objects.lazy().select(
        pl.col("id").alias("object_id"), pl.col("type").alias("object_type")
    )
    if object_types is not None:
        objects = objects.filter(pl.col("object_type").is_in(list(object_types)))
    return (
        log.e2o.lazy()
        .select("event_id", "object_id")
        .unique()
        .join(objects, on="object_id")
        .join(events, on="event_id")
        .sort("object_id", "time", "_order")
    )


def directly_follows(log: OcelLog, *, object_types: Sequence[str] | None = None) -> FlowGraph:
    """Return the directly-follows graph of ``log`` per object type (all types, or those
    named), edges and activities sorted by type, then by name."""
    steps = _steps(log, object_types)
    same = pl.col("object_id") == pl.col("object_id").shift(1)
    pairs = (
        steps.with_columns(
            pl.col("activity").shift(1).alias("source"),
            pl.col("_order").shift(1).alias("source_event"),
            ((pl.col("time") - pl.col("time").shift(1)).dt.total_microseconds() / 1e6).alias(
                "seconds"
            ),
            same.fill_null(value=False).alias("_same"),
        )
        .filter(pl.col("_same"))
        .rename({"activity": "target"})
    )
    edges = (
        pairs.group_by("object_type", "source", "target")
        .agg(
            pl.len().alias("frequency"),
            pl.struct("source_event", "_order").n_unique().alias("event_pairs"),
            pl.col("object_id").n_unique().alias("objects"),
            pl.col("seconds").mean().alias("mean_s"),
            pl.col("seconds").median().alias("median_s"),
            pl.col("seconds").quantile(0.9, interpolation="linear").alias("p90_s"),
        )
        .with_columns(pl.col("frequency", "event_pairs", "objects").cast(pl.Int64))
        .sort("object_type", "source", "target")
    )
    activities = (
        steps.group_by("object_type", "activity")
        .agg(
            pl.col("_order").n_unique().alias("events"),
            pl.col("object_id").n_unique().alias("objects"),
        )
        .with_columns(pl.col("events", "objects").cast(pl.Int64))
        .sort("object_type", "activity")
    )
    first = steps.filter(pl.col("object_id").is_first_distinct())
    last = steps.filter(pl.col("object_id").is_last_distinct())
    ends = [
        frame.group_by("object_type", "activity")
        .agg(pl.len().cast(pl.Int64).alias("objects"))
        .sort("object_type", "activity")
        for frame in (first, last)
    ]
    edges_df, activities_df, starts_df, ends_df = pl.collect_all([edges, activities, *ends])
    return FlowGraph(edges=edges_df, activities=activities_df, starts=starts_df, ends=ends_df)
