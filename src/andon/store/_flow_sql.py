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
    "flow_genealogy_sql",
    "flow_inspections_sql",
    "flow_maintenance_sql",
    "flow_orders_sql",
    "flow_states_sql",
    "flow_unit_visits_sql",
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
