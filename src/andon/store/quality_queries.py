"""The quality app's questions of the store, the same statement on DuckDB and PostgreSQL.

Functions over the :class:`~andon.store.Store` protocol (:meth:`~andon.store.Store.execute`)
with statements built in :mod:`andon.store._quality_sql`. Each returns an Arrow table whose
times are UTC microseconds (``ts_us``), in a total order of the rows' natural key.

>>> from andon.store import open_store
>>> store = open_store("duckdb://:memory:")
>>> unit_signatures(store, start=0, end=1).num_rows
0
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from andon.store._quality_sql import (
    genealogy_sql,
    inspections_sql,
    latest_unit_sql,
    maintenance_closes_sql,
    setups_sql,
    unit_signatures_sql,
)
from andon.store.base import Store

__all__ = [
    "genealogy_links",
    "inspections",
    "latest_unit",
    "maintenance_closes",
    "setups",
    "unit_signatures",
]


def unit_signatures(
    store: Store,
    *,
    start: int,
    end: int,
    serials: Sequence[str] | None = None,
    lots: Sequence[str] | None = None,
) -> pa.Table:
    """Return every unit record before ``end`` of the serials seen in ``[start, end)``.

    Columns ``ts_us``, ``serial``, ``path``, ``product``, ``lot``, ``parameter``, ``value``:
    each unit's whole signature, its first stations before ``start`` included. With
    ``serials``, those units' records before ``end`` instead; with ``lots``, those of every
    unit of those lots (the same for the two below).
    """
    sql, params = unit_signatures_sql(
        store.dialect, start=start, end=end, serials=serials, lots=lots
    )
    return store.execute(sql, params)


def inspections(
    store: Store,
    *,
    start: int,
    end: int,
    serials: Sequence[str] | None = None,
    lots: Sequence[str] | None = None,
) -> pa.Table:
    """Return every inspection before ``end`` of the serials seen in ``[start, end)``.

    Columns ``ts_us``, ``serial``, ``path``, ``test``, ``passed``, ``value``, ``defect_code``.
    """
    sql, params = inspections_sql(store.dialect, start=start, end=end, serials=serials, lots=lots)
    return store.execute(sql, params)


def genealogy_links(
    store: Store,
    *,
    start: int,
    end: int,
    serials: Sequence[str] | None = None,
    lots: Sequence[str] | None = None,
) -> pa.Table:
    """Return the genealogy links before ``end`` whose child is a serial seen in
    ``[start, end)``: columns ``ts_us``, ``parent``, ``child``, ``relation``."""
    sql, params = genealogy_sql(store.dialect, start=start, end=end, serials=serials, lots=lots)
    return store.execute(sql, params)


def maintenance_closes(store: Store, *, end: int) -> pa.Table:
    """Return every work order closed before ``end``: columns ``ts_us``, ``path``, ``kind``."""
    sql, params = maintenance_closes_sql(store.dialect, end=end)
    return store.execute(sql, params)


def setups(store: Store, *, start: int, end: int) -> pa.Table:
    """Return every changeover start (``setup`` state record) in ``[start, end)``: columns
    ``ts_us`` and ``path`` (equipment)."""
    sql, params = setups_sql(store.dialect, start=start, end=end)
    return store.execute(sql, params)


def latest_unit(store: Store, *, end: int) -> int | None:
    """Return the time of the newest unit record before ``end`` (``None``: there is none)."""
    sql, params = latest_unit_sql(store.dialect, end=end)
    value = store.execute(sql, params).column("ts_us")[0].as_py()
    return None if value is None else int(value)
