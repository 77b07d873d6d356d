"""Small typed questions any store answers: whether it answers at all, its newest time.

Functions over the :class:`~andon.store.Store` protocol, so that both implementations
answer them with the same statement.

>>> from andon.store import open_store
>>> from andon.records import RecordKind
>>> store = open_store("duckdb://:memory:")
>>> ping(store)
>>> latest_time(store, RecordKind.STATE) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from andon.records import RecordKind, schema_of, to_micros
from andon.store._condition_sql import stopped_steps_sql, tag_step_sums_sql
from andon.store._kpi_sql import _div, _ts, _us
from andon.store._sql import table_name
from andon.store.base import Store

__all__ = [
    "inspections_of_units",
    "latest_time",
    "ping",
    "sample_buckets",
    "stopped_steps",
    "tag_step_sums",
]


def ping(store: Store) -> None:
    """Return when the store answers a trivial query; raise :class:`~andon.errors.StoreError`
    otherwise (the health check's question)."""
    store.execute("SELECT 1 AS ok")


def latest_time(store: Store, kind: RecordKind) -> int | None:
    """Return the newest ``ts`` of a record kind (UTC microseconds), ``None`` when none."""
    table = store.execute(f"SELECT max(ts) AS ts FROM {table_name(kind)}")
    value = table.column("ts")[0].as_py() if table.num_rows else None
    return None if value is None else to_micros(value)


def tag_step_sums(
    store: Store,
    *,
    tags: Sequence[str],
    tag_equipment: Sequence[int],
    equipment: Sequence[str],
    start: int,
    end: int,
    step_us: int,
    counted_state: str | None = None,
) -> pa.Table:
    """Return per tag and time step the count and sum of its good samples in ``[start, end)``.

    Summed in the store's engine (one row per tag and step leaves it). ``tags`` are tag
    paths, ``tag_equipment`` the position in ``equipment`` (equipment paths) of each tag's
    equipment. With ``counted_state``, only samples taken while the equipment was in that
    state count towards ``n`` and ``total`` (and those before its first state record in
    the range); ``last_us`` is the newest good sample of the step whatever the state.
    Columns: ``tag`` (position in ``tags``), ``step`` (``ts // step_us``), ``n``,
    ``total``, ``last_us``; steps without a good sample are absent.

    >>> from andon.store import open_store
    >>> store = open_store("duckdb://:memory:")
    >>> tag_step_sums(store, tags=["a/m/t"], tag_equipment=[0], equipment=["a/m"],
    ...               start=0, end=3_600_000_000, step_us=3_600_000_000).num_rows
    0
    """
    sql, params = tag_step_sums_sql(
        store.dialect,
        tags=tags,
        tag_equipment=tag_equipment,
        equipment=equipment,
        start=start,
        end=end,
        step_us=step_us,
        counted_state=counted_state,
    )
    return store.execute(sql, params)


def stopped_steps(
    store: Store,
    *,
    equipment: Sequence[str],
    start: int,
    end: int,
    step_us: int,
    counted_state: str,
) -> pa.Table:
    """Return the (``equipment``, ``step``) pairs whose step starts outside ``counted_state``.

    ``equipment`` is the position in the given equipment paths and ``step`` is
    ``ts // step_us``; the state at an instant is the newest state record at or before it
    in ``[start, end)``, and a step before the first such record is not listed.
    """
    sql, params = stopped_steps_sql(
        store.dialect,
        equipment=equipment,
        start=start,
        end=end,
        step_us=step_us,
        counted_state=counted_state,
    )
    return store.execute(sql, params)


def inspections_of_units(store: Store, *, path_prefix: str, start: int, end: int) -> pa.Table:
    """Return every inspection before ``end`` of the units inspected below a path prefix in
    ``[start, end)`` (UTC microseconds), ordered by ts: the records first-pass yield needs.

    A unit counts where it was first inspected, which may be before the range; reading its
    earlier inspections only, not every inspection in the store, keeps a day's figures the
    cost of that day however long the history.
    """
    prefix = path_prefix.rstrip("/")
    table = table_name(RecordKind.INSPECTION)
    under = "(path = ? OR starts_with(path, ?))"
    dialect = store.dialect
    sql = (
        f"SELECT * FROM {table} WHERE {under} AND ts < {_ts(dialect, '?')} AND serial IN "
        f"(SELECT serial FROM {table} WHERE {under} AND ts >= {_ts(dialect, '?')} "
        f"AND ts < {_ts(dialect, '?')}) ORDER BY ts, seq"
    )
    params = [prefix, prefix + "/", int(end), prefix, prefix + "/", int(start), int(end)]
    return store.execute(sql, params).cast(schema_of(RecordKind.INSPECTION))


SAMPLE_BUCKET_SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("bucket", pa.int64()),
        ("rows", pa.int64()),
        ("n", pa.int64()),
        ("mean", pa.float64()),
        ("low", pa.float64()),
        ("high", pa.float64()),
        ("last_us", pa.int64()),
        ("last_value", pa.float64()),
    ]
)
"""Per tag and bucket: rows of any kind, ``n`` finite values, their mean, min and max, and
the newest finite value with its time (UTC microseconds)."""


def sample_buckets(
    store: Store, *, path_prefix: str, start: int, end: int, bucket_us: int
) -> pa.Table:
    """Return the samples below a prefix in ``[start, end)`` folded per tag into buckets of
    ``bucket_us`` from ``start``, in :data:`SAMPLE_BUCKET_SCHEMA`, ordered by path, bucket.

    A chart of a long window draws a min-max band with its mean line: folding in the
    engine sends a few hundred rows per tag instead of every sample of a year.
    """
    prefix = path_prefix.rstrip("/")
    dialect = store.dialect
    us = _us(dialect, "ts")
    finite = "value <> 'NaN'::float8" if dialect == "postgres" else "NOT isnan(value)"
    last = (
        "(array_agg(value ORDER BY ts DESC) FILTER (WHERE good))[1]"
        if dialect == "postgres"
        else "arg_max(value, ts) FILTER (WHERE good)"
    )
    step = max(int(bucket_us), 1)
    sql = f"""
SELECT path, bucket, count(*) AS rows, count(value) FILTER (WHERE good) AS n,
       avg(value) FILTER (WHERE good) AS mean, min(value) FILTER (WHERE good) AS low,
       max(value) FILTER (WHERE good) AS high, max(us) FILTER (WHERE good) AS last_us,
       {last} AS last_value
FROM (
  SELECT path, ts, value, {us} AS us, {_div(dialect, f"{us} - {int(start)}", step)} AS bucket,
         value IS NOT NULL AND {finite} AS good
  FROM rec_sample
  WHERE (path = ? OR starts_with(path, ?)) AND ts >= {_ts(dialect, "?")}
    AND ts < {_ts(dialect, "?")}
) s
GROUP BY path, bucket ORDER BY path, bucket
"""
    params = [prefix, prefix + "/", int(start), int(end)]
    return store.execute(sql, params).cast(SAMPLE_BUCKET_SCHEMA)
