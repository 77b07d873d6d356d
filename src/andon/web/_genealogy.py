"""``/trace``: the genealogy of a serial or lot, backward and forward, and a lot's recall.

The page answers through the same functions as ``GET /api/v1/trace/{id}`` and its recall
(:func:`andon.trace.scope.trace_for`, :func:`andon.trace.scope.recall_for`): a user scoped to
sites sees only those sites' stations, and a trace that reaches none of them reads as one
of a serial that does not exist.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from andon.api.security import add_rule
from andon.decisions import Role
from andon.trace import UnknownTraceError, backward, forward, recall
from andon.trace.scope import recall_for, trace_for

__all__ = ["THREAD_NAV", "add_genealogy_routes"]

THREAD_NAV = (
    ("/trace", "Genealogy and recall"),
    ("/grants", "Data Act grants"),
    ("/changes", "Engineering changes"),
)
"""The digital thread's pages, one menu entry between them (``/trace``)."""

_MAX_ID = 200


def _clean(text: str | None) -> str:
    return (text or "").strip()[:_MAX_ID]


def add_genealogy_routes(app: FastAPI, console: Any) -> None:
    """Add ``/trace`` (a trace of ``?id=`` backward or forward) and ``/trace/recall``."""
    if hasattr(app.state, "route_rules"):
        add_rule(app, "GET", "/trace", Role.VIEWER)  # as GET /api/v1/trace/{id}
        add_rule(app, "GET", "/trace/recall", Role.VIEWER)  # as its recall

    def frame(request: Request, who: Any, secret: str, **extra: Any) -> dict[str, Any]:
        return console.context(  # type: ignore[no-any-return]
            request, who, secret, active="/trace", thread_nav=THREAD_NAV, **extra
        )

    @app.get("/trace", response_class=HTMLResponse, include_in_schema=False)
    def trace_page(request: Request, id: str | None = None, direction: str = "backward") -> Any:
        who, secret = console.principal(request)
        asked = _clean(id)
        way = "forward" if direction == "forward" else "backward"
        found, missing = None, ""
        if asked:
            walk = forward if way == "forward" else backward
            try:
                found = trace_for(who, walk(console.store, asked))
            except UnknownTraceError:
                missing = asked
        return console.render.page(
            request,
            "trace.html",
            frame(
                request,
                who,
                secret,
                title=f"Trace {asked}" if asked else "Genealogy",
                asked=asked,
                direction=way,
                trace=None if found is None else found.to_json(),
                missing=missing,
            ),
            status_code=404 if missing else 200,
        )

    @app.get("/trace/recall", response_class=HTMLResponse, include_in_schema=False)
    def recall_page(request: Request, lot: str | None = None, supplier: str | None = None) -> Any:
        who, secret = console.principal(request)
        asked, named = _clean(lot), _clean(supplier) or None
        answer, missing = None, ""
        if asked:
            try:
                answer = recall_for(who, recall(console.store, asked, supplier=named))
            except UnknownTraceError:
                missing = asked
        return console.render.page(
            request,
            "trace.html",
            frame(
                request,
                who,
                secret,
                title=f"Recall {asked}" if asked else "Recall",
                lot=asked,
                supplier=named or "",
                recall=None if answer is None else answer.to_json(),
                missing=missing,
                asked="",
                direction="backward",
            ),
            status_code=404 if missing else 200,
        )
