"""SQL of the genealogy traces (:mod:`andon.store.genealogy_queries`), for DuckDB and PostgreSQL.

A trace walks the ``genealogy`` records (parent serial or lot, child serial or lot) a level
at a time (:func:`step_sql`): the frontier's serials and lots are looked up as children
(backward) or parents (forward) through the lookup indexes of migration 5. On DuckDB a
join never uses an index and ``= ANY`` of a list does only up to a few dozen keys
(:data:`LOOKUP_KEYS`), so a wide frontier is joined instead, one scan of the links.

:func:`links_sql` is the same walk as one recursive statement (``WITH RECURSIVE``, the same
text on both engines), kept as the reference the walk is measured and tested against: on
PostgreSQL it is about as fast, on DuckDB every step of its recursion scans (and hashes)
every link. It keeps only the nodes it reached, joined with ``UNION`` rather than
``UNION ALL``: a node reached a second time adds no row, so it ends even when bad data
makes the genealogy a cycle.

The other statements take a small set of serials or (station, time) visits as array
parameters and join them to the record tables; a set of serials is a semi-join
(``IN (SELECT ...)``), which DuckDB hashes on the small side, where a plain join may hash
the record table. Times leave the store as integer UTC
microseconds (``ts_us``); rows leave in a total order so that the same facts give the same
table. Placeholders are ``?`` in both dialects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from andon.store._kpi_sql import _Params, _table, _ts, _us

__all__ = [
    "LOOKUP_KEYS",
    "Direction",
    "condition_sql",
    "inspections_sql",
    "known_sql",
    "links_sql",
    "maintenance_sql",
    "orders_sql",
    "step_sql",
    "unit_rows_sql",
]

Direction = Literal["backward", "forward"]
"""``backward``: from a child to what went into it; ``forward``: to all a parent reached."""


LOOKUP_KEYS = {"duckdb": 50, "postgres": 100_000}
"""The most keys one ``= ANY`` lookup takes on each engine (DuckDB: its
``dynamic_or_filter_threshold``, past which the list becomes a scan)."""


def _c(dialect: str) -> str:
    """The collation of PostgreSQL's record indexes (byte order): an equality on an indexed
    column names it, or the index cannot serve it."""
    return ' COLLATE "C"' if dialect == "postgres" else ""


def _walk(direction: Direction) -> tuple[str, str]:
    """The column a step starts from and the column it reaches, for a direction."""
    return ("child", "parent") if direction == "backward" else ("parent", "child")


def links_sql(dialect: str, *, node: str, direction: Direction) -> tuple[str, list[Any]]:
    """Every genealogy link reachable from ``node`` in ``direction``, as one recursive statement.

    Columns ``ts_us`` (the first record of the link), ``parent``, ``child``, ``relation``,
    ordered by child, parent and relation. The recursion carries the records themselves, so
    no last join reads every link again; ``UNION`` adds a record once, so a cycle ends it.
    """
    p = _Params()
    start, reach = _walk(direction)
    collate = ' COLLATE "C"' if dialect == "postgres" else ""
    sql = f"""WITH RECURSIVE walk(ts, parent, child, relation) AS (
    SELECT g.ts, g.parent, g.child, g.relation FROM rec_genealogy g
    WHERE g.{start}{collate} = CAST({p(node)} AS TEXT)
    UNION
    SELECT g.ts, g.parent, g.child, g.relation
    FROM rec_genealogy g JOIN walk w ON g.{start}{collate} = w.{reach}
)
SELECT {_us(dialect, "min(ts)")} AS ts_us, parent, child, relation FROM walk
GROUP BY parent, child, relation
ORDER BY child, parent, relation"""
    return sql, p.values


def step_sql(
    dialect: str, *, nodes: Sequence[str], direction: Direction, wide: bool = False
) -> tuple[str, list[Any]]:
    """One level of a walk: every genealogy record whose child (backward) or parent
    (forward) is one of ``nodes``.

    ``wide``: join the nodes instead of looking each up (DuckDB, past :data:`LOOKUP_KEYS`).
    Columns ``ts_us``, ``parent``, ``child``, ``relation``.
    """
    p = _Params()
    start, _ = _walk(direction)
    select = f"SELECT {_us(dialect, 'g.ts')} AS ts_us, g.parent, g.child, g.relation"
    if wide:
        frontier = _table(dialect, p, [("node", "text", nodes)])
        # a semi-join hashes the frontier, never the links
        sql = f"{select} FROM rec_genealogy g WHERE g.{start} IN (SELECT node FROM ({frontier}) f)"
    elif dialect == "postgres":
        # the lookup indexes are in byte order (COLLATE "C"); equality must say so to use them
        keys = p(list(nodes))
        sql = f'{select} FROM rec_genealogy g WHERE g.{start} COLLATE "C" = ANY({keys}::text[])'
    else:
        keys = p(list(nodes))
        sql = f"{select} FROM rec_genealogy g WHERE g.{start} = ANY({keys}::VARCHAR[])"
    return sql, p.values


def known_sql(dialect: str, *, node: str) -> tuple[str, list[Any]]:
    """Whether ``node`` appears in the store: one row, columns ``as_parent``, ``as_child``,
    ``as_serial``, ``as_lot`` (booleans)."""
    p = _Params()
    c = _c(dialect)
    sql = f"""SELECT
    EXISTS (SELECT 1 FROM rec_genealogy WHERE parent{c} = {p(node)}) AS as_parent,
    EXISTS (SELECT 1 FROM rec_genealogy WHERE child{c} = {p(node)}) AS as_child,
    EXISTS (SELECT 1 FROM rec_unit WHERE serial{c} = {p(node)}) AS as_serial,
    EXISTS (SELECT 1 FROM rec_unit WHERE lot = {p(node)}) AS as_lot"""
    return sql, p.values


def _serials(dialect: str, p: _Params, serials: Sequence[str]) -> str:
    return _table(dialect, p, [("serial", "text", serials)])


def unit_rows_sql(dialect: str, *, serials: Sequence[str]) -> tuple[str, list[Any]]:
    """Every unit record of the serials (their process signature at every station).

    Columns ``ts_us``, ``serial``, ``path``, ``product``, ``lot``, ``parameter``, ``value``.
    """
    p = _Params()
    sql = f"""WITH picked AS ({_serials(dialect, p, serials)})
