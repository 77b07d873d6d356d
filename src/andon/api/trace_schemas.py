"""The trace endpoints' bodies: a genealogy trace and a recall, times in UTC microseconds."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from andon.trace import Recall, Trace

__all__ = [
    "LinkOut",
    "MaintenanceOut",
    "RecallOut",
    "TraceOut",
    "UnitOut",
    "VisitOut",
    "recall_out",
    "trace_out",
]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LinkOut(_Row):
    """One genealogy link: a parent serial or lot went into a child (its first record)."""

    ts_us: int
    parent: str
    child: str
    relation: str


class UnitOut(_Row):
    """A unit serial the trace reached, where it was last and the order it was made for."""

    serial: str
    product: str
    lot: str | None
    released_us: int | None
    first_us: int | None
    last_us: int | None
    last_station: str | None
    site: str | None
    order_id: str | None
    order_completed_us: int | None


class VisitOut(_Row):
    """A unit at a station: when its records there start and end."""

    serial: str
    station: str
    start_us: int
    end_us: int


class MaintenanceOut(_Row):
    """A station's last work-order event at or before a visit, and its last close."""

    path: str
    at_us: int
    ts_us: int
    work_order: str
    kind: str
    event: str
    failure_mode: str | None
    last_closed_us: int | None


class TraceOut(_Row):
    """A genealogy trace of a serial or lot: backward (what went into it) or forward."""

    id: str
    direction: Literal["backward", "forward"]
    lots: list[str]
    sites: list[str]
    links: list[LinkOut]
    units: list[UnitOut]
    visits: list[VisitOut]
    parameters: list[dict[str, Any]]
    """Unit records: ``ts_us``, ``serial``, ``path``, ``product``, ``lot``, ``parameter``,
    ``value``."""
    inspections: list[dict[str, Any]]
    """``ts_us``, ``serial``, ``path``, ``test``, ``passed``, ``value``, ``defect_code``."""
    maintenance: list[MaintenanceOut]
    condition: list[dict[str, Any]]
    """The last sample of each station tag before each visit: ``path``, ``at_us``, ``tag``,
    ``ts_us``, ``value``, ``quality``."""


class RecallOut(_Row):
    """Which units contain a suspect lot, split into completed and in progress."""

    lot: str
    supplier: str | None
    units: int
    completed_units: int
    in_progress_units: int
    orders: list[str]
    sites: list[str]
    completed: list[UnitOut]
    in_progress: list[UnitOut]


def trace_out(trace: Trace) -> TraceOut:
    """Return the body of a trace."""
    return TraceOut.model_validate(trace.to_json())


def recall_out(answer: Recall) -> RecallOut:
    """Return the body of a recall."""
    return RecallOut.model_validate(answer.to_json())
