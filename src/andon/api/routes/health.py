"""``/api/v1/health``: the only route that answers without authentication."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

import andon
from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.schemas import HealthOut
from andon.errors import StoreError
from andon.store.queries import ping

router = APIRouter(tags=["health"], responses=PROBLEM_RESPONSES)

RULES = {("GET", "/api/v1/health"): "public"}


@router.get("/api/v1/health")
def health(ctx: Annotated[ApiContext, Depends(context)]) -> HealthOut:
    """Say that the service is up and its store answers (nothing else is disclosed)."""
    try:
        ping(ctx.store)
    except StoreError as exc:
        raise ApiProblem(503, "store.unavailable", "the store does not answer") from exc
    return HealthOut(status="ok", version=getattr(andon, "__version__", "0"))
