"""SQL of the flow queries (:mod:`andon.store.flow_queries`), for DuckDB and PostgreSQL.

The flow app reads what happened to orders, units, lots, work orders and equipment in a
range of time ``[start, end)``, one statement per record kind. Each statement keeps one row
per distinct fact (a record delivered by two sources is one fact) and returns its rows in a
total order of their columns, so that the same facts give the same table whatever order
they were written in. A unit's parameter rows at one station and instant are one visit.

Placeholders are ``?`` in both dialects (the PostgreSQL store translates them for psycopg).
"""

from __future__ import annotations

from typing import Any

from andon.store._kpi_sql import _Params, _ts, _us

__all__ = [
    "OCEL_E2O",
    "OCEL_EVENTS",
    "OCEL_OBJECTS",
    "flow_genealogy_sql",
    "flow_inspections_sql",
    "flow_maintenance_sql",
    "flow_newest_sql",
    "flow_orders_sql",
    "flow_states_sql",
    "flow_unit_visits_sql",
    "ocel_activities_sql",
    "ocel_activity_times_sql",
    "ocel_drop_sql",
    "ocel_edges_sql",
    "ocel_variants_sql",
    "ocel_waiting_sql",
]


def _range(dialect: str, p: _Params, start: int, end: int, column: str = "ts") -> str:
    return f"{column} >= {_ts(dialect, p(start))} AND {column} < {_ts(dialect, p(end))}"


def flow_orders_sql(dialect: str, *, start: int, end: int) -> tuple[str, list[Any]]:
    """Order life-cycle records in ``[start, end)``.

    Columns: ``ts_us``, ``order_id``, ``product``, ``quantity``, ``event``, ``path``.
    """
    p = _Params()
    sql = f"""SELECT DISTINCT {_us(dialect, "ts")} AS ts_us, order_id, product, quantity, event,
    path
FROM rec_order
WHERE {_range(dialect, p, start, end)}
ORDER BY order_id, ts_us, event, product, quantity, path"""
    return sql, p.values


def flow_unit_visits_sql(dialect: str, *, start: int, end: int) -> tuple[str, list[Any]]:
    """One row per unit visit to a station in ``[start, end)``: the unit records of one
    serial at one station and instant.

    Columns: ``ts_us``, ``serial``, ``path``, ``product``, ``lot``.
    """
    p = _Params()
    sql = f"""SELECT DISTINCT {_us(dialect, "ts")} AS ts_us, serial, path, product, lot
FROM rec_unit
WHERE {_range(dialect, p, start, end)}
ORDER BY serial, ts_us, path, product, lot"""
    return sql, p.values


def flow_inspections_sql(dialect: str, *, start: int, end: int) -> tuple[str, list[Any]]:
    """Inspection records in ``[start, end)``.

    Columns: ``ts_us``, ``serial``, ``path``, ``test``, ``passed``, ``value``, ``defect_code``.
    """
    p = _Params()
    sql = f"""SELECT DISTINCT {_us(dialect, "ts")} AS ts_us, serial, path, test, passed, value,
    defect_code
FROM rec_inspection
WHERE {_range(dialect, p, start, end)}
ORDER BY serial, ts_us, path, test, passed, value, defect_code"""
    return sql, p.values


def flow_genealogy_sql(dialect: str, *, start: int, end: int) -> tuple[str, list[Any]]:
    """Genealogy links in ``[start, end)``: columns ``ts_us``, ``parent``, ``child``,
    ``relation``."""
    p = _Params()
    sql = f"""SELECT DISTINCT {_us(dialect, "ts")} AS ts_us, parent, child, relation
FROM rec_genealogy
WHERE {_range(dialect, p, start, end)}
ORDER BY child, ts_us, parent, relation"""
    return sql, p.values


def flow_maintenance_sql(dialect: str, *, start: int, end: int) -> tuple[str, list[Any]]:
    """Work order records in ``[start, end)``.

    Columns: ``ts_us``, ``work_order``, ``path``, ``kind``, ``event``, ``failure_mode``.
    """
    p = _Params()
    sql = f"""SELECT DISTINCT {_us(dialect, "ts")} AS ts_us, work_order, path, kind, event,
    failure_mode
FROM rec_maintenance
WHERE {_range(dialect, p, start, end)}
ORDER BY work_order, ts_us, event, path, kind, failure_mode"""
    return sql, p.values


