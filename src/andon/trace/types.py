"""What a trace answers: the links walked, the units reached and their story, a recall.

Every table is Arrow with times in UTC microseconds (``*_us``). A trace is a value: it is
built once (:mod:`andon.trace.build`) and only read afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

__all__ = ["Direction", "Recall", "Trace"]

Direction = Literal["backward", "forward"]
"""``backward``: what went into a serial or lot; ``forward``: everything a lot reached."""


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


@dataclass(frozen=True, slots=True, kw_only=True)
class Trace:
    """A genealogy trace of one serial or lot.

    ``links``: every genealogy link walked (``ts_us``, ``parent``, ``child``, ``relation``).
    ``units``: each unit serial reached, the traced one included (``serial``, ``product``,
    ``lot``, ``released_us``, ``first_us``, ``last_us``, ``last_station``, ``site``,
    ``order_id``, ``order_completed_us``); a node of the links without unit records is a
    lot (:attr:`lots`). ``visits``: each unit at each station (``serial``, ``station``,
    ``start_us``, ``end_us``). A backward trace also holds the process ``parameters`` (the
    unit records), the ``inspections``, the ``maintenance`` state of each station at each
    visit (its last work-order event and last close before it) and the ``condition`` of
    the station (the last sample of each of its tags within an hour before the visit); a
    forward trace leaves these empty.
    """

    id: str
    """The serial or lot traced."""
    direction: Direction
    links: pa.Table
    units: pa.Table
    visits: pa.Table
    parameters: pa.Table
    inspections: pa.Table
    maintenance: pa.Table
    condition: pa.Table

    @property
    def lots(self) -> tuple[str, ...]:
        """The serials or lots of the links that have no unit records, in name order."""
        nodes = set(self.links.column("parent").to_pylist())
        nodes.update(self.links.column("child").to_pylist())
        nodes.add(self.id)
        return tuple(sorted(nodes - set(self.units.column("serial").to_pylist())))

    @property
    def sites(self) -> tuple[str, ...]:
        """The sites whose stations the units reached, in name order."""
        return tuple(sorted({s for s in self.units.column("site").to_pylist() if s}))

    def to_json(self) -> dict[str, Any]:
        """Return the trace as a JSON object, one list of rows per table."""
        return {
            "id": self.id,
            "direction": self.direction,
            "lots": list(self.lots),
            "sites": list(self.sites),
            "links": _rows(self.links),
            "units": _rows(self.units),
            "visits": _rows(self.visits),
            "parameters": _rows(self.parameters),
            "inspections": _rows(self.inspections),
            "maintenance": _rows(self.maintenance),
            "condition": _rows(self.condition),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Recall:
    """The answer to "lot L (of supplier S) is suspect: which units contain it, and where".

    ``completed``: the units whose order completed (left the line: shipped or ready to
    ship; andon has no shipment record, so completion is where its knowledge ends);
    ``in_progress``: the others. Both have the columns of :attr:`Trace.units`.
    """

    lot: str
    supplier: str | None
    """The supplier as the caller named it; andon's records carry no supplier, so it is
    stated on the answer, not checked."""
    trace: Trace
    completed: pa.Table
    in_progress: pa.Table

    @property
    def orders(self) -> tuple[str, ...]:
        """The orders the lot reached, in name order."""
        ids = self.trace.units.column("order_id").to_pylist()
        return tuple(sorted({o for o in ids if o}))

    def to_json(self) -> dict[str, Any]:
        """Return the recall as a JSON object: counts, orders, sites, both lists of units."""
        return {
            "lot": self.lot,
            "supplier": self.supplier,
            "units": self.trace.units.num_rows,
            "completed_units": self.completed.num_rows,
            "in_progress_units": self.in_progress.num_rows,
            "orders": list(self.orders),
            "sites": list(self.trace.sites),
            "completed": _rows(self.completed),
            "in_progress": _rows(self.in_progress),
        }
