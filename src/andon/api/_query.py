"""Refuse a query parameter given twice when the route takes one value, rather than pick one.

A plain ASGI middleware: it reads the raw query string and passes every other request on
untouched, without the per-request task and stream that ``@app.middleware("http")`` costs.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from andon.api.problems import problem_response
from andon.errors import Problem

__all__ = ["SingleValuedQuery"]


class SingleValuedQuery:
    """Answer 422 when a query parameter outside ``many`` appears more than once."""

    def __init__(self, app: ASGIApp, *, many: frozenset[str]) -> None:
        self.app = app
        self.many = many

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the query string of an HTTP request, then hand it on."""
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if query:
            keys = [key for key, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)]
            repeated = sorted({k for k in keys if keys.count(k) > 1} - self.many)
            if repeated:
                response = problem_response(
                    Request(scope),
                    422,
                    "request.invalid",
                    f"query parameter(s) {', '.join(repeated)} take one value each",
                    problems=[
                        Problem(
                            code="request.repeated",
                            message="given more than once",
                            path=f"query.{k}",
                        )
                        for k in repeated
                    ],
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
