"""The energy app's queries of the store: hourly sums of meters, states, tariffs and counts.

Functions over the :class:`~andon.store.Store` protocol, so that DuckDB and PostgreSQL
answer them with the same statement (:mod:`andon.store._energy_sql`). Paths go in as
lists and come back as positions in them; hours are ``ts_us // 3600e6`` (UTC).

>>> from andon.store import open_store
>>> store = open_store("duckdb://:memory:")
>>> meter_hours(store, meters=["a/s/m"], start=0, end=3_600_000_000).num_rows
0
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from andon.store._energy_sql import (
    count_hours_sql,
    meter_flags_sql,
    meter_hours_sql,
    state_hours_sql,
    tariff_hours_sql,
)
from andon.store.base import Store

__all__ = ["count_hours", "meter_flags", "meter_hours", "state_hours", "tariff_hours"]


def meter_hours(store: Store, *, meters: Sequence[str], start: int, end: int) -> pa.Table:
    """Return per meter and hour the kWh of the readings in ``[start, end)`` that passed the
    data-quality checks: ``meter`` (position in ``meters``), ``hour``, ``kwh``, ``seconds``,
    ``readings``."""
    if not meters:
        return pa.table({"meter": pa.array([], pa.int64()), "hour": pa.array([], pa.int64())})
    sql, params = meter_hours_sql(store.dialect, meters=meters, start=start, end=end)
    return store.execute(sql, params)


def meter_flags(store: Store, *, meters: Sequence[str], start: int, end: int) -> pa.Table:
    """Return the readings in ``[start, end)`` that fail a data-quality check: ``meter``,
    ``ts_us``, ``flag`` (``counter_reset``, ``counter_rollover``, ``negative_interval``,
    ``gap``, ``overlap``), ``kwh``, ``interval_s``, ``prev_us``."""
    sql, params = meter_flags_sql(store.dialect, meters=meters, start=start, end=end)
    return store.execute(sql, params)


def state_hours(store: Store, *, equipment: Sequence[str], start: int, end: int) -> pa.Table:
    """Return per equipment, hour, state and reason the seconds spent in ``[start, end)``:
    ``equipment`` (position), ``hour``, ``state``, ``reason`` (``""`` for none),
    ``seconds``."""
    sql, params = state_hours_sql(store.dialect, equipment=equipment, start=start, end=end)
    return store.execute(sql, params)


def tariff_hours(store: Store, *, sites: Sequence[str], start: int, end: int) -> pa.Table:
    """Return each site's price and grid carbon per hour of ``[start, end)``: ``site``
    (position), ``hour``, ``price_per_kwh``, ``gco2e_per_kwh``, ``records``."""
    sql, params = tariff_hours_sql(store.dialect, sites=sites, start=start, end=end)
    return store.execute(sql, params)


def count_hours(store: Store, *, equipment: Sequence[str], start: int, end: int) -> pa.Table:
    """Return per equipment, product and hour the units counted in ``(start, end]``:
    ``equipment`` (position), ``product``, ``hour``, ``good``, ``scrap``."""
    sql, params = count_hours_sql(store.dialect, equipment=equipment, start=start, end=end)
    return store.execute(sql, params)