def flow_states_sql(dialect: str, *, start: int, end: int) -> tuple[str, list[Any]]:
    """State records in ``[start, end)`` with the state each equipment was in at ``start``
    (its last record before ``start``, placed at ``start``).

    Columns: ``ts_us``, ``path``, ``state``, ``reason``.
    """
    p = _Params()
    before = _ts(dialect, p(start))
    sql = f"""WITH opening AS (
    SELECT path, state, reason, row_number() OVER (
        PARTITION BY path ORDER BY ts DESC, seq DESC, source DESC) AS k
    FROM rec_state WHERE ts < {before}
)
SELECT DISTINCT ts_us, path, state, reason FROM (
    SELECT {p(start)}::BIGINT AS ts_us, path, state, reason FROM opening WHERE k = 1
    UNION ALL
    SELECT {_us(dialect, "ts")} AS ts_us, path, state, reason FROM rec_state
    WHERE {_range(dialect, p, start, end)}
) AS s
ORDER BY path, ts_us, state, reason"""
    return sql, p.values


# -- object-centric analysis of an OCEL 2.0 log kept in the store ---------------------------
#
# A log is kept in three auxiliary tables, each row tagged with the log's name: its events
# (id, activity, time in microseconds, position in the log), its objects (id, type) and its
# event-object relations, one row per event and object whatever the number of qualifiers.
# Every statement below starts from the same ordered steps: each object's events by time,
# ties in the log's order, with the object's previous event beside each (one window).

OCEL_EVENTS = "ocel_events"
OCEL_OBJECTS = "ocel_objects"
OCEL_E2O = "ocel_e2o"


def _steps(p: _Params, log: str, object_types: list[str] | None) -> str:
    where = f"r.log = {p(log)}"
    if object_types is not None:
        if not object_types:
            where += " AND FALSE"
        else:
            names = ", ".join(p(t) for t in object_types)
            where += f" AND o.type IN ({names})"
    return f"""steps AS (
    SELECT r.object_id, o.type AS object_type, e.ord, e.type AS activity, e.time_us
    FROM aux_{OCEL_E2O} r
    JOIN aux_{OCEL_OBJECTS} o ON o.log = r.log AND o.id = r.object_id
    JOIN aux_{OCEL_EVENTS} e ON e.log = r.log AND e.id = r.event_id
    WHERE {where}
),
seq AS (
    SELECT object_type, object_id, ord, activity, time_us,
        LAG(activity) OVER w AS source,
        LAG(ord) OVER w AS source_ord,
        LAG(time_us) OVER w AS previous_us,
        LEAD(ord) OVER w AS next_ord
    FROM steps
    WINDOW w AS (PARTITION BY object_id ORDER BY time_us, ord)
)"""


def _stats(column: str, prefix: str = "") -> str:
    return (
        f"avg({column}) AS {prefix}mean_s, "
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}) AS {prefix}median_s, "
        f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {column}) AS {prefix}p90_s"
    )


def _seconds(later: str, earlier: str) -> str:
    return f"CAST({later} - {earlier} AS DOUBLE PRECISION) / 1000000.0"


def ocel_edges_sql(log: str, object_types: list[str] | None = None) -> tuple[str, list[Any]]:
    """The directly-follows edges of a kept log per object type.

    Columns: ``object_type``, ``source``, ``target``, ``frequency`` (object-level
    occurrences), ``event_pairs`` (distinct pairs of events), ``objects``, ``mean_s``,
    ``median_s``, ``p90_s`` (durations, linear interpolation).
    """
    p = _Params()
    sql = f"""WITH {_steps(p, log, object_types)},
pairs AS (
    SELECT object_type, source, activity AS target, object_id,
        source_ord * 4294967296 + ord AS pair, {_seconds("time_us", "previous_us")} AS s
    FROM seq WHERE source_ord IS NOT NULL
)
SELECT object_type, source, target, count(*) AS frequency,
    count(DISTINCT pair) AS event_pairs, count(DISTINCT object_id) AS objects, {_stats("s")}
FROM pairs
GROUP BY object_type, source, target"""
    return sql, p.values


def ocel_activities_sql(log: str, object_types: list[str] | None = None) -> tuple[str, list[Any]]:
    """The activities of a kept log per object type, with how many objects start and end
    there.

    Columns: ``object_type``, ``activity``, ``events``, ``objects``, ``starts``, ``ends``.
    """
    p = _Params()
    sql = f"""WITH {_steps(p, log, object_types)}
SELECT object_type, activity, count(DISTINCT ord) AS events,
    count(DISTINCT object_id) AS objects,
    sum(CASE WHEN source_ord IS NULL THEN 1 ELSE 0 END) AS starts,
    sum(CASE WHEN next_ord IS NULL THEN 1 ELSE 0 END) AS ends
FROM seq
GROUP BY object_type, activity"""
    return sql, p.values


