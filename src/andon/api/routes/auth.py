"""``/api/v1/auth``: log in (browser session), log out, who am I, and one's own API tokens."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.schemas import (
    IssuedTokenOut,
    LoginIn,
    LoginOut,
    MeOut,
    TokenIn,
    TokenOut,
    from_micros,
)
from andon.api.security import CSRF_COOKIE, SESSION_COOKIE, Authorized, authorized
from andon.decisions.access import Principal, Role
from andon.decisions.errors import NotAuthenticatedError

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=PROBLEM_RESPONSES)

RULES = {
    ("POST", "/api/v1/auth/login"): "public",
    ("POST", "/api/v1/auth/logout"): Role.VIEWER,
    ("GET", "/api/v1/auth/me"): Role.VIEWER,
    ("GET", "/api/v1/auth/tokens"): Role.VIEWER,
    ("POST", "/api/v1/auth/tokens"): Role.VIEWER,
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): Role.VIEWER,
}

Ctx = Annotated[ApiContext, Depends(context)]


@router.post(
    "/login",
    responses={
        401: {**PROBLEM_RESPONSES[401], "description": "Unknown user or wrong password."},
        429: {
            **PROBLEM_RESPONSES[429],
            "description": "Too many failed logins from this address (for this user, or in "
            "all), or too many attempts; `Retry-After` says when to try again.",
        },
    },
)
def login(body: LoginIn, request: Request, response: Response, ctx: Ctx) -> LoginOut:
    """Check a user name and password and open a browser session (rate-limited).

    Failed logins back off per client address and user name and per client address (the
    address behind a configured proxy, never a forwarded header from anyone else), never per
    user alone. The session cookie is HttpOnly and SameSite=Strict; the CSRF token in the
    body (also in a readable cookie) must come back as the X-CSRF-Token header on every
    unsafe request.
    """
    limits = ctx.settings
    guard = ctx.login_guard
    address = ctx.client(request)
    wait = guard.wait_s(address, body.username)
    if wait > 0:
        raise ApiProblem(
            429,
            "auth.rate_limited",
            f"too many login attempts from this address; try again in {int(wait) + 1} s",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    guard.attempted(address)
    try:
        principal = ctx.users.login(body.username, body.password)
    except NotAuthenticatedError as exc:
        guard.failed(address, body.username)
        raise ApiProblem(401, "auth.not_authenticated", str(exc)) from exc
    guard.succeeded(address, body.username)
    issued = ctx.users.issue_token(
        principal.username,
        name="browser session",
        actor=principal.username,
        ttl_s=limits.session_ttl_s,
        kind="session",
    )
    csrf = secrets.token_urlsafe(24)
    secure = limits.cookie_secure
    if secure is None:
        secure = request.url.scheme == "https"
    for name, value, http_only in (
        (SESSION_COOKIE, issued.secret, True),
        (CSRF_COOKIE, csrf, False),
    ):
        response.set_cookie(
            name,
            value,
            max_age=limits.session_ttl_s,
            secure=secure,
            httponly=http_only,
            samesite="strict",
            path="/",
        )
    return LoginOut(
        username=principal.username,
        role=principal.role,
        sites=list(principal.sites),
        csrf_token=csrf,
        expires_at=from_micros(issued.row.expires_at),
    )


@router.post("/logout", status_code=204)
def logout(who: Authorized, response: Response, ctx: Ctx) -> None:
    """End the caller's session (or revoke the token used for this request)."""
    if who.token_id is not None:
        ctx.users.revoke(who.token_id, actor=who.username)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/me")
def me(who: Authorized) -> MeOut:
    """Return the caller's name, role and sites."""
    return MeOut(username=who.username, role=who.role, sites=list(who.sites))


@router.get("/tokens")
def my_tokens(who: Authorized, ctx: Ctx) -> list[TokenOut]:
    """Return the caller's API tokens (never their secrets)."""
    return [TokenOut.of(t) for t in ctx.users.tokens(who.username)]


@router.post("/tokens", status_code=201)
def create_token(body: TokenIn, who: Authorized, ctx: Ctx) -> IssuedTokenOut:
    """Make an API token for the caller, optionally narrowed to some sites; shown once."""
    sites = body.sites
    if sites is not None and not who.all_sites:
        outside = [s for s in sites if s not in who.sites]
        if outside:
            raise ApiProblem(403, "auth.site", f"sites outside your scope: {', '.join(outside)}")
    if sites is None and who.token_id is not None:
        sites = list(who.sites)  # a token made with a token never widens it
    issued = ctx.users.issue_token(
        who.username, name=body.name, actor=who.username, sites=sites, ttl_s=body.ttl_s
    )
    return IssuedTokenOut(**TokenOut.of(issued.row).model_dump(), token=issued.secret)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, who: Annotated[Principal, Depends(authorized)], ctx: Ctx) -> None:
    """Revoke one of the caller's API tokens."""
    mine = {t.id for t in ctx.users.tokens(who.username)}
    if token_id not in mine:
        raise ApiProblem(404, "token.not_found", f"you have no token {token_id!r}")
    ctx.users.revoke(token_id, actor=who.username)
