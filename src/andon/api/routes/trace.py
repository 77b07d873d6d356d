"""``/api/v1/trace/{id}``: genealogy traces of a serial or lot, and recalls of a lot.

A user scoped to sites sees only those sites' stations (:func:`andon.trace.scope.trace_for`);
a trace that reaches none of them answers 404, as for a serial that does not exist.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.security import Authorized
from andon.api.trace_schemas import RecallOut, TraceOut, recall_out, trace_out
from andon.decisions import Role
from andon.trace import UnknownTraceError, backward, forward, recall
from andon.trace.scope import recall_for, trace_for

router = APIRouter(prefix="/api/v1/trace", tags=["trace"], responses=PROBLEM_RESPONSES)

RULES = {
    ("GET", "/api/v1/trace/{id}"): Role.VIEWER,
    ("GET", "/api/v1/trace/{id}/recall"): Role.VIEWER,
}

Ctx = Annotated[ApiContext, Depends(context)]


class TraceDirection(StrEnum):
    """Which way a trace walks the genealogy."""

    BACKWARD = "backward"
    FORWARD = "forward"


def _not_found(exc: UnknownTraceError) -> ApiProblem:
    return ApiProblem(404, exc.code, f"no genealogy or unit record names {exc.id!r}")


@router.get("/{id}")
def get_trace(
    *,
    id: str,
    who: Authorized,
    ctx: Ctx,
    direction: Annotated[
        TraceDirection, Query(description="backward: what went into it; forward: what it reached")
    ] = TraceDirection.BACKWARD,
) -> TraceOut:
    """Return the genealogy trace of a serial or lot, with the units' stations, process
    parameters, tests and the stations' maintenance state and condition at the time."""
    walk = backward if direction is TraceDirection.BACKWARD else forward
    try:
        return trace_out(trace_for(who, walk(ctx.store, id)))
    except UnknownTraceError as exc:
        raise _not_found(exc) from None


@router.get("/{id}/recall")
def get_recall(
    *,
    id: str,
    who: Authorized,
    ctx: Ctx,
    supplier: Annotated[
        str | None, Query(max_length=200, description="the lot's supplier, stated on the answer")
    ] = None,
) -> RecallOut:
    """Return which units contain a suspect lot: completed (left the line) and in progress,
    each with its site, last station and order."""
    try:
        return recall_out(recall_for(who, recall(ctx.store, id, supplier=supplier)))
    except UnknownTraceError as exc:
        raise _not_found(exc) from None
