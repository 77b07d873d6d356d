"""SQL of the quality queries (:mod:`andon.store.quality_queries`), for DuckDB and PostgreSQL.

The quality app reads each unit's whole story: its process signature at every station, its
inspections and its genealogy, for the units seen in a range of time. The units are chosen
once (``picked``: every serial with a unit record in ``[start, end)``) and each statement
joins its kind to that set, so that a unit whose first station lies before ``start`` still
brings all its rows, and nothing after ``end`` leaks in. With ``serials`` the set is those
serials instead (one unit's story, whenever it was made). Rows leave the store in a total
order of their natural key, so that the same facts give the same table whatever order they
were written in.

Placeholders are ``?`` in both dialects (the PostgreSQL store translates them for psycopg).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from andon.store._kpi_sql import _Params, _table, _ts, _us

__all__ = [
    "genealogy_sql",
    "inspections_sql",
    "latest_unit_sql",
    "maintenance_closes_sql",
    "setups_sql",
    "unit_signatures_sql",
]


def _picked(  # noqa: PLR0917  (the three ways of choosing units, side by side)
    dialect: str,
    p: _Params,
    start: int,
    end: int,
    serials: Sequence[str] | None,
    lots: Sequence[str] | None,
) -> str:
    """The CTE ``picked``: the distinct serials with a unit record in ``[start, end)``, or
    the ``serials`` given, or the serials of the ``lots`` given (their records before
    ``end``)."""
    if serials is not None:
        return f"picked AS ({_table(dialect, p, [('serial', 'text', sorted(set(serials)))])})"
    if lots is not None:
        wanted = _table(dialect, p, [("lot", "text", sorted(set(lots)))])
        return f"""picked AS (
    SELECT DISTINCT serial FROM rec_unit
    WHERE lot IN (SELECT lot FROM ({wanted}) w) AND ts < {_ts(dialect, p(end))}
)"""
    return f"""picked AS (
    SELECT DISTINCT serial FROM rec_unit
    WHERE ts >= {_ts(dialect, p(start))} AND ts < {_ts(dialect, p(end))}
)"""


def unit_signatures_sql(
    dialect: str,
    *,
    start: int,
    end: int,
    serials: Sequence[str] | None = None,
    lots: Sequence[str] | None = None,
) -> tuple[str, list[Any]]:
    """Every unit record before ``end`` of the serials seen in ``[start, end)``.

    Columns: ``ts_us``, ``serial``, ``path``, ``product``, ``lot``, ``parameter``, ``value``.
    """
    p = _Params()
    picked = _picked(dialect, p, start, end, serials, lots)
    sql = f"""WITH {picked}
SELECT {_us(dialect, "u.ts")} AS ts_us, u.serial, u.path, u.product, u.lot, u.parameter,
    u.value
FROM rec_unit u JOIN picked k ON k.serial = u.serial
WHERE u.ts < {_ts(dialect, p(end))}
ORDER BY u.serial, u.path, u.parameter, u.ts, u.value"""
    return sql, p.values


def inspections_sql(
    dialect: str,
    *,
    start: int,
    end: int,
    serials: Sequence[str] | None = None,
    lots: Sequence[str] | None = None,
) -> tuple[str, list[Any]]:
    """Every inspection before ``end`` of the serials seen in ``[start, end)``.

    Columns: ``ts_us``, ``serial``, ``path``, ``test``, ``passed``, ``value``,
    ``defect_code``.
    """
    p = _Params()
    picked = _picked(dialect, p, start, end, serials, lots)
    sql = f"""WITH {picked}
SELECT {_us(dialect, "i.ts")} AS ts_us, i.serial, i.path, i.test, i.passed, i.value,
    i.defect_code
FROM rec_inspection i JOIN picked k ON k.serial = i.serial
WHERE i.ts < {_ts(dialect, p(end))}
ORDER BY i.serial, i.ts, i.path, i.test, i.passed, i.value"""
    return sql, p.values


def genealogy_sql(
    dialect: str,
    *,
    start: int,
    end: int,
    serials: Sequence[str] | None = None,
    lots: Sequence[str] | None = None,
) -> tuple[str, list[Any]]:
    """Every genealogy link before ``end`` whose child is a serial seen in ``[start, end)``.

    Columns: ``ts_us``, ``parent``, ``child``, ``relation``.
    """
    p = _Params()
    picked = _picked(dialect, p, start, end, serials, lots)
    sql = f"""WITH {picked}
SELECT {_us(dialect, "g.ts")} AS ts_us, g.parent, g.child, g.relation
FROM rec_genealogy g JOIN picked k ON k.serial = g.child
WHERE g.ts < {_ts(dialect, p(end))}
ORDER BY g.child, g.ts, g.parent, g.relation"""
    return sql, p.values


def maintenance_closes_sql(dialect: str, *, end: int) -> tuple[str, list[Any]]:
    """Every closed work order before ``end``: columns ``ts_us``, ``path``, ``kind``."""
    p = _Params()
    sql = f"""SELECT DISTINCT {_us(dialect, "ts")} AS ts_us, path, kind
FROM rec_maintenance
WHERE event = 'closed' AND ts < {_ts(dialect, p(end))}
ORDER BY path, ts_us, kind"""
    return sql, p.values


def setups_sql(dialect: str, *, start: int, end: int) -> tuple[str, list[Any]]:
    """Every start of a changeover (a ``setup`` state record) in ``[start, end)``.

    Columns: ``ts_us``, ``path``.
    """
    p = _Params()
    sql = f"""SELECT DISTINCT {_us(dialect, "ts")} AS ts_us, path
FROM rec_state
WHERE state = 'setup' AND ts >= {_ts(dialect, p(start))} AND ts < {_ts(dialect, p(end))}
ORDER BY path, ts_us"""
    return sql, p.values


def latest_unit_sql(dialect: str, *, end: int) -> tuple[str, list[Any]]:
    """The newest unit record before ``end``: one row, column ``ts_us`` (null: none)."""
    p = _Params()
    sql = f"""SELECT {_us(dialect, "max(ts)")} AS ts_us
FROM rec_unit WHERE ts < {_ts(dialect, p(end))}"""
    return sql, p.values
