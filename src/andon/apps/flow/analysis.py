"""Object-centric analysis on columns: where objects wait, and the paths they take.

Three views of an OCEL 2.0 log, each one lazy Polars query (no Python object per event),
beside the directly-follows graph of :func:`andon.ocel.directly_follows` (frequencies and
durations mean, median and 90th percentile per edge and object type):

- :func:`waiting`: per object type and activity, the time each object waited before the
  activity since its own previous event (the sojourn between two steps of one object; for
  a unit, the time from one station to the next, queue and process included), summarised
  as count, mean, median, 90th percentile and total hours; and the synchronisation time of
  the activity's events that join several objects of the type: from the first of them being
  ready (its previous event) to the last;
- :func:`activity_times`: per object type and activity, three times of each of its events
  (Park, Adams and van der Aalst, "Enhancing process mining with object-centric
  performance analysis", 2022, with atomic events): the ``sojourn``, from the first of the
  event's objects of the type being ready (its previous event) to the event; the
  ``waiting``, from the last being ready; the ``sync``, from the first to the last;
- :func:`variants`: per object type, each distinct sequence of activities an object went
  through, with the number and share of objects that took it and their median throughput
  time (first event to last).

Steps are ordered as in the graph: by time, ties in the log's order, one step per
event and object whatever the number of qualifiers.

>>> from andon import ocel
>>> log = ocel.loads(b'''{"eventTypes": [{"name": "a", "attributes": []},
...     {"name": "b", "attributes": []}],
...   "objectTypes": [{"name": "unit", "attributes": []}],
...   "events": [
...     {"id": "e1", "type": "a", "time": "2026-03-08T06:00:00Z",
...      "relationships": [{"objectId": "u1", "qualifier": "q"}]},
...     {"id": "e2", "type": "b", "time": "2026-03-08T07:00:00Z",
...      "relationships": [{"objectId": "u1", "qualifier": "q"}]}],
...   "objects": [{"id": "u1", "type": "unit"}]}''', "ocel-json")
>>> waiting(log).select("activity", "count", "median_s").rows()
[('b', 1, 3600.0)]
>>> variants(log).select("variant", "objects").rows()
[('a > b', 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from andon.ocel import OcelLog

__all__ = ["VARIANT_SEPARATOR", "activity_times", "steps", "variants", "waiting"]

VARIANT_SEPARATOR: Final = " > "


def steps(log: OcelLog, object_types: Sequence[str] | None = None) -> pl.LazyFrame:
    """Every step of every object, ordered: ``object_type``, ``object_id``, ``event_id``,
    ``activity``, ``time``, ``previous`` (the object's previous event time, null at its
    first), ``wait_s`` (seconds since it)."""
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
    ordered = (
        log.e2o.lazy()
        .select("event_id", "object_id")
        .unique()
        .join(objects, on="object_id")
        .join(events, on="event_id")
        .sort("object_id", "time", "_order")
    )
    previous = pl.col("time").shift(1).over("object_id")
    return ordered.with_columns(previous.alias("previous")).with_columns(
        ((pl.col("time") - pl.col("previous")).dt.total_microseconds() / 1e6).alias("wait_s")
    )


def _summary(column: str) -> list[pl.Expr]:
    value = pl.col(column)
    return [
        value.mean().alias("mean_s"),
        value.median().alias("median_s"),
        value.quantile(0.9, interpolation="linear").alias("p90_s"),
        (value.sum() / 3600.0).alias("hours"),
    ]


def waiting(log: OcelLog, *, object_types: Sequence[str] | None = None) -> pl.DataFrame:
    """Return the waiting before each activity per object type, most hours first.

    Columns ``object_type``, ``activity``, ``count`` (steps with a previous event),
    ``mean_s``, ``median_s``, ``p90_s``, ``hours`` (total), ``sync_events`` (events joining
    two or more objects of the type) and ``sync_median_s`` (their median spread of
    readiness, null where none).
    """
    all_steps = steps(log, object_types).filter(pl.col("previous").is_not_null())
    waits = all_steps.group_by("object_type", "activity").agg(
        pl.len().cast(pl.Int64).alias("count"), *_summary("wait_s")
    )
    sync = (
        all_steps.group_by("object_type", "activity", "event_id")
        .agg(
            pl.len().alias("_n"),
            (
                (pl.col("previous").max() - pl.col("previous").min()).dt.total_microseconds() / 1e6
            ).alias("_spread"),
        )
        .filter(pl.col("_n") >= 2)
        .group_by("object_type", "activity")
        .agg(
            pl.len().cast(pl.Int64).alias("sync_events"),
            pl.col("_spread").median().alias("sync_median_s"),
        )
    )
    return (
        waits.join(sync, on=["object_type", "activity"], how="left")
        .with_columns(pl.col("sync_events").fill_null(0))
        .sort(["hours", "object_type", "activity"], descending=[True, False, False])
        .collect()
    )


def _stats(column: str, prefix: str) -> list[pl.Expr]:
    value = pl.col(column)
    return [
        value.mean().alias(f"{prefix}mean_s"),
        value.median().alias(f"{prefix}median_s"),
        value.quantile(0.9, interpolation="linear").alias(f"{prefix}p90_s"),
    ]


def _seconds(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (later - earlier).dt.total_microseconds() / 1e6


def activity_times(log: OcelLog, *, object_types: Sequence[str] | None = None) -> pl.DataFrame:
    """Return the sojourn, waiting and synchronisation times per object type and activity.

    Columns ``object_type``, ``activity``, ``events`` (those with an object of the type that
    had a previous event), then ``mean_s``, ``median_s`` and ``p90_s`` of each time,
    prefixed ``sojourn_``, ``waiting_`` and ``sync_``; sorted by type and activity.
    """
    per_event = (
        steps(log, object_types)
        .filter(pl.col("previous").is_not_null())
        .group_by("object_type", "activity", "event_id")
        .agg(
            _seconds(pl.col("time").max(), pl.col("previous").min()).alias("_sojourn"),
            _seconds(pl.col("time").max(), pl.col("previous").max()).alias("_waiting"),
            _seconds(pl.col("previous").max(), pl.col("previous").min()).alias("_sync"),
        )
    )
    return (
        per_event.group_by("object_type", "activity")
        .agg(
            pl.len().cast(pl.Int64).alias("events"),
            *_stats("_sojourn", "sojourn_"),
            *_stats("_waiting", "waiting_"),
            *_stats("_sync", "sync_"),
        )
        .sort("object_type", "activity")
        .collect()
    )


def variants(log: OcelLog, *, object_types: Sequence[str] | None = None) -> pl.DataFrame:
    """Return the variants per object type, the most frequent first.

    Columns ``object_type``, ``variant`` (the activities joined by ``" > "``), ``length``,
    ``objects``, ``share`` (of the type's objects), ``median_throughput_s``.
    """
    per_object = (
        steps(log, object_types)
        .group_by("object_type", "object_id")
        .agg(
            pl.col("activity").str.join(VARIANT_SEPARATOR).alias("variant"),
            pl.len().cast(pl.Int64).alias("length"),
            ((pl.col("time").max() - pl.col("time").min()).dt.total_microseconds() / 1e6).alias(
                "throughput_s"
            ),
        )
    )
    return (
        per_object.group_by("object_type", "variant")
        .agg(
            pl.col("length").first(),
            pl.len().cast(pl.Int64).alias("objects"),
            pl.col("throughput_s").median().alias("median_throughput_s"),
        )
        .with_columns(
            (pl.col("objects") / pl.col("objects").sum().over("object_type")).alias("share")
        )
        .select("object_type", "variant", "length", "objects", "share", "median_throughput_s")
        .sort(["object_type", "objects", "variant"], descending=[False, True, False])
        .collect()
    )
