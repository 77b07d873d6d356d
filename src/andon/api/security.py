"""Authentication (bearer tokens for programs, session cookies for browsers) and the route
rules that authorise every request: a route without a rule is denied.

Each route's rule is the least role it needs, or :data:`PUBLIC`. Rules live on the app
(``app.state.route_rules``) so that pages mounted later on the same app add their own with
:func:`add_rule`; a table-driven test checks that no route lacks one.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Final

from fastapi import Depends, FastAPI, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from andon.api.context import ApiContext
from andon.api.problems import ApiProblem
from andon.decisions.access import Principal, Role
from andon.decisions.errors import ForbiddenError, NotAuthenticatedError
from andon.trace.data_act import GRANT_TOKEN_PREFIX

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "GRANT",
    "PUBLIC",
    "SESSION_COOKIE",
    "Authorized",
    "add_rule",
    "authorized",
    "route_rules",
]

SESSION_COOKIE: Final = "andon_session"
CSRF_COOKIE: Final = "andon_csrf"
CSRF_HEADER: Final = "X-CSRF-Token"
PUBLIC: Final = "public"
"""The rule of a route anyone may call (only health)."""
GRANT: Final = "grant"
"""The rule of a route only a Data Act grant token may call (the route checks its scope);
a grant token is refused on every other route."""

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(auto_error=False, description="An API token: `andon_<id>_<secret>`.")
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="A browser session from `POST /api/v1/auth/login`; unsafe methods also need "
    f"the `{CSRF_HEADER}` header equal to the `{CSRF_COOKIE}` cookie.",
)


def route_rules(app: FastAPI) -> dict[tuple[str, str], Role | str]:
    """Return the app's rule table: ``(method, path template) -> role or PUBLIC``."""
    rules: dict[tuple[str, str], Role | str] = app.state.route_rules
    return rules


def add_rule(app: FastAPI, method: str, path: str, rule: Role | str) -> None:
    """Give a route its rule: the least role it needs, or :data:`PUBLIC`."""
    route_rules(app)[(method.upper(), path)] = rule


def _unauthenticated(detail: str) -> ApiProblem:
    return ApiProblem(
        401, "auth.not_authenticated", detail, headers={"WWW-Authenticate": 'Bearer realm="andon"'}
    )


def _too_many_failures(ctx: ApiContext, address: str) -> ApiProblem | None:
    wait = ctx.token_limiter.retry_after(
        f"token-fail:{address}", limit=ctx.settings.token_max_failures
    )
    if wait <= 0:
        return None
    return ApiProblem(
        429,
        "auth.rate_limited",
        f"too many requests with a bad token from this address; try again in {int(wait) + 1} s",
        headers={"Retry-After": str(int(wait) + 1)},
    )


async def _authenticate(ctx: ApiContext, request: Request, token: str, kind: str) -> Principal:
    """Return a token's principal: from memory when checked lately, else from the store.

    A token not remembered is checked only if its address has not spent its failures
    (``token_max_failures`` per ``token_window_s``); each failure counts against it.
    """
    known = ctx.users.cached(token, kind=kind)
    if known is not None:
        return known
    address = ctx.client(request)
    limited = _too_many_failures(ctx, address)
    if limited is not None:
        raise limited
    try:
        return await run_in_threadpool(ctx.users.authenticate, token, kind=kind)
    except NotAuthenticatedError:
        ctx.token_limiter.hit(f"token-fail:{address}")
        raise


async def _principal(
    request: Request,
    ctx: ApiContext,
    bearer: HTTPAuthorizationCredentials | None,
    session: str | None,
) -> Principal:
    try:
        if request.headers.get("authorization") is not None:
            if bearer is None or bearer.scheme.lower() != "bearer":
                raise _unauthenticated("the Authorization header must be 'Bearer <token>'")
            return await _authenticate(ctx, request, bearer.credentials, "api")
        if session:
            principal = await _authenticate(ctx, request, session, "session")
            if request.method not in _SAFE_METHODS:
                sent = request.headers.get(CSRF_HEADER, "")
                expected = request.cookies.get(CSRF_COOKIE, "")
                if not sent or not expected or not hmac.compare_digest(sent, expected):
                    msg = f"a browser session needs the {CSRF_HEADER} header for this request"
                    raise ApiProblem(403, "auth.csrf", msg)
            return principal
    except NotAuthenticatedError as exc:
        raise _unauthenticated(str(exc)) from exc
    except ForbiddenError as exc:
        raise ApiProblem(403, ForbiddenError.code, str(exc)) from exc
    raise _unauthenticated("authentication required: a bearer token or a session cookie")


async def authorized(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    session: Annotated[str | None, Depends(cookie_scheme)],
) -> Principal:
    """Return the caller, having checked the route's rule; deny when the route has none.

    It runs on the event loop: a token checked in the last seconds costs no store read and
    no worker thread; otherwise the check runs in a worker thread.
    """
    ctx: ApiContext = request.app.state.andon
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    rule = route_rules(request.app).get((request.method, path)) if path else None
    if rule is None:
        raise ApiProblem(403, "auth.no_rule", "this route has no access rule, so it is denied")
    if rule == GRANT:  # a grant route checks its token itself, never through this
        raise ApiProblem(403, "auth.grant_only", "this route answers a Data Act grant token only")
    if bearer is not None and bearer.credentials.startswith(GRANT_TOKEN_PREFIX):
        msg = "a Data Act grant token reaches only the /api/v1/data-act routes, nothing else"
        raise ApiProblem(403, "auth.grant_scope", msg)
    principal = await _principal(request, ctx, bearer, session)
    if rule != PUBLIC and isinstance(rule, Role) and not principal.at_least(rule):
        msg = f"this needs the {rule.value} role or above; {principal.username} is {principal.role}"
        raise ApiProblem(403, "auth.role", msg)
    return principal


Authorized = Annotated[Principal, Depends(authorized)]
"""The authenticated, authorised caller of a route."""
