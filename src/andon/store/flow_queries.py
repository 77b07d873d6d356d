"""The flow app's questions of the store, the same statement on DuckDB and PostgreSQL.

Functions over the :class:`~andon.store.Store` protocol (:meth:`~andon.store.Store.execute`)
with statements built in :mod:`andon.store._flow_sql`. Each returns an Arrow table of the
distinct facts in ``[start, end)``, times as UTC microseconds (``ts_us``), in a total order.

>>> from andon.store import open_store
>>> store = open_store("duckdb://:memory:")
>>> orders(store, start=0, end=1).column_names
['ts_us', 'order_id', 'product', 'quantity', 'event', 'path']
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from andon.store._aux import AuxTable
from andon.store._flow_sql import (
    OCEL_E2O,
    OCEL_EVENTS,
    OCEL_OBJECTS,
    flow_genealogy_sql,
    flow_inspections_sql,
    flow_maintenance_sql,
    flow_newest_sql,
    flow_orders_sql,
    flow_states_sql,
    flow_unit_visits_sql,
    ocel_activities_sql,
    ocel_activity_times_sql,
    ocel_drop_sql,
    ocel_edges_sql,
    ocel_variants_sql,
    ocel_waiting_sql,
)
from andon.store.base import Store

__all__ = [
    "OCEL_TABLES",
    "genealogy",
    "inspections",
    "keep_log",
    "log_activities",
    "log_activity_times",
    "log_edges",
    "log_variants",
    "log_waiting",
    "newest",
    "orders",
    "states",
    "unit_visits",
    "work_orders",
]


def orders(store: Store, *, start: int, end: int) -> pa.Table:
    """Return the order records in ``[start, end)``: ``ts_us``, ``order_id``, ``product``,
    ``quantity``, ``event``, ``path``."""
    sql, params = flow_orders_sql(store.dialect, start=start, end=end)
    return store.execute(sql, params)


def unit_visits(store: Store, *, start: int, end: int) -> pa.Table:
    """Return one row per unit visit to a station in ``[start, end)``: ``ts_us``,
    ``serial``, ``path``, ``product``, ``lot``."""
    sql, params = flow_unit_visits_sql(store.dialect, start=start, end=end)
    return store.execute(sql, params)


def inspections(store: Store, *, start: int, end: int) -> pa.Table:
    """Return the inspections in ``[start, end)``: ``ts_us``, ``serial``, ``path``,
    ``test``, ``passed``, ``value``, ``defect_code``."""
    sql, params = flow_inspections_sql(store.dialect, start=start, end=end)
    return store.execute(sql, params)


def genealogy(store: Store, *, start: int, end: int) -> pa.Table:
    """Return the genealogy links in ``[start, end)``: ``ts_us``, ``parent``, ``child``,
    ``relation``."""
    sql, params = flow_genealogy_sql(store.dialect, start=start, end=end)
    return store.execute(sql, params)


def work_orders(store: Store, *, start: int, end: int) -> pa.Table:
    """Return the work order records in ``[start, end)``: ``ts_us``, ``work_order``,
    ``path``, ``kind``, ``event``, ``failure_mode``."""
    sql, params = flow_maintenance_sql(store.dialect, start=start, end=end)
    return store.execute(sql, params)


def states(store: Store, *, start: int, end: int) -> pa.Table:
    """Return the state records in ``[start, end)``, each equipment's state at ``start``
    first: ``ts_us``, ``path``, ``state``, ``reason``."""
    sql, params = flow_states_sql(store.dialect, start=start, end=end)
    return store.execute(sql, params)


OCEL_TABLES: dict[str, AuxTable] = {
    OCEL_EVENTS: AuxTable(
        name=OCEL_EVENTS,
        schema=pa.schema(
            [
                pa.field("log", pa.string(), nullable=False),
                pa.field("id", pa.string(), nullable=False),
                pa.field("type", pa.string(), nullable=False),
                pa.field("time_us", pa.int64(), nullable=False),
                pa.field("ord", pa.int64(), nullable=False),
            ]
        ),
        description="the events of an OCEL 2.0 log kept for analysis in the store",
    ),
    OCEL_OBJECTS: AuxTable(
        name=OCEL_OBJECTS,
        schema=pa.schema(
            [
                pa.field("log", pa.string(), nullable=False),
                pa.field("id", pa.string(), nullable=False),
                pa.field("type", pa.string(), nullable=False),
            ]
        ),
        description="the objects of an OCEL 2.0 log kept for analysis in the store",
    ),
    OCEL_E2O: AuxTable(
        name=OCEL_E2O,
        schema=pa.schema(
            [
                pa.field("log", pa.string(), nullable=False),
                pa.field("event_id", pa.string(), nullable=False),
                pa.field("object_id", pa.string(), nullable=False),
            ]
        ),
        description="the event-object relations of a kept OCEL 2.0 log, one per pair",
    ),
}
"""The auxiliary tables an OCEL 2.0 log is kept in for analysis, by name."""


def keep_log(store: Store, *, log: str, events: pa.Table, objects: pa.Table, e2o: pa.Table) -> None:
    """Keep an OCEL 2.0 log in the store under the name ``log``, replacing any log of that
    name: ``events`` (``id``, ``type``, ``time_us``, ``ord``: its position in the log),
    ``objects`` (``id``, ``type``), ``e2o`` (``event_id``, ``object_id``, one row per pair)."""
    for table in OCEL_TABLES.values():
        store.declare_table(table)
    with store.transaction():
        for name in OCEL_TABLES:
            sql, params = ocel_drop_sql(name, log)
            store.execute(sql, params)
    for name, table in ((OCEL_EVENTS, events), (OCEL_OBJECTS, objects), (OCEL_E2O, e2o)):
        schema = OCEL_TABLES[name].schema
        tagged = table.select([f.name for f in schema if f.name != "log"])
        tagged = tagged.add_column(0, "log", pa.array([log] * table.num_rows, pa.string()))
        store.write_table(name, tagged.cast(schema))


def _types(object_types: Sequence[str] | None) -> list[str] | None:
    return None if object_types is None else list(object_types)


def log_edges(store: Store, *, log: str, object_types: Sequence[str] | None = None) -> pa.Table:
    """Return the directly-follows edges of a kept log per object type: ``object_type``,
    ``source``, ``target``, ``frequency``, ``event_pairs``, ``objects``, ``mean_s``,
    ``median_s``, ``p90_s``."""
    sql, params = ocel_edges_sql(log, _types(object_types))
    return store.execute(sql, params)


def log_activities(
    store: Store, *, log: str, object_types: Sequence[str] | None = None
) -> pa.Table:
    """Return the activities of a kept log per object type: ``object_type``, ``activity``,
    ``events``, ``objects``, ``starts``, ``ends``."""
    sql, params = ocel_activities_sql(log, _types(object_types))
    return store.execute(sql, params)


def log_waiting(store: Store, *, log: str, object_types: Sequence[str] | None = None) -> pa.Table:
    """Return each object's time since its previous event per object type and activity:
    ``object_type``, ``activity``, ``count``, ``mean_s``, ``median_s``, ``p90_s``,
    ``hours``, ``sync_events``, ``sync_median_s``."""
    sql, params = ocel_waiting_sql(log, _types(object_types))
    return store.execute(sql, params)


def log_activity_times(
    store: Store, *, log: str, object_types: Sequence[str] | None = None
) -> pa.Table:
    """Return the sojourn, waiting and synchronisation times of each activity's events per
    object type: ``object_type``, ``activity``, ``events``, then ``mean_s``, ``median_s``
    and ``p90_s`` of each, prefixed ``sojourn_``, ``waiting_`` and ``sync_``."""
    sql, params = ocel_activity_times_sql(log, _types(object_types))
    return store.execute(sql, params)


def log_variants(
    store: Store, *, log: str, separator: str, object_types: Sequence[str] | None = None
) -> pa.Table:
    """Return the variants of a kept log per object type: ``object_type``, ``variant``
    (activities joined by ``separator``), ``length``, ``objects``, ``share``,
    ``median_throughput_s``."""
    sql, params = ocel_variants_sql(log, separator, _types(object_types))
    return store.execute(sql, params)


def newest(store: Store) -> int | None:
    """Return the time of the newest order or unit record (UTC microseconds), if any."""
    sql, params = flow_newest_sql(store.dialect)
    value = store.execute(sql, params).column("ts_us")[0].as_py()
    return None if value is None else int(value)
