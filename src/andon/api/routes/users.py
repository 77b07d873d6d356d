"""``/api/v1/users``: user administration (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.schemas import TokenOut, UserIn, UserOut, UserPatch
from andon.api.security import Authorized
from andon.decisions import Role
from andon.decisions.access import ALL_SITES, Principal

router = APIRouter(prefix="/api/v1/users", tags=["users"], responses=PROBLEM_RESPONSES)

RULES = {
    ("GET", "/api/v1/users"): Role.ADMIN,
    ("POST", "/api/v1/users"): Role.ADMIN,
    ("GET", "/api/v1/users/{username}"): Role.ADMIN,
    ("PATCH", "/api/v1/users/{username}"): Role.ADMIN,
    ("GET", "/api/v1/users/{username}/tokens"): Role.ADMIN,
}

Ctx = Annotated[ApiContext, Depends(context)]
Username = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._@-]*$")]


def _check_scope(who: Principal, sites: list[str]) -> None:
    """A site-scoped admin manages users of their own sites only."""
    if who.all_sites:
        return
    outside = [s for s in sites if s == ALL_SITES or s not in who.sites]
    if outside:
        raise ApiProblem(403, "auth.site", f"sites outside your scope: {', '.join(outside)}")


def _visible(who: Principal, ctx: ApiContext, username: str) -> None:
    user = (
        ctx.users.get(username) if username in {u.username for u in ctx.users.all_users()} else None
    )
    if user is None or not (who.all_sites or set(user.sites) <= set(who.sites)):
        raise ApiProblem(404, "user.not_found", f"no user {username!r}")


@router.get("")
def list_users(who: Authorized, ctx: Ctx) -> list[UserOut]:
    """Return the users the caller administers."""
    return [
        UserOut.of(u)
        for u in ctx.users.all_users()
        if who.all_sites or set(u.sites) <= set(who.sites)
    ]


@router.post("", status_code=201)
def create_user(body: UserIn, who: Authorized, ctx: Ctx) -> UserOut:
    """Create a user (audited)."""
    _check_scope(who, body.sites)
    user = ctx.users.add(
        body.username, role=body.role, sites=body.sites, password=body.password, actor=who.username
    )
    return UserOut.of(user)


@router.get("/{username}")
def get_user(username: Username, who: Authorized, ctx: Ctx) -> UserOut:
    """Return one user."""
    _visible(who, ctx, username)
    return UserOut.of(ctx.users.get(username))


@router.patch("/{username}")
def change_user(username: Username, body: UserPatch, who: Authorized, ctx: Ctx) -> UserOut:
    """Change a user's role, sites, password or active flag (audited)."""
    _visible(who, ctx, username)
    if body.sites is not None:
        _check_scope(who, body.sites)
    user = ctx.users.change(
        username,
        actor=who.username,
        role=body.role,
        sites=body.sites,
        password=body.password,
        active=body.active,
    )
    return UserOut.of(user)


@router.get("/{username}/tokens")
def user_tokens(username: Username, who: Authorized, ctx: Ctx) -> list[TokenOut]:
    """Return a user's API tokens (never their secrets)."""
    _visible(who, ctx, username)
    return [TokenOut.of(t) for t in ctx.users.tokens(username)]
