"""``/api/v1/passports/{serial}``: a battery unit's passport, the target of its QR code.

The public part of a passport (Battery Regulation Annex XIII 1) is open: a request with
no credentials reads it. With a token or a session, the caller reads at the level its role
and sites allow (:func:`andon.passport.level_for`); a bad token is refused, never read as
no token. ``level`` asks for a lower level than the caller's; a higher one is refused.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.security import PUBLIC, authorized, bearer_scheme, cookie_scheme
from andon.decisions import Principal
from andon.passport import (
    AccessLevel,
    PassportError,
    UnknownPassportError,
    level_for,
    passport,
    to_aas,
    to_battery_pass,
)

router = APIRouter(prefix="/api/v1/passports", tags=["passports"], responses=PROBLEM_RESPONSES)

RULES = {("GET", "/api/v1/passports/{serial}"): PUBLIC}

Ctx = Annotated[ApiContext, Depends(context)]


class PassportFormat(StrEnum):
    """How a passport is written."""

    BATTERY = "battery-pass"
    AAS = "aas"


async def reader(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    session: Annotated[str | None, Depends(cookie_scheme)],
) -> Principal | None:
    """Return the caller when it sent credentials (checked as on every route), else None."""
    if request.headers.get("authorization") is None and not session:
        return None
    return await authorized(request, bearer, session)


Reader = Annotated[Principal | None, Depends(reader)]


@router.get("/{serial}")
async def get_passport(
    *,
    serial: str,
    who: Reader,
    ctx: Ctx,
    format: Annotated[
        PassportFormat,
        Query(description="battery-pass: Battery Pass v1.2.0 JSON; aas: AAS V3.0 JSON"),
    ] = PassportFormat.BATTERY,
    level: Annotated[
        AccessLevel | None,
        Query(description="read at this Annex XIII level (at most the caller's)"),
    ] = None,
) -> dict[str, Any]:
    """Return the passport of a battery unit at the caller's Annex XIII access level."""
    try:
        found = await run_in_threadpool(passport, ctx.store, ctx.model, serial)
    except UnknownPassportError as exc:
        raise ApiProblem(404, exc.code, exc.reason) from None
    except PassportError as exc:
        status = 422 if exc.code == "passport.invalid" else 404
        raise ApiProblem(status, exc.code, exc.reason) from None
    role = None if who is None else str(who.role)
    of_site = who is not None and who.can_see(found.site)
    granted = level_for(role, of_site=of_site, asked=level)
    if level is not None and granted != level:
        msg = f"this passport is readable at the {granted.value} level by this caller"
        raise ApiProblem(403, "auth.role", msg)
    if format is PassportFormat.AAS:
        return to_aas(found)
    return to_battery_pass(found, granted)