SELECT {_us(dialect, "u.ts")} AS ts_us, u.serial, u.path, u.product, u.lot, u.parameter, u.value
FROM rec_unit u WHERE u.serial{_c(dialect)} IN (SELECT serial FROM picked)
ORDER BY u.serial, u.ts, u.path, u.parameter, u.value"""
    return sql, p.values


def inspections_sql(dialect: str, *, serials: Sequence[str]) -> tuple[str, list[Any]]:
    """Every inspection of the serials.

    Columns ``ts_us``, ``serial``, ``path``, ``test``, ``passed``, ``value``, ``defect_code``.
    """
    p = _Params()
    sql = f"""WITH picked AS ({_serials(dialect, p, serials)})
SELECT {_us(dialect, "i.ts")} AS ts_us, i.serial, i.path, i.test, i.passed, i.value,
    i.defect_code
FROM rec_inspection i WHERE i.serial{_c(dialect)} IN (SELECT serial FROM picked)
ORDER BY i.serial, i.ts, i.path, i.test, i.passed, i.value"""
    return sql, p.values


def _visits(dialect: str, p: _Params, paths: Sequence[str], at_us: Sequence[int]) -> str:
    return _table(dialect, p, [("path", "text", paths), ("at_us", "int", at_us)])


def _below(dialect: str, column: str, prefix: str) -> str:
    """``column`` is a path strictly below ``prefix``: one index range on PostgreSQL."""
    collate = ' COLLATE "C"' if dialect == "postgres" else ""
    return f"{column}{collate} > {prefix} || '/' AND {column}{collate} < {prefix} || '0'"


def maintenance_sql(
    dialect: str, *, paths: Sequence[str], at_us: Sequence[int]
) -> tuple[str, list[Any]]:
    """The last work-order event of each station at or before each visit time.

    Columns ``path``, ``at_us``, ``ts_us``, ``work_order``, ``kind``, ``event``,
    ``failure_mode``, and ``last_closed_us``: the newest close of any work order of that
    station at or before the visit (null: none).
    """
    p = _Params()
    visits = _visits(dialect, p, paths, at_us)
    sql = f"""WITH visit AS ({visits}), hit AS (
    SELECT v.path, v.at_us, {_us(dialect, "m.ts")} AS ts_us, m.work_order, m.kind, m.event,
        m.failure_mode,
        max(CASE WHEN m.event = 'closed' THEN {_us(dialect, "m.ts")} END)
            OVER (PARTITION BY v.path, v.at_us) AS last_closed_us,
        row_number() OVER (PARTITION BY v.path, v.at_us ORDER BY m.ts DESC, m.seq DESC,
            m.work_order DESC) AS rn
    FROM visit v JOIN rec_maintenance m
        ON m.path{_c(dialect)} = v.path AND m.ts <= {_ts(dialect, "v.at_us")}
)
SELECT path, at_us, ts_us, work_order, kind, event, failure_mode, last_closed_us
FROM hit WHERE rn = 1 ORDER BY path, at_us"""
    return sql, p.values


def condition_sql(
    dialect: str, *, paths: Sequence[str], at_us: Sequence[int], window_us: int
) -> tuple[str, list[Any]]:
    """The last sample of each tag of each station in ``(at - window, at]`` of each visit.

    Columns ``path`` (the station), ``at_us``, ``tag``, ``ts_us``, ``value``, ``quality``.
    """
    p = _Params()
    visits = _visits(dialect, p, paths, at_us)
    window = p(window_us)
    sql = f"""WITH visit AS ({visits}), hit AS (
    SELECT v.path, v.at_us, s.path AS tag, {_us(dialect, "s.ts")} AS ts_us, s.value,
        s.quality,
        row_number() OVER (PARTITION BY v.path, v.at_us, s.path ORDER BY s.ts DESC,
            s.seq DESC, s.source DESC) AS rn
    FROM visit v JOIN rec_sample s
        ON {_below(dialect, "s.path", "v.path")}
        AND s.ts <= {_ts(dialect, "v.at_us")}
        AND s.ts > {_ts(dialect, f"(v.at_us - {window})")}
)
SELECT path, at_us, tag, ts_us, value, quality FROM hit WHERE rn = 1
ORDER BY path, at_us, tag"""
    return sql, p.values


def orders_sql(
    dialect: str,
    *,
    serials: Sequence[str],
    paths: Sequence[str],
    products: Sequence[str],
    released_us: Sequence[int],
) -> tuple[str, list[Any]]:
    """The order each unit was made for, and when that order completed.

    A unit record does not name its order: the order is the newest one of the unit's
    product started on a line above the unit's first station at or before the unit's
    release. Columns ``serial``, ``order_id``, ``line``, ``started_us``, ``completed_us``
    (null: not completed), ``quantity``.
    """
    p = _Params()
    made = _table(
        dialect,
        p,
        [
            ("serial", "text", serials),
            ("path", "text", paths),
            ("product", "text", products),
            ("released_us", "int", released_us),
        ],
    )
    sql = f"""WITH made AS ({made}), matched AS (
    SELECT m.serial, o.order_id, o.path AS line, {_us(dialect, "o.ts")} AS started_us,
        o.quantity,
        row_number() OVER (PARTITION BY m.serial ORDER BY o.ts DESC, o.order_id DESC) AS rn
    FROM made m JOIN rec_order o
        ON o.event = 'started' AND o.product = m.product
        AND {_below(dialect, "m.path", "o.path")}
        AND o.ts <= {_ts(dialect, "m.released_us")}
), done AS (
    SELECT o.order_id, {_us(dialect, "min(o.ts)")} AS completed_us
    FROM rec_order o JOIN (SELECT DISTINCT order_id FROM matched WHERE rn = 1) k
        ON o.order_id{_c(dialect)} = k.order_id
    WHERE o.event = 'completed'
    GROUP BY o.order_id
)
SELECT x.serial, x.order_id, x.line, x.started_us, d.completed_us, x.quantity
FROM matched x LEFT JOIN done d ON d.order_id = x.order_id
WHERE x.rn = 1 ORDER BY x.serial"""
    return sql, p.values
