"""``/grants``: the EU Data Act grants (2023/2854 Art. 4 and 5), each with its history.

A grant is shown to a user who may see every path it names (a grant over two sites only
to a user of every site); one outside the user's sites reads as one that does not exist.
A grant's page lists its audit entries: granted, tokens issued (by id), each export with
its files' SHA-256, each read and each refused read through a token, and the revocation.
No secret is ever on a page: the store keeps only a token's digest, and the page shows
its id.

Revoking goes through :func:`andon.trace.data_act.revoke` with an audit entry, as
``andon export data-act revoke`` does; it needs the admin role (the role that manages
users and their tokens) and a valid form.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from andon.api.security import add_rule
from andon.decisions import AuditLog, Principal, Role
from andon.errors import AndonError
from andon.store.base import Store
from andon.trace.data_act import TOKENS, Grant, grants, revoke, withheld_tags
from andon.web._genealogy import THREAD_NAV
from andon.web._session import csrf_valid

__all__ = ["REVOKE_ROLE", "add_grant_routes", "grant_status", "visible_grant"]

REVOKE_ROLE = Role.ADMIN
"""The least role that may revoke a grant from the console."""
READ_ROLE = Role.ENGINEER
"""The least role that sees grants: their history is audit entries, as ``GET /api/v1/audit``."""

_ENTITY = "data_act_grant"


def _now_us() -> int:
    # Grants live on the wall clock, as the CLI grants them and the API authenticates them.
    return time.time_ns() // 1000


def grant_status(g: Grant, now_us: int) -> str:
    """Return ``revoked``, ``expired`` or ``live``."""
    if g.revoked_at_us is not None:
        return "revoked"
    return "live" if g.active(now_us) else "expired"


def visible_grant(who: Any, g: Grant) -> bool:
    """Whether ``who`` may see ``g``: every path it names lies in their sites."""
    return all(who.can_see(path) for path in g.paths)


def add_grant_routes(app: FastAPI, console: Any, *, audit: AuditLog) -> None:
    """Add ``/grants``, ``/grants/{grant_id}`` and its revoke form's target; the history is
    read from, and a revocation entered in, the served ``audit`` chain."""
    if hasattr(app.state, "route_rules"):
        add_rule(app, "GET", "/grants", READ_ROLE)
        add_rule(app, "GET", "/grants/{grant_id}", READ_ROLE)
        add_rule(app, "POST", "/grants/{grant_id}/revoke", REVOKE_ROLE)

    def frame(request: Request, who: Any, secret: str, **extra: Any) -> dict[str, Any]:
        return console.context(  # type: ignore[no-any-return]
            request, who, secret, active="/trace", thread_nav=THREAD_NAV, **extra
        )

    def refused(who: Principal) -> bool:
        # The rule table refuses a low role already; a console without one checks here.
        return not who.at_least(READ_ROLE)

    @app.get("/grants", response_class=HTMLResponse, include_in_schema=False)
    def grants_page(request: Request) -> Any:
        who, secret = console.principal(request)
        if refused(who):
            return _forbidden(console, request, READ_ROLE)
        now = _now_us()
        shown = sorted(
            (g for g in grants(console.store).values() if visible_grant(who, g)),
            key=lambda g: (-g.granted_at_us, g.grant_id),
        )
        return console.render.page(
            request,
            "grants.html",
            frame(
                request,
                who,
                secret,
                title="Data Act grants",
                grants=[(g, grant_status(g, now)) for g in shown],
                flash=request.query_params.get("done", ""),
                flash_kind="ok",
            ),
        )

    def grant_page(
        request: Request, grant_id: str, *, flash: str = "", flash_kind: str = "", code: int = 200
    ) -> Any:
        who, secret = console.principal(request)
        if refused(who):
            return _forbidden(console, request, READ_ROLE)
        found = grants(console.store).get(grant_id)
        if found is None or not visible_grant(who, found):
            return _missing(console, request)
        history = audit.entries(entity=_ENTITY, entity_id=found.grant_id, limit=200)
        for token_id in _token_ids(console.store, found.grant_id):
            history.extend(audit.entries(entity="data_act_token", entity_id=token_id, limit=50))
        history.sort(key=lambda e: -e.seq)
        return console.render.page(
            request,
            "grant.html",
            frame(
                request,
                who,
                secret,
                title=f"Grant {found.grant_id}",
                g=found,
                status=grant_status(found, _now_us()),
                withheld=withheld_tags(console.model, found),
                history=history,
                exports=[e for e in history if e.action == "data_act.export"],
                can_revoke=who.at_least(REVOKE_ROLE),
                flash=flash,
                flash_kind=flash_kind,
            ),
            status_code=code,
        )

    @app.get("/grants/{grant_id}", response_class=HTMLResponse, include_in_schema=False)
    def grant_view(request: Request, grant_id: str) -> Any:
        return grant_page(request, grant_id, flash=request.query_params.get("done", ""))

    @app.post("/grants/{grant_id}/revoke", include_in_schema=False)
    async def revoke_grant(request: Request, grant_id: str) -> Response:
        who, secret = console.principal(request)
        form = await request.form()
        if not csrf_valid(secret, str(form.get("csrf", ""))):
            return grant_page(  # type: ignore[no-any-return]
                request,
                grant_id,
                flash="This form is out of date (the page was open across a new login); "
                "nothing was changed. Please try again.",
                flash_kind="error",
                code=403,
            )
        found = grants(console.store).get(grant_id)
        if found is None or not visible_grant(who, found):
            return _missing(console, request)  # type: ignore[no-any-return]
        if not who.at_least(REVOKE_ROLE):
            return _forbidden(console, request, REVOKE_ROLE)  # type: ignore[no-any-return]

        def record(action: str, data: dict[str, Any]) -> None:
            audit.append(
                actor=who.username,
                action=action,
                entity=_ENTITY,
                entity_id=found.grant_id,
                site=found.site,
                data=data,
            )

        try:
            with audit.transaction():
                revoke(
                    console.store,
                    found.grant_id,
                    actor=who.username,
                    now_us=_now_us(),
                    record=record,
                )
        except AndonError as exc:
            return grant_page(  # type: ignore[no-any-return]
                request,
                grant_id,
                flash=f"Nothing was changed: {getattr(exc, 'reason', exc)}",
                flash_kind="error",
                code=409,
            )
        message = f"Revoked {found.grant_id} of {found.recipient}; its tokens read nothing more."
        return RedirectResponse(
            f"/grants/{quote(found.grant_id)}?done={quote(message)}", status_code=303
        )


def _token_ids(store: Store, grant_id: str) -> list[str]:
    """The ids of the grant's tokens (a refused read is entered under its token's id)."""
    store.declare_table(TOKENS)
    rows = store.read_table(TOKENS.name).to_pylist()  # one row per token issued: a handful
    return sorted({str(r["token_id"]) for r in rows if r["grant_id"] == grant_id})


def _error(console: Any, request: Request, *, status: int, heading: str, message: str) -> Any:
    who, secret = console.principal(request)
    return console.render.page(
        request,
        "error.html",
        console.context(
            request, who, secret, title=heading, heading=heading, message=message, suggestions=[]
        ),
        status_code=status,
    )


def _missing(console: Any, request: Request) -> Any:
    return _error(
        console,
        request,
        status=404,
        heading="No such grant",
        message="There is no such grant (or it names equipment of a site you cannot see).",
    )


def _forbidden(console: Any, request: Request, role: Role) -> Any:
    return _error(
        console,
        request,
        status=403,
        heading="Error 403",
        message=f"This needs the {role.value} role or above.",
    )
