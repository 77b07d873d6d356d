"""``/passports/{serial}``: the console page of a battery unit's passport.

Like the API route it mirrors, the page is open: without a session it shows the public
part (Battery Regulation Annex XIII 1); with one, what the user's role and sites allow
(:func:`andon.passport.level_for`). It shows the same Battery Pass document the API gives,
so that the page and ``GET /api/v1/passports/{serial}`` never disagree.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from andon.api.security import PUBLIC, add_rule
from andon.decisions import Principal
from andon.errors import AuthError
from andon.passport import (
    AccessLevel,
    PassportError,
    UnknownPassportError,
    level_for,
    passport,
    to_battery_pass,
)
from andon.web._render import format_time
from andon.web._session import COOKIE, csrf_token

__all__ = ["add_passport_routes"]

PATH = "/passports/{serial}"


def _reader(console: Any, request: Request) -> tuple[Principal | None, str]:
    secret = request.cookies.get(COOKIE)
    if not secret:
        return None, ""
    try:
        return console.sessions.principal(secret), secret
    except AuthError:
        return None, ""


def add_passport_routes(app: FastAPI, console: Any) -> None:
    """Add ``/passports/{serial}``, open to anyone at the public level."""
    if hasattr(app.state, "route_rules"):
        add_rule(app, "GET", PATH, PUBLIC)

    @app.get(PATH, response_class=HTMLResponse, include_in_schema=False)
    def passport_page(request: Request, serial: str, level: str | None = None) -> HTMLResponse:
        who, secret = _reader(console, request)
        frame: dict[str, Any] = {
            "user": who,
            "csrf": csrf_token(secret) if secret else "",
            "now_text": format_time(console.now()) + " UTC",
            "active": "",
        }
        try:
            found = passport(console.store, console.model, serial)
        except PassportError as exc:
            status = 404 if isinstance(exc, UnknownPassportError) else 422
            return console.render.page(  # type: ignore[no-any-return]
                request,
                "error.html",
                {
                    **frame,
                    "title": "No passport",
                    "heading": "No passport",
                    "message": f"{exc.reason} [{exc.code}]",
                    "suggestions": [],
                },
                status_code=status,
            )
        asked = AccessLevel(level) if level in {a.value for a in AccessLevel} else None
        role = None if who is None else str(who.role)
        of_site = who is not None and who.can_see(found.site)
        granted = level_for(role, of_site=of_site, asked=asked)
        document = to_battery_pass(found, granted)
        api = f"/api/v1/passports/{quote(found.serial, safe='')}"
        return console.render.page(  # type: ignore[no-any-return]
            request,
            "passport.html",
            {
                **frame,
                "title": f"Passport {found.serial}",
                "p": found,
                "doc": document,
                "aspects": document["aspects"],
                "level": granted.value,
                "levels": [a.value for a in AccessLevel if granted.allows(a)],
                "api": api,
                "made": format_time(found.manufactured_us) + " UTC",
            },
        )
