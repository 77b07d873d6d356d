"""``/api/v1/data-act``: continuous read access of a Data Act grant (EU 2023/2854 Art. 4 and 5).

These routes answer a grant token (``andon export data-act token``) and nothing else; a
grant token answers nothing but these routes (:data:`andon.api.security.GRANT`). A token
reads exactly its grant: the granted equipment, record kinds and time range, with the tags
the model marks as trade secrets withheld. A revoked or expired grant is refused (403
``grant.revoked`` / ``grant.expired``); an unknown token is 401. Every read, and every
refusal of a known token, is an entry of the audit chain (``data_act.access``,
``data_act.access_refused``).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.routes._params import Cursor, Limit, PathPrefix, Since, Until, check_range
from andon.api.schemas import decode_cursor, encode_cursor, to_micros
from andon.api.security import GRANT, bearer_scheme, route_rules
from andon.records import RecordKind
from andon.trace.data_act import (
    GRANT_TOKEN_PREFIX,
    Grant,
    GrantError,
    authenticate,
    read_records,
    withheld_tags,
)

router = APIRouter(prefix="/api/v1/data-act", tags=["data-act"], responses=PROBLEM_RESPONSES)

RULES = {
    ("GET", "/api/v1/data-act/grant"): GRANT,
    ("GET", "/api/v1/data-act/records/{kind}"): GRANT,
}

Ctx = Annotated[ApiContext, Depends(context)]

_STATUS = {"grant.unknown_token": 401, "grant.revoked": 403, "grant.expired": 403}


def _now_us() -> int:
    return time.time_ns() // 1000


def _audit(ctx: ApiContext, g: Grant, action: str, data: dict[str, Any]) -> None:
    with ctx.audit.transaction():
        ctx.audit.append(
            actor=f"grant:{g.recipient}",
            action=action,
            entity="data_act_grant",
            entity_id=g.grant_id,
            site=g.site,
            data=data,
        )


def _refused(ctx: ApiContext, token: str, exc: GrantError) -> ApiProblem:
    code = exc.problems[0].code if exc.problems else exc.code
    status = _STATUS.get(code, 403)
    if status == 403:  # the token matched a grant that may no longer be used: on the record
        token_id = token.removeprefix(GRANT_TOKEN_PREFIX)[:16]
        with ctx.audit.transaction():
            ctx.audit.append(
                actor="grant-token",
                action="data_act.access_refused",
                entity="data_act_token",
                entity_id=token_id,
                data={"code": code},
            )
    headers = {"WWW-Authenticate": 'Bearer realm="andon"'} if status == 401 else None
    return ApiProblem(status, code, exc.reason, headers=headers)


def grant_of(
    request: Request,
    ctx: Ctx,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Grant:
    """Return the active grant of the request's grant token, or answer 401, 403 or 429."""
    path = str(getattr(request.scope.get("route"), "path", ""))
    if route_rules(request.app).get((request.method, path)) != GRANT:
        raise ApiProblem(403, "auth.no_rule", "this route has no access rule, so it is denied")
    if bearer is None or bearer.scheme.lower() != "bearer":
        raise ApiProblem(
            401,
            "auth.not_authenticated",
            "a Data Act grant token is needed: 'Authorization: Bearer andon_grant_...'",
            headers={"WWW-Authenticate": 'Bearer realm="andon"'},
        )
    token = bearer.credentials
    if not token.startswith(GRANT_TOKEN_PREFIX):
        raise ApiProblem(403, "auth.grant_only", "this route answers a Data Act grant token only")
    address = ctx.client(request)
    wait = ctx.token_limiter.retry_after(
        f"token-fail:{address}", limit=ctx.settings.token_max_failures
    )
    if wait > 0:
        raise ApiProblem(
            429,
            "auth.rate_limited",
            f"too many requests with a bad token from this address; try again in {int(wait) + 1} s",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    try:
        return authenticate(ctx.store, token, now_us=_now_us())
    except GrantError as exc:
        refused = _refused(ctx, token, exc)
        if refused.status == 401:  # a guessed token; one of a revoked grant is not a guess
            ctx.token_limiter.hit(f"token-fail:{address}")
        raise refused from None


GrantCaller = Annotated[Grant, Depends(grant_of)]


class GrantOut(BaseModel):
    """What a grant gives: its equipment, kinds, range, recipient and expiry (UTC µs)."""

    model_config = ConfigDict(extra="forbid")

    grant_id: str
    recipient: str
    third_party: bool
    paths: list[str]
    kinds: list[RecordKind]
    start_us: int
    end_us: int
    expires_us: int
    withheld: list[str]
    """Tags of the granted equipment withheld as trade secrets (EU 2023/2854 Art. 4(6))."""


class GrantRecordPage(BaseModel):
    """A page of a grant's records ordered by time; ``ts`` is UTC microseconds."""

    model_config = ConfigDict(extra="forbid")

    kind: RecordKind
    items: list[dict[str, Any]]
    next_cursor: str | None
    withheld: list[str]


@router.get("/grant")
def get_grant(*, g: GrantCaller, ctx: Ctx) -> GrantOut:
    """Return the grant this token reads: what, over which range, for whom, until when."""
    withheld = list(withheld_tags(ctx.model, g))
    _audit(ctx, g, "data_act.access", {"route": "grant"})
    return GrantOut(
        grant_id=g.grant_id,
        recipient=g.recipient,
        third_party=g.third_party,
        paths=list(g.paths),
        kinds=list(g.kinds),
        start_us=g.start_us,
        end_us=g.end_us,
        expires_us=g.expires_us,
        withheld=withheld,
    )


@router.get("/records/{kind}")
def get_records(
    *,
    kind: RecordKind,
    g: GrantCaller,
    ctx: Ctx,
    limit: Limit,
    path: PathPrefix = None,
    since: Since = None,
    until: Until = None,
    cursor: Cursor = None,
) -> GrantRecordPage:
    """Return the grant's records of a kind at or below a granted path in ``[since, until)``
    inside the grant's range, oldest first; poll with ``next_cursor`` for new records."""
    check_range(since, until)
    after = None
    if cursor is not None:
        cursor_ts, skip = decode_cursor(cursor, types=(int, int))
        if skip < 0 or skip > 1_000_000:
            raise ApiProblem(422, "cursor.invalid", "the cursor is not one this API gave out")
        after = (cursor_ts, skip)
    try:
        page = read_records(
            ctx.store,
            ctx.model,
            g,
            kind,
            path=path,
            start_us=to_micros(since),
            end_us=to_micros(until),
            limit=limit,
            after=after,
        )
    except GrantError as exc:
        code = exc.problems[0].code if exc.problems else exc.code
        _audit(ctx, g, "data_act.access_refused", {"route": "records", "code": code})
        raise ApiProblem(403 if code == "grant.out_of_scope" else 422, code, exc.reason) from None
    table = page.table
    ts = table.column("ts").cast(pa.int64())
    items = table.set_column(table.schema.get_field_index("ts"), "ts", ts).to_pylist()
    _audit(
        ctx,
        g,
        "data_act.access",
        {"route": "records", "kind": kind.value, "path": path, "rows": len(items)},
    )
    return GrantRecordPage(
        kind=kind,
        items=items,
        next_cursor=None if page.next_after is None else encode_cursor(*page.next_after),
        withheld=list(page.withheld),
    )
