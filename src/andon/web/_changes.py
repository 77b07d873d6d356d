"""``/changes``: engineering change decisions and each change's impact and outcome.

A change is a decision like any other (app ``change``, action ``release_engineering_change``,
one per site it touches); its page shows the impact from the decision's evidence (products,
routings, lines, equipment, setups, checks, open orders, units and lots in progress, spare
parts, cost and schedule) and leads to the decision's own page, where it is approved. Once
released, the page shows its outcome (:func:`andon.change.outcome.change_outcome`): the
recorded one, or, until one is recorded, the figures as the store has them now.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from andon.api.security import add_rule
from andon.change.decision import APP, RELEASE_CHANGE
from andon.change.outcome import ChangeOutcomeError, decision_outcome
from andon.decisions import DecisionFilter, DecisionService, Role
from andon.errors import DecisionError
from andon.web._genealogy import THREAD_NAV

__all__ = ["add_change_routes"]

_SHOWN = 200


def _outcome_now(console: Any, record: Any) -> dict[str, Any] | None:
    """The outcome as the store has it now, for a released change without a recorded one."""
    try:
        found = decision_outcome(console.store, record, now=console.now())
    except ChangeOutcomeError:
        return None
    return None if found is None else {"success": found.success, **found.detail}


def add_change_routes(app: FastAPI, console: Any, *, decisions: DecisionService) -> None:
    """Add ``/changes`` and ``/changes/{decision_id}``, read through the served
    ``decisions`` (the user's sites only)."""
    if hasattr(app.state, "route_rules"):
        add_rule(app, "GET", "/changes", Role.VIEWER)  # as GET /api/v1/decisions
        add_rule(app, "GET", "/changes/{decision_id}", Role.VIEWER)

    def frame(request: Request, who: Any, secret: str, **extra: Any) -> dict[str, Any]:
        return console.context(  # type: ignore[no-any-return]
            request, who, secret, active="/trace", thread_nav=THREAD_NAV, **extra
        )

    @app.get("/changes", response_class=HTMLResponse, include_in_schema=False)
    def changes_page(request: Request) -> Any:
        who, secret = console.principal(request)
        records = decisions.list(DecisionFilter(app=APP), who=who, limit=_SHOWN)
        return console.render.page(
            request,
            "changes.html",
            frame(
                request,
                who,
                secret,
                title="Engineering changes",
                changes=[r for r in records if r.action.kind == RELEASE_CHANGE.name],
            ),
        )

    @app.get("/changes/{decision_id}", response_class=HTMLResponse, include_in_schema=False)
    def change_page(request: Request, decision_id: str) -> Any:
        who, secret = console.principal(request)
        try:
            record = decisions.get(decision_id, who=who)
        except DecisionError:
            record = None
        if record is None or record.action.kind != RELEASE_CHANGE.name:
            # The same page for another site's change, another app's decision and no decision.
            return console.render.page(
                request,
                "error.html",
                frame(
                    request,
                    who,
                    secret,
                    title="No such change",
                    heading="No such change",
                    message="There is no such engineering change "
                    "(or it belongs to a site you cannot see).",
                    suggestions=[],
                ),
                status_code=404,
            )
        recorded = (
            {"success": record.outcome_success, **record.outcome_detail}
            if record.has_outcome
            else None
        )
        return console.render.page(
            request,
            "change.html",
            frame(
                request,
                who,
                secret,
                title=record.title,
                d=record,
                e=record.evidence,
                request_fields=dict(record.evidence.get("request") or {}),
                outcome=recorded,
                outcome_now=None if recorded is not None else _outcome_now(console, record),
            ),
        )
