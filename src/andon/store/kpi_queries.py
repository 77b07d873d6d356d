"""The KPI layer's queries of the store: what they are given and the schemas they give back.

The KPI layer (:mod:`andon.kpi`) sums ISO 22400-2 time elements and quantities per
(equipment, period). Over months of records it asks the store to do the summing in its own
engine, so that one row per equipment and period leaves it instead of millions of state
intervals. The store knows nothing of KPIs: everything the queries need (equipment, each
site's timeline as segments, planned run times, the class of each state value, which state
time each element sums) arrives as the plain values of an :class:`ElementQuery`.

Both stores build the statements with one builder per query (:mod:`andon.store._kpi_sql`),
which differs only by dialect, and return Arrow tables of the schemas declared here:

* :meth:`andon.store.Store.element_sums` — :func:`element_sums_schema`;
* :meth:`andon.store.Store.flagged_counts` — :data:`FLAGGED_COUNT_SCHEMA`;
* :meth:`andon.store.Store.unknown_records` — :data:`UNKNOWN_RECORD_SCHEMA`.
* :meth:`andon.store.Store.newest_records` — :data:`NEWEST_RECORD_SCHEMA`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pyarrow as pa

__all__ = [
    "COUNT_SUMS",
    "FLAGGED_COUNT_SCHEMA",
    "NEWEST_RECORD_SCHEMA",
    "UNKNOWN_RECORD_SCHEMA",
    "ElementQuery",
    "StateSelection",
    "element_sums_schema",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class StateSelection:
    """Which pieces of state time an element sums: zone, state classes, minor flag.

    A piece is a stretch of one state interval inside one segment of its site's timeline;
    it has the segment's ``zone``, the state's class and whether its run of one class is a
    minor stop. ``None`` leaves a condition out.

    >>> StateSelection(zone=2, classes=(0,)).zone
    2
    """

    zone: int | None = None
    """The zone the piece must lie in (the site calendar's zone codes)."""
    classes: tuple[int, ...] | None = None
    """The state classes the piece may have."""
    minor: bool | None = None
    """Whether the piece's run must be (``True``) or not be (``False``) a minor stop."""
    not_zone: int | None = None
    """A zone the piece must not lie in."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ElementQuery:
    """The inputs of the element statements, as plain values (sent as array parameters).

    Equipment are numbered by their position in ``paths`` (``pid`` in the results), and
    periods by the ``seg_period`` their segments carry (``pidx``). Times are UTC
    microseconds.
    """

    paths: Sequence[str]
    """Equipment paths, in ``pid`` order."""
    site_of: Sequence[int]
    """The site number of each equipment (the ``seg_site`` of its timeline)."""
    last_cell: Sequence[bool]
    """Whether each equipment is the last of its routing (its output is the line's)."""
    products: Sequence[str]
    """Product ids; a count of a product not listed takes index ``len(products)``."""
    pri_s: Sequence[float | None]
    """Planned run time per item, flat: equipment * (products + 1) + product (the last
    product index is for products not listed); ``None`` where there is none."""
    scrap_cost: Sequence[float]
    """Scrap cost per product index (products + 1 entries)."""
    seg_site: Sequence[int]
    """Each timeline segment's site number; a site's segments cover ``[lo, hi)`` exactly."""
    seg_index: Sequence[int]
    """Each segment's position in its site's timeline (consecutive, in time order)."""
    seg_lo: Sequence[int]
    """Each segment's start."""
    seg_hi: Sequence[int]
    """Each segment's end (exclusive)."""
    seg_zone: Sequence[int]
    """Each segment's zone code."""
    work_zone: int
    """The zone code of working time: only counts in it are placed."""
    seg_period: Sequence[int]
    """Each segment's period index; negative for time outside every period."""
    lo: int
    """Start of the state range: intervals are clipped to ``[lo, hi)``."""
    hi: int
    """End of the state range (exclusive)."""
    count_lo: int
    """Counts with ``count_lo <= ts < count_hi`` are summed."""
    count_hi: int
    """End of the count range (exclusive)."""
    minor_us: int
    """A run of one state class shorter than this is a minor stop, microseconds."""
    fail_class: int
    """The state class whose runs that are not minor stops are failure events (``fe``)."""
    state_classes: Mapping[str, int]
    """The class (0 to 7) of each known state value."""
    unknown_class: int
    """The class of a state value not in ``state_classes``."""
    selections: Mapping[str, StateSelection]
    """The state-time sums to compute, by result column name."""
    until: Sequence[int] | None = None
    """Per equipment (``pid`` order), the instant no state lasts beyond: its newest record of
    any kind (``None``: every state may last until ``hi``)."""
    stale_us: int | None = None
    """A state lasts at most this long after its record, microseconds (``None``: no bound)."""


COUNT_SUMS: Final[tuple[str, ...]] = (
    "gq",
    "sq",
    "rq",
    "pq",
    "out_gq",
    "out_pq",
    "pq_outside",
    "pq_no_state",
    "pq_no_pri",
    "pri_pq_s",
    "pri_gq_s",
    "pri_sq_s",
    "pri_rq_s",
    "scrap_cost",
    "n_no_state",
    "n_no_pri",
    "counts",
)
"""Count sums of :meth:`~andon.store.Store.element_sums`, after the state sums.

A count is *placed* when its equipment has a state at or before it and it falls in a
working segment of a period. ``gq``, ``sq``, ``rq``, ``pq``: good, scrap, rework and all
units placed; ``out_gq``, ``out_pq``: the same of last-of-routing equipment;
``pq_outside``: units with a state but outside working time; ``pq_no_state``: units
before any state; ``pq_no_pri``: placed units without a planned run time; ``pri_*_s``:
planned run time times units placed, seconds; ``scrap_cost``: scrap cost times scrap
placed; ``n_no_state``, ``n_no_pri``: count records of those two kinds; ``counts``: count
records. Every count sum is NULL for an (equipment, period) without count records."""


def element_sums_schema(selections: Sequence[str]) -> pa.Schema:
    """Return the schema of :meth:`~andon.store.Store.element_sums` for these selections.

    ``pid`` and ``pidx`` (equipment and period index), then one sum of state microseconds
    per selection (in the order given), ``fe`` (failure events: starts of runs of the
    failure class that are not minor stops), then :data:`COUNT_SUMS`. Sums are doubles,
    exact below 2**53 (285 years in microseconds).

    >>> element_sums_schema(["apt_s"]).names[:4]
    ['pid', 'pidx', 'apt_s', 'fe']
    """
    sums = [*selections, "fe", *COUNT_SUMS]
    return pa.schema(
        [
            pa.field("pid", pa.int64(), nullable=False),
            pa.field("pidx", pa.int64(), nullable=False),
            *(pa.field(name, pa.float64()) for name in sums),
        ]
    )


FLAGGED_COUNT_SCHEMA: Final = pa.schema(
    [
        pa.field("pid", pa.int64(), nullable=False),
        pa.field("ts", pa.int64(), nullable=False),  # UTC microseconds
        pa.field("product", pa.string()),
        pa.field("qty", pa.float64()),
        pa.field("no_state", pa.bool_(), nullable=False),
        pa.field("no_pri", pa.bool_(), nullable=False),
    ]
)
"""Count records in a period that a data-quality flag names: before any state of their
equipment (``no_state``), or placed without a planned run time (``no_pri``)."""

UNKNOWN_RECORD_SCHEMA: Final = pa.schema(
    [
        pa.field("kind", pa.string(), nullable=False),  # "state" or "count"
        pa.field("path", pa.string(), nullable=False),
        pa.field("n", pa.int64(), nullable=False),
    ]
)
"""Paths with state records of an unlisted path or state value, or count records of an
unlisted path, and how many."""

NEWEST_RECORD_SCHEMA: Final = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("ts", pa.int64(), nullable=False),  # UTC microseconds
    ]
)
"""The newest record of each path (state, count, sample, unit and inspection records)."""
