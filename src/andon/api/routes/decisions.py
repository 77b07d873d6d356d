"""``/api/v1/decisions``: list and filter, read, approve, reject, execute, record outcomes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.routes._params import Cursor, Limit, PathPrefix, Since, Until, check_range
from andon.api.schemas import (
    AppRecordOut,
    ApproveIn,
    DecisionOut,
    DecisionPage,
    ExecutionOut,
    OutcomeIn,
    RejectIn,
    decode_cursor,
    encode_cursor,
    to_micros,
)
from andon.api.security import Authorized
from andon.decisions import DecisionFilter, Role, Status
from andon.decisions._json import now_us
from andon.decisions.outcomes import summarise
from andon.proposals import Outcome

router = APIRouter(prefix="/api/v1/decisions", tags=["decisions"], responses=PROBLEM_RESPONSES)

RULES = {
    ("GET", "/api/v1/decisions"): Role.VIEWER,
    ("GET", "/api/v1/decisions/summary"): Role.VIEWER,
    ("GET", "/api/v1/decisions/{decision_id}"): Role.VIEWER,
    ("POST", "/api/v1/decisions/{decision_id}/approve"): Role.OPERATOR,
    ("POST", "/api/v1/decisions/{decision_id}/reject"): Role.OPERATOR,
    ("POST", "/api/v1/decisions/{decision_id}/execute"): Role.OPERATOR,
    ("POST", "/api/v1/decisions/{decision_id}/outcome"): Role.ENGINEER,
    ("GET", "/api/v1/decisions/{decision_id}/execution"): Role.VIEWER,
    ("POST", "/api/v1/decisions/{decision_id}/retry"): Role.OPERATOR,
}

Ctx = Annotated[ApiContext, Depends(context)]


def _json(body: BaseModel) -> Response:
    """Return a response model as JSON at once.

    The routes declare their ``response_model`` for the document; handing FastAPI a finished
    response spares it validating our own model again (in a worker thread) and encoding it
    twice, which on a page of 50 decisions cost more than the page's query.
    """
    return Response(body.model_dump_json(), media_type="application/json")


DecisionId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Name = Annotated[str | None, Query(min_length=1, max_length=100)]


@router.get("", response_model=DecisionPage)
def list_decisions(
    *,
    who: Authorized,
    ctx: Ctx,
    limit: Limit,
    status: Annotated[list[Status] | None, Query(max_length=6)] = None,
    app: Name = None,
    supersede_key: Name = None,
    path: PathPrefix = None,
    since: Since = None,
    until: Until = None,
    shadow: bool | None = None,
    escalated: bool | None = None,
    cursor: Cursor = None,
) -> Response:
    """Return decisions newest first, in the caller's sites, filtered; page with the cursor."""
    check_range(since, until)
    after = None
    if cursor is not None:
        created, decision_id = decode_cursor(cursor, types=(int, str))
        after = (created, decision_id)
    filters = DecisionFilter(
        statuses=tuple(status or ()),
        app=app,
        supersede_key=supersede_key,
        subject_prefix=path,
        created_from=to_micros(since),
        created_to=to_micros(until),
        shadow=shadow,
        escalated=escalated,
    )
    if path is not None:
        site = "/".join(path.strip("/").split("/")[:2])
        if path.count("/") >= 1 and not who.can_see(site):
            return _json(DecisionPage(items=[], next_cursor=None))
    records = ctx.decisions.list(filters, who=who, limit=limit + 1, after=after)
    page = records[:limit]
    next_cursor = None
    if len(records) > limit:
        last = page[-1]
        next_cursor = encode_cursor(last.created_at, last.id)
    return _json(DecisionPage(items=[DecisionOut.of(r) for r in page], next_cursor=next_cursor))


@router.get("/summary")
def summary(who: Authorized, ctx: Ctx, app: Name = None) -> list[AppRecordOut]:
    """Return each app's record in the caller's sites: proposals, approvals, value, calibration."""
    sites = None if who.all_sites else tuple(who.sites)
    table = ctx.decisions.repository.outcome_table(sites=sites, app=app)
    return [AppRecordOut.of(r) for r in summarise(table)]


@router.get("/{decision_id}", response_model=DecisionOut)
def get_decision(decision_id: DecisionId, who: Authorized, ctx: Ctx) -> Response:
    """Return one decision with its evidence, factors and outcome."""
    return _json(DecisionOut.of(ctx.decisions.get(decision_id, who=who)))


@router.post("/{decision_id}/approve", response_model=DecisionOut)
def approve(decision_id: DecisionId, body: ApproveIn, who: Authorized, ctx: Ctx) -> Response:
    """Approve a proposed decision; an escalated one needs its named role or above."""
    return _json(DecisionOut.of(ctx.decisions.approve(decision_id, who=who, reason=body.reason)))


@router.post("/{decision_id}/reject", response_model=DecisionOut)
def reject(decision_id: DecisionId, body: RejectIn, who: Authorized, ctx: Ctx) -> Response:
    """Reject a proposed decision with a reason."""
    return _json(DecisionOut.of(ctx.decisions.reject(decision_id, who=who, reason=body.reason)))


@router.post("/{decision_id}/execute")
def execute(decision_id: DecisionId, who: Authorized, ctx: Ctx) -> DecisionOut:
    """Mark an approved decision as carried out (never a shadow one)."""
    return DecisionOut.of(ctx.decisions.execute(decision_id, who=who))


@router.post("/{decision_id}/outcome")
def record_outcome(
    decision_id: DecisionId, body: OutcomeIn, who: Authorized, ctx: Ctx
) -> DecisionOut:
    """Record what happened after an executed (or a shadow) decision."""
    now = now_us()
    measured = to_micros(body.measured_at) if body.measured_at is not None else now
    if measured is not None and measured > now + 60_000_000:
        raise ApiProblem(422, "outcome.future", "measured_at is in the future")
    outcome = Outcome(
        measured_at=measured or now,
        realised_value=body.realised_value,
        success=body.success,
        detail=body.detail,
    )
    return DecisionOut.of(ctx.decisions.record_outcome(decision_id, outcome=outcome, who=who))


@router.get("/{decision_id}/execution")
def execution(decision_id: DecisionId, who: Authorized, ctx: Ctx) -> ExecutionOut:
    """Return what became of an approved decision's action (its executor, state, reason)."""
    ctx.decisions.get(decision_id, who=who)  # not found outside the caller's sites
    row = ctx.decisions.executions.get(decision_id)
    if row is None:
        raise ApiProblem(
            404, "execution.not_found", f"decision {decision_id} was never given to an executor"
        )
    return ExecutionOut.of(row)


@router.post("/{decision_id}/retry")
def retry(decision_id: DecisionId, who: Authorized, ctx: Ctx) -> ExecutionOut:
    """Send a failed, refused or unanswered execution again at the loop's next round."""
    record = ctx.decisions.get(decision_id, who=who)
    if not who.at_least(record.required_role):
        raise ApiProblem(
            403, "auth.forbidden", f"retrying this decision needs the {record.required_role} role"
        )
    row = ctx.decisions.executions.retry(decision_id, actor=who.username, now=now_us())
    return ExecutionOut.of(row)
