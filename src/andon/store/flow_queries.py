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

import pyarrow as pa

from andon.store._flow_sql import (
    flow_genealogy_sql,
    flow_inspections_sql,
    flow_maintenance_sql,
    flow_orders_sql,
    flow_states_sql,
    flow_unit_visits_sql,
)
from andon.store.base import Store

__all__ = [
    "genealogy",
    "inspections",
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