def ocel_waiting_sql(log: str, object_types: list[str] | None = None) -> tuple[str, list[Any]]:
    """Per object type and activity, each object's time since its own previous event.

    Columns: ``object_type``, ``activity``, ``count``, ``mean_s``, ``median_s``, ``p90_s``,
    ``hours``, ``sync_events`` (events joining two or more objects of the type),
    ``sync_median_s`` (their median spread of readiness).
    """
    p = _Params()
    sql = f"""WITH {_steps(p, log, object_types)},
waits AS (
    SELECT object_type, activity, ord, previous_us, {_seconds("time_us", "previous_us")} AS s
    FROM seq WHERE previous_us IS NOT NULL
),
per_activity AS (
    SELECT object_type, activity, count(*) AS count, {_stats("s")}, sum(s) / 3600.0 AS hours
    FROM waits GROUP BY object_type, activity
),
per_event AS (
    SELECT object_type, activity, ord, {_seconds("max(previous_us)", "min(previous_us)")} AS spread
    FROM waits GROUP BY object_type, activity, ord HAVING count(*) >= 2
),
sync AS (
    SELECT object_type, activity, count(*) AS sync_events,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY spread) AS sync_median_s
    FROM per_event GROUP BY object_type, activity
)
SELECT a.object_type, a.activity, a.count, a.mean_s, a.median_s, a.p90_s, a.hours,
    COALESCE(s.sync_events, 0) AS sync_events, s.sync_median_s
FROM per_activity a
LEFT JOIN sync s ON s.object_type = a.object_type AND s.activity = a.activity"""
    return sql, p.values


def ocel_activity_times_sql(
    log: str, object_types: list[str] | None = None
) -> tuple[str, list[Any]]:
    """Per object type and activity, the times of its events: from the first of the event's
    objects of the type being ready (its previous event) to the event (``sojourn``), from
    the last being ready (``waiting``), and from the first to the last (``sync``).

    Columns: ``object_type``, ``activity``, ``events`` and ``sojourn_``, ``waiting_``,
    ``sync_`` each with ``mean_s``, ``median_s``, ``p90_s``.
    """
    p = _Params()
    sql = f"""WITH {_steps(p, log, object_types)},
per_event AS (
    SELECT object_type, activity, ord,
        {_seconds("max(time_us)", "min(previous_us)")} AS sojourn,
        {_seconds("max(time_us)", "max(previous_us)")} AS waiting,
        {_seconds("max(previous_us)", "min(previous_us)")} AS sync
    FROM seq WHERE previous_us IS NOT NULL
    GROUP BY object_type, activity, ord
)
SELECT object_type, activity, count(*) AS events, {_stats("sojourn", "sojourn_")},
    {_stats("waiting", "waiting_")}, {_stats("sync", "sync_")}
FROM per_event
GROUP BY object_type, activity"""
    return sql, p.values


def ocel_variants_sql(
    log: str, separator: str, object_types: list[str] | None = None
) -> tuple[str, list[Any]]:
    """The variants of a kept log per object type: each distinct sequence of activities.

    Columns: ``object_type``, ``variant``, ``length``, ``objects``, ``share``,
    ``median_throughput_s``.
    """
    p = _Params()
    steps = _steps(p, log, object_types)
    sep = "'" + separator.replace("'", "''") + "'"
    sql = f"""WITH {steps},
per_object AS (
    SELECT object_type, object_id,
        string_agg(activity, {sep} ORDER BY time_us, ord) AS variant,
        count(*) AS length,
        {_seconds("max(time_us)", "min(time_us)")} AS throughput
    FROM seq GROUP BY object_type, object_id
),
per_variant AS (
    SELECT object_type, variant, min(length) AS length, count(*) AS objects,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY throughput) AS median_throughput_s
    FROM per_object GROUP BY object_type, variant
)
SELECT object_type, variant, length, objects,
    CAST(objects AS DOUBLE PRECISION) / sum(objects) OVER (PARTITION BY object_type) AS share,
    median_throughput_s
FROM per_variant"""
    return sql, p.values


def ocel_drop_sql(table: str, log: str) -> tuple[str, list[Any]]:
    """Remove a kept log's rows from one of its tables."""
    return f"DELETE FROM aux_{table} WHERE log = ?", [log]


def flow_newest_sql(dialect: str) -> tuple[str, list[Any]]:
    """The time of the newest order or unit record: column ``ts_us`` (null when none)."""
    sql = f"""SELECT max(ts_us) AS ts_us FROM (
    SELECT max({_us(dialect, "ts")}) AS ts_us FROM rec_order
    UNION ALL
    SELECT max({_us(dialect, "ts")}) AS ts_us FROM rec_unit
) AS newest"""
    return sql, []
