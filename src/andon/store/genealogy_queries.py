"""The genealogy trace's questions of the store, the same statements on DuckDB and PostgreSQL.

Functions over the :class:`~andon.store.Store` protocol (:meth:`~andon.store.Store.execute`)
with statements built in :mod:`andon.store._genealogy_sql`. Each returns an Arrow table
whose times are UTC microseconds (``*_us``). :mod:`andon.trace` puts them together.

>>> from andon.store import open_store
>>> store = open_store("duckdb://:memory:")
>>> genealogy_links(store, node="LOT-1", direction="forward").num_rows
0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from andon.store._genealogy_sql import (
    LOOKUP_KEYS,
    Direction,
    condition_sql,
    inspections_sql,
    known_sql,
    links_sql,
    maintenance_sql,
    orders_sql,
    step_sql,
    unit_rows_sql,
)
from andon.store.base import Store

_LOOKUPS_PER_LEVEL = 4
"""Past this many lookups of :data:`LOOKUP_KEYS` keys, one join costs less than the lookups."""

__all__ = [
    "Direction",
    "NodeSeen",
    "genealogy_links",
    "genealogy_links_recursive",
    "node_seen",
    "station_condition",
    "station_maintenance",
    "unit_inspections",
    "unit_orders",
    "unit_rows",
]


def genealogy_links(store: Store, *, node: str, direction: Direction) -> pa.Table:
    """Return every genealogy link reachable from ``node`` backward or forward.

    Columns ``ts_us`` (the link's first record), ``parent``, ``child``, ``relation``, in
    child, parent, relation order. The walk goes a level at a time and never looks up a
    serial or lot twice, so a cycle in the records ends it where it closes.
    """
    reach = "parent" if direction == "backward" else "child"
    seen = pa.array([node], pa.string())
    frontier = seen
    levels: list[pa.Table] = []
    while len(frontier):
        level = _step(store, frontier.to_pylist(), direction)
        levels.append(level)
        found = pc.unique(level.column(reach).combine_chunks())
        frontier = found.filter(pc.invert(pc.is_in(found, value_set=seen)))
        seen = pa.concat_arrays([seen, frontier])
    if not levels:
        return _links_sql_empty(store)
    links = (
        pa.concat_tables(levels)
        .group_by(["parent", "child", "relation"])
        .aggregate([("ts_us", "min")])
    )
    return (
        links.rename_columns(["parent", "child", "relation", "ts_us"])
        .select(["ts_us", "parent", "child", "relation"])
        .sort_by([("child", "ascending"), ("parent", "ascending"), ("relation", "ascending")])
    )


def genealogy_links_recursive(store: Store, *, node: str, direction: Direction) -> pa.Table:
    """Return what :func:`genealogy_links` returns, from one ``WITH RECURSIVE`` statement.

    The reference the walk is tested and measured against (``benchmarks/genealogy.py``).
    """
    sql, params = links_sql(store.dialect, node=node, direction=direction)
    return store.execute(sql, params)


def _step(store: Store, nodes: list[str], direction: Direction) -> pa.Table:
    """One level: the records whose child (backward) or parent (forward) is in ``nodes``."""
    most = LOOKUP_KEYS.get(store.dialect, LOOKUP_KEYS["postgres"])
    if len(nodes) > _LOOKUPS_PER_LEVEL * most:
        sql, params = step_sql(store.dialect, nodes=nodes, direction=direction, wide=True)
        return store.execute(sql, params)
    parts = []
    for first in range(0, len(nodes), most):
        sql, params = step_sql(
            store.dialect, nodes=nodes[first : first + most], direction=direction
        )
        parts.append(store.execute(sql, params))
    return pa.concat_tables(parts)


def _links_sql_empty(store: Store) -> pa.Table:
    sql, params = step_sql(store.dialect, nodes=[], direction="forward")
    return store.execute(sql, params)


@dataclass(frozen=True, slots=True)
class NodeSeen:
    """Where a serial or lot appears in the records."""

    as_parent: bool
    """A genealogy parent (something went from it into another serial or lot)."""
    as_child: bool
    """A genealogy child (something went into it)."""
    as_serial: bool
    """The serial of unit records."""
    as_lot: bool
    """The lot of unit records."""

    @property
    def anywhere(self) -> bool:
        """Whether it appears at all."""
        return self.as_parent or self.as_child or self.as_serial or self.as_lot


def node_seen(store: Store, *, node: str) -> NodeSeen:
    """Return where ``node`` appears in the genealogy and unit records."""
    sql, params = known_sql(store.dialect, node=node)
    row = store.rows(sql, params)[0]
    return NodeSeen(
        as_parent=bool(row["as_parent"]),
        as_child=bool(row["as_child"]),
        as_serial=bool(row["as_serial"]),
        as_lot=bool(row["as_lot"]),
    )


def unit_rows(store: Store, *, serials: Sequence[str]) -> pa.Table:
    """Return every unit record of the serials: ``ts_us``, ``serial``, ``path``, ``product``,
    ``lot``, ``parameter``, ``value``."""
    sql, params = unit_rows_sql(store.dialect, serials=serials)
    return store.execute(sql, params)


def unit_inspections(store: Store, *, serials: Sequence[str]) -> pa.Table:
    """Return every inspection of the serials: ``ts_us``, ``serial``, ``path``, ``test``,
    ``passed``, ``value``, ``defect_code``."""
    sql, params = inspections_sql(store.dialect, serials=serials)
    return store.execute(sql, params)


def station_maintenance(store: Store, *, paths: Sequence[str], at_us: Sequence[int]) -> pa.Table:
    """Return the last work-order event of each station at or before each time.

    Columns ``path``, ``at_us``, ``ts_us``, ``work_order``, ``kind``, ``event``,
    ``failure_mode``, ``last_closed_us``; a visit with no work order before it has no row.
    """
    sql, params = maintenance_sql(store.dialect, paths=paths, at_us=at_us)
    return store.execute(sql, params)


def station_condition(
    store: Store, *, paths: Sequence[str], at_us: Sequence[int], window_us: int
) -> pa.Table:
    """Return the last sample of each tag of each station within ``window_us`` before each time.

    Columns ``path``, ``at_us``, ``tag``, ``ts_us``, ``value``, ``quality``.
    """
    sql, params = condition_sql(store.dialect, paths=paths, at_us=at_us, window_us=window_us)
    return store.execute(sql, params)


def unit_orders(
    store: Store,
    *,
    serials: Sequence[str],
    paths: Sequence[str],
    products: Sequence[str],
    released_us: Sequence[int],
) -> pa.Table:
    """Return the order each unit was made for: ``serial``, ``order_id``, ``line``,
    ``started_us``, ``completed_us``, ``quantity``.

    See :func:`andon.store._genealogy_sql.orders_sql` for how a unit finds its order.
    """
    sql, params = orders_sql(
        store.dialect,
        serials=serials,
        paths=paths,
        products=products,
        released_us=released_us,
    )
    return store.execute(sql, params)
