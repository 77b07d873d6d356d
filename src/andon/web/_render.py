"""Templates, filters and the partial-refresh rule shared by every page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

__all__ = ["PARTIAL_HEADER", "Renderer", "format_money", "format_time", "with_article"]

HERE = Path(__file__).resolve().parent
PARTIAL_HEADER = "X-Andon-Partial"
"""A request with this header gets only the page's live region, for refresh without reload."""


def format_time(micros: int | None) -> str:
    """Return ``YYYY-MM-DD HH:MM`` UTC for microseconds, or an empty string."""
    if micros is None:
        return ""
    return dt.datetime.fromtimestamp(micros / 1e6, tz=dt.UTC).strftime("%Y-%m-%d %H:%M")


def format_money(value: float | None, currency: str = "EUR") -> str:
    """Return an amount with thousands separators and the currency code."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value):,.0f} {currency}"


def with_article(word: str) -> str:
    """Return a role or noun with its indefinite article: ``an operator``, ``a viewer``.

    >>> with_article("operator"), with_article("viewer")
    ('an operator', 'a viewer')
    """
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


class Renderer:
    """Render a page whole, or only its ``live`` block when the request asks for it."""

    def __init__(self, *, version: str, currency: str, nav: list[tuple[str, str]]) -> None:
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            auto_reload=False,
        )
        self.version = version
        self.currency = currency
        self.nav = nav
        self.env.globals.update(
            static=lambda name: f"/static/{name}?v={version}",
            when=format_time,
            money=lambda value: format_money(value, currency),
            nav=nav,
            version=version,
            a=with_article,
        )

    def page(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        """Return the page, or its live region alone for a partial request."""
        tpl = self.env.get_template(template)
        ctx = {"request": request, "title": "andon", "live_every": 0, **context}
        if request.headers.get(PARTIAL_HEADER) and "live" in tpl.blocks:
            body = "".join(tpl.blocks["live"](tpl.new_context(ctx)))
        else:
            body = tpl.render(ctx)
        response = HTMLResponse(body, status_code=status_code)
        response.headers["Cache-Control"] = "no-store"
        return response
