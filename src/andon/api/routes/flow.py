"""``/api/v1/flow``: the object-centric flow of a range of time, out of the store.

- ``GET /graph``: the directly-follows graph per object type (frequencies, durations);
- ``GET /delays``: the causes of delay by hours lost, per station and cause;
- ``GET /bottleneck``: each line's bottleneck cell by the active period method, what limits
  it and its lost hours in money (the model's unit prices);
- ``GET /ocel``: the range as an OCEL 2.0 log, JSON, XML or SQLite.

A range defaults to the seven days up to the newest order or unit record. A user scoped to
sites sees the delays and bottlenecks of those sites; the graph and the log join objects
across sites, so they answer only users who see every site.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.routes._params import Since, Until, check_range
from andon.api.security import Authorized
from andon.apps.flow import store_log
from andon.apps.flow.delay import DelayReport, delays
from andon.decisions import Principal, Role
from andon.ocel import directly_follows, dumps, write
from andon.store import flow_queries as fq
from andon.time import DAY_US, to_iso

router = APIRouter(prefix="/api/v1/flow", tags=["flow"], responses=PROBLEM_RESPONSES)

RULES = {
    ("GET", "/api/v1/flow/graph"): Role.VIEWER,
    ("GET", "/api/v1/flow/delays"): Role.VIEWER,
    ("GET", "/api/v1/flow/bottleneck"): Role.VIEWER,
    ("GET", "/api/v1/flow/ocel"): Role.ENGINEER,
}

Ctx = Annotated[ApiContext, Depends(context)]
_WEEK = 7 * DAY_US


class OcelFormat(StrEnum):
    """The OCEL 2.0 formats of the log export."""

    JSON = "ocel-json"
    XML = "ocel-xml"
    SQLITE = "ocel-sqlite"


_MEDIA = {
    OcelFormat.JSON: ("application/json", "json"),
    OcelFormat.XML: ("application/xml", "xml"),
    OcelFormat.SQLITE: ("application/vnd.sqlite3", "sqlite"),
}


class Range(BaseModel):
    """The time range an answer covers (ISO 8601, UTC; the end excluded)."""

    start: str
    end: str


class EdgeOut(BaseModel):
    """One directly-follows edge of an object type, durations in seconds."""

    object_type: str
    source: str
    target: str
    frequency: int
    event_pairs: int
    objects: int
    mean_s: float | None
    median_s: float | None
    p90_s: float | None


class GraphOut(BaseModel):
    """The object-centric directly-follows graph of a range."""

    range: Range
    edges: list[EdgeOut]


class CauseOut(BaseModel):
    """Hours units lost at a station to one cause."""

    station: str
    cause: str
    hours: float
    steps: int
    share: float


class DelaysOut(BaseModel):
    """The causes of delay of a range, most hours first."""

    range: Range
    causes: list[CauseOut]


class LineOut(BaseModel):
    """A line's bottleneck cell and what limits it; money in the model's currency."""

    line: str
    bottleneck: str
    limited_by: str
    active_share: float | None
    own_h: float | None
    lost_h: float | None
    units_per_h: float | None
    lost_value: float | None


class BottleneckOut(BaseModel):
    """The bottleneck of each line of a range."""

    range: Range
    lines: list[LineOut]


def _range(ctx: ApiContext, since: datetime | None, until: datetime | None) -> tuple[int, int]:
    check_range(since, until)
    if until is not None:
        end = round(until.timestamp() * 1_000_000)
    else:
        newest = fq.newest(ctx.store)
        end = (newest + 1) if newest is not None else 0
    start = round(since.timestamp() * 1_000_000) if since is not None else end - _WEEK
    return start, end


def _span(start: int, end: int) -> Range:
    return Range(start=to_iso(start), end=to_iso(end))


def _everywhere(who: Principal, what: str) -> None:
    if not who.all_sites:
        msg = f"the {what} joins objects across sites: it needs a user who sees every site"
        raise ApiProblem(403, "flow.scoped", msg)


def _inside(frame: pl.DataFrame, column: str, who: Principal) -> pl.DataFrame:
    if who.all_sites:
        return frame
    inside = pl.lit(value=False)
    for site in who.sites:
        inside = inside | (pl.col(column) == site) | pl.col(column).str.starts_with(site + "/")
    return frame.filter(inside)


def _report(ctx: ApiContext, start: int, end: int) -> DelayReport:
    prices = {name: p.unit_price for name, p in ctx.model.products.items() if p.unit_price > 0}
    return delays(ctx.store, start=start, end=end, unit_prices=prices)


@router.get("/graph")
def get_graph(
    *,
    who: Authorized,
    ctx: Ctx,
    since: Since = None,
    until: Until = None,
    object_type: Annotated[
        str | None, Query(max_length=100, description="Only this object type's edges.")
    ] = None,
) -> GraphOut:
    """Return the directly-follows graph per object type of the range, with frequencies
    and durations (mean, median, 90th percentile)."""
    _everywhere(who, "flow graph")
    start, end = _range(ctx, since, until)
    log = store_log(ctx.store, start=start, end=end, equipment_states=False)
    types = None if object_type is None else [object_type]
    edges = directly_follows(log, object_types=types).edges
    return GraphOut(
        range=_span(start, end), edges=[EdgeOut(**row) for row in edges.iter_rows(named=True)]
    )


@router.get("/delays")
def get_delays(
    *,
    who: Authorized,
    ctx: Ctx,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Causes returned.")] = 50,
) -> DelaysOut:
    """Return the hours units lost at each station to each cause (hold, queue, down,
    planned down, changeover, blocked, starved, idle, no shift), most first."""
    start, end = _range(ctx, since, until)
    causes = _inside(_report(ctx, start, end).causes, "station", who).head(limit)
    return DelaysOut(
        range=_span(start, end),
        causes=[CauseOut(**row) for row in causes.iter_rows(named=True)],
    )


@router.get("/bottleneck")
def get_bottleneck(
    *, who: Authorized, ctx: Ctx, since: Since = None, until: Until = None
) -> BottleneckOut:
    """Return each line's bottleneck cell (active period method), what limits it, and its
    lost hours and their value."""
    start, end = _range(ctx, since, until)
    lines = _inside(_report(ctx, start, end).lines, "line", who)
    return BottleneckOut(
        range=_span(start, end), lines=[LineOut(**row) for row in lines.iter_rows(named=True)]
    )


@router.get(
    "/ocel",
    response_class=Response,
    responses={
        200: {
            "description": "The OCEL 2.0 log.",
            "content": {
                "application/json": {},
                "application/xml": {},
                "application/vnd.sqlite3": {},
            },
        }
    },
)
def get_ocel(
    *,
    who: Authorized,
    ctx: Ctx,
    since: Since = None,
    until: Until = None,
    format: Annotated[OcelFormat, Query(description="The OCEL 2.0 format.")] = OcelFormat.JSON,
) -> Response:
    """Return the range's orders, units, lots, equipment, work orders, inspections and
    quality holds as one OCEL 2.0 log."""
    _everywhere(who, "OCEL 2.0 log")
    start, end = _range(ctx, since, until)
    log = store_log(ctx.store, start=start, end=end)
    media, suffix = _MEDIA[format]
    if format is OcelFormat.SQLITE:
        with tempfile.TemporaryDirectory() as scratch:
            target = Path(scratch) / "flow.sqlite"
            write(log, target, "ocel-sqlite")
            body = target.read_bytes()
    else:
        body = dumps(log, "ocel-json" if format is OcelFormat.JSON else "ocel-xml")
    name = f"flow-{to_iso(start)[:10]}.{suffix}"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
