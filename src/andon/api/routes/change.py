"""``/api/v1/change``: the measured outcome of a released engineering change.

``POST /api/v1/change/{decision_id}/outcome`` measures a released change decision
(:func:`andon.change.outcome.change_outcome`: yield and cycle time on the lines and equipment
it touched, before against after the release; not causal) and records it as the decision's
outcome, as ``andon change outcome`` does. A released change not yet marked executed is
marked so first: people carried it out, nothing was dispatched to the plant.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.schemas import DecisionOut
from andon.api.security import Authorized
from andon.change.outcome import decision_outcome
from andon.decisions import Role, Status
from andon.decisions._json import now_us

router = APIRouter(prefix="/api/v1/change", tags=["change"], responses=PROBLEM_RESPONSES)

RULES = {
    ("POST", "/api/v1/change/{decision_id}/outcome"): Role.ENGINEER,  # as a decision's outcome
}

Ctx = Annotated[ApiContext, Depends(context)]
DecisionId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


@router.post("/{decision_id}/outcome")
def record_change_outcome(
    *,
    decision_id: DecisionId,
    who: Authorized,
    ctx: Ctx,
    window_days: Annotated[
        float, Query(gt=0, le=365, description="days before and after the release compared")
    ] = 7.0,
) -> DecisionOut:
    """Measure a released change's yield and cycle time before and after its release on the
    lines and equipment it touched, and record that as the decision's outcome."""
    record = ctx.decisions.get(decision_id, who=who)
    now = now_us()
    found = decision_outcome(ctx.store, record, now=now, window_days=window_days)
    if found is None:
        raise ApiProblem(
            409, "change.too_early", "a change's outcome is measured a day after its release"
        )
    if record.status is Status.APPROVED and not record.shadow:
        ctx.decisions.execute(decision_id, who=who, now=now)
    return DecisionOut.of(
        ctx.decisions.record_outcome(decision_id, outcome=found, who=who, now=now)
    )
