"""``/api/v1/audit``: read the audit chain (in the caller's sites) and verify it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES
from andon.api.routes._params import Cursor, Limit
from andon.api.schemas import AuditEntryOut, AuditPage, VerifyOut, decode_cursor, encode_cursor
from andon.api.security import Authorized
from andon.decisions import Role

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=PROBLEM_RESPONSES)

RULES = {
    ("GET", "/api/v1/audit"): Role.ENGINEER,
    ("GET", "/api/v1/audit/verify"): Role.ADMIN,
}

Ctx = Annotated[ApiContext, Depends(context)]


@router.get("")
def list_entries(
    *,
    who: Authorized,
    ctx: Ctx,
    limit: Limit,
    entity: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    entity_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    cursor: Cursor = None,
) -> AuditPage:
    """Return audit entries newest first; a site-scoped user sees only their sites' entries."""
    before = decode_cursor(cursor, types=(int,))[0] if cursor is not None else None
    entries = ctx.audit.entries(
        before_seq=before,
        entity=entity,
        entity_id=entity_id,
        sites=None if who.all_sites else tuple(who.sites),
        include_global=who.all_sites,
        limit=limit + 1,
    )
    page = entries[:limit]
    next_cursor = encode_cursor(page[-1].seq) if len(entries) > limit else None
    return AuditPage(items=[AuditEntryOut.of(e) for e in page], next_cursor=next_cursor)


@router.get("/verify")
def verify(who: Authorized, ctx: Ctx) -> VerifyOut:
    """Recompute the hash chain and name the first broken link, if any."""
    del who
    return VerifyOut(**ctx.audit.verify().to_json())
