"""A trace as a user scoped to some sites may see it: only those sites' stations.

A unit is shown when one of its stations lies in the sites; a unit made elsewhere only as a
name, and only when it is linked to a shown unit; a lot always; a link when both of its ends
are shown. A trace that reaches no unit of the sites is not shown at all.
The station rows (visits, parameters, inspections, maintenance, condition) are kept only
for stations in the sites. A trace of which nothing is visible is, for that user, a trace
of something unknown: the same error as for a serial that does not exist, so that a
scoped user cannot learn what other sites made.

:func:`trace_for` and :func:`recall_for` give what one user may see: the REST API and the
console's trace page both answer through them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from andon.trace.errors import UnknownTraceError
from andon.trace.types import Recall, Trace

__all__ = ["Viewer", "recall_for", "recall_within_sites", "trace_for", "within_sites"]


class Viewer(Protocol):
    """Who reads a trace: the sites they may see (a user, a session, a token)."""

    @property
    def sites(self) -> tuple[str, ...]: ...

    def can_see(self, path: str | None) -> bool:
        """Whether a path, or (``None``) an enterprise-wide entry, is in the user's scope."""
        ...


def _inside(paths: pa.ChunkedArray | pa.Array, sites: Sequence[str]) -> pa.ChunkedArray:
    """Whether each path is a site of ``sites`` or lies below one."""
    hit = pc.is_in(paths, value_set=pa.array(list(sites), pa.string()))
    for site in sites:
        hit = pc.or_(hit, pc.starts_with(paths, site.rstrip("/") + "/"))
    return pc.fill_null(hit, fill_value=False)


def _member(values: pa.ChunkedArray, allowed: set[str]) -> pa.ChunkedArray:
    hit = pc.is_in(values, value_set=pa.array(sorted(allowed), pa.string()))
    return pc.fill_null(hit, fill_value=False)


def within_sites(trace: Trace, sites: Sequence[str]) -> Trace:
    """Return the part of ``trace`` at ``sites``; raise :class:`UnknownTraceError` if none."""
    visits = trace.visits.filter(_inside(trace.visits.column("station"), sites))
    serials = set(visits.column("serial").to_pylist())
    every_unit = set(trace.units.column("serial").to_pylist())
    links = trace.links
    parents, children = links.column("parent"), links.column("child")
    nodes = {trace.id, *parents.to_pylist(), *children.to_pylist()}
    # A unit made elsewhere stays a name in the links when it went into (or took in) a unit
    # of these sites: a recall must say that the site's unit holds it.
    into_ours = pc.or_(_member(parents, serials), _member(children, serials))
    neighbours = set(parents.filter(into_ours).to_pylist())
    neighbours.update(children.filter(into_ours).to_pylist())
    visible = (nodes - every_unit) | serials | (neighbours & every_unit)
    if not serials or trace.id not in visible:
        raise UnknownTraceError(trace.id)
    kept_links = links.filter(
        pc.and_(_member(links.column("parent"), visible), _member(links.column("child"), visible))
    )

    def at_sites(table: pa.Table, column: str = "path") -> pa.Table:
        return table.filter(_inside(table.column(column), sites))

    return replace(
        trace,
        links=kept_links,
        units=trace.units.filter(_member(trace.units.column("serial"), serials)),
        visits=visits,
        parameters=at_sites(trace.parameters),
        inspections=at_sites(trace.inspections),
        maintenance=at_sites(trace.maintenance),
        condition=at_sites(trace.condition),
    )


def recall_within_sites(answer: Recall, sites: Sequence[str]) -> Recall:
    """Return the part of a recall at ``sites``; raise :class:`UnknownTraceError` if none."""
    trace = within_sites(answer.trace, sites)
    kept = set(trace.units.column("serial").to_pylist())
    return replace(
        answer,
        trace=trace,
        completed=answer.completed.filter(_member(answer.completed.column("serial"), kept)),
        in_progress=answer.in_progress.filter(_member(answer.in_progress.column("serial"), kept)),
    )


def _every_site(who: Viewer) -> bool:
    # An enterprise-wide entry is in scope only for a user of every site.
    return who.can_see(None)


def trace_for(who: Viewer, trace: Trace) -> Trace:
    """Return the part of ``trace`` that ``who`` may see (all of it for every site)."""
    return trace if _every_site(who) else within_sites(trace, who.sites)


def recall_for(who: Viewer, answer: Recall) -> Recall:
    """Return the part of a recall that ``who`` may see (all of it for every site)."""
    return answer if _every_site(who) else recall_within_sites(answer, who.sites)
