"""``/api/v1/apps``: each decision app's status in the loop: last fit, rounds, last failure."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES
from andon.api.schemas import AppStatusOut
from andon.api.security import Authorized
from andon.decisions import Role

router = APIRouter(prefix="/api/v1/apps", tags=["apps"], responses=PROBLEM_RESPONSES)

RULES = {("GET", "/api/v1/apps"): Role.VIEWER}

Ctx = Annotated[ApiContext, Depends(context)]


@router.get("")
def app_status(who: Authorized, ctx: Ctx, request: Request) -> list[AppStatusOut]:
    """Return the status of every app the server's loop runs (none when it runs no loop)."""
    del who, ctx
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return []
    return [AppStatusOut.of(status) for status in runtime.status()]
