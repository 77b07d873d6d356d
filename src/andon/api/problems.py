"""Errors as RFC 9457 problem details (``application/problem+json``), for every 4xx and 5xx.

Library errors are translated here: FastAPI's validation (malformed JSON, wrong types,
unknown fields, out-of-range values) becomes 422 with every error and where it was; andon's
own errors map to a status by family (:data:`STATUS_BY_FAMILY`) with their ``code`` in the
body; anything unexpected becomes a 500 problem without internals. The ``errors`` of a 422
are :meth:`andon.errors.Problem.to_json` items, the same problems the CLI prints.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from andon import errors
from andon.decisions.errors import DecisionNotFoundError, InvalidInputError, NotAuthenticatedError
from andon.errors import (
    ActionError,
    AndonError,
    AppError,
    AuthError,
    ConnectError,
    DecisionError,
    ExecutionError,
    InputError,
    InsufficientHistoryError,
    StoreError,
    UnknownAppError,
    UsageError,
)

__all__ = [
    "PROBLEM_RESPONSES",
    "STATUS_BY_FAMILY",
    "ApiProblem",
    "Problem",
    "ProblemItem",
    "andon_status",
    "install",
    "problem_response",
]

_log = logging.getLogger("andon.api")

MEDIA_TYPE = "application/problem+json"


class ProblemItem(BaseModel):
    """One thing wrong with a request and where: :meth:`andon.errors.Problem.to_json`.

    ``loc`` is where, as the CLI prints it (``file:line`` and the element path, or the path
    into the request such as ``body.reason``); ``code`` is stable, ``message`` for people.
    """

    model_config = ConfigDict(extra="forbid")

    code: str
    loc: str
    message: str
    expected: str | None = None
    file: str | None = None
    line: int | None = None
    path: str | None = None


class Problem(BaseModel):
    """An RFC 9457 problem: a stable ``code`` to match on, ``detail`` for people."""

    model_config = ConfigDict(extra="forbid")

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[ProblemItem] | None = None


class ApiProblem(Exception):  # noqa: N818 - it is a response, named for what the client gets
    """Raise inside an endpoint to answer with a problem."""

    def __init__(
        self, status: int, code: str, detail: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service unavailable",
}

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "description": _TITLES[status],
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503)
}
"""The problem responses every operation documents."""


STATUS_BY_FAMILY: dict[type[AndonError], int] = {
    # bad data a person gave: the request cannot be processed as it is
    InputError: 422,
    InvalidInputError: 422,
    ActionError: 422,
    # a workflow or a resource in a state that refuses the request
    DecisionError: 409,
    InsufficientHistoryError: 409,
    AppError: 500,
    DecisionNotFoundError: 404,
    UnknownAppError: 404,
    NotAuthenticatedError: 401,
    AuthError: 403,
    # something andon depends on failed, not the request
    ExecutionError: 502,
    ConnectError: 502,
    StoreError: 503,
    # andon called wrongly by andon: a bug on the server, not the client's fault
    UsageError: 500,
    AndonError: 500,
}
"""The HTTP status of each family of :class:`~andon.errors.AndonError`; an error takes the
status of the nearest class in its method resolution order, and its own ``code``."""

_HIDDEN_DETAIL = {
    500: "an unexpected error; it was logged",
    502: "a system andon relies on failed; it was logged",
    503: "the store is not available; it was logged",
}
"""What a 5xx answer says instead of the error's message, which tells internals (addresses,
queries, the server's own code) and goes to the log; the ``code`` still says which error."""


def andon_status(error: AndonError | type[AndonError]) -> int:
    """Return the HTTP status of an andon error or error class: its nearest family's."""
    cls = error if isinstance(error, type) else type(error)
    for family in cls.__mro__:
        status = STATUS_BY_FAMILY.get(family)
        if status is not None:
            return status
    return 500


def problem_response(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    problems: Sequence[errors.Problem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Return a problem+json response; ``problems`` become its ``errors``, in the CLI's order."""
    body: dict[str, Any] = {
        "type": f"https://andon.dev/problems/{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
    }
    if problems is not None:
        body["errors"] = [problem.to_json() for problem in errors.Problem.ordered(problems)]
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _validation_problems(exc: RequestValidationError) -> list[errors.Problem]:
    """FastAPI's validation errors as problems: ``request.<pydantic type>`` at ``body.field``."""
    return [
        errors.Problem(
            code=f"request.{error['type']}",
            message=str(error.get("msg", "")),
            path=".".join(str(part) for part in error.get("loc", ())),
        )
        for error in exc.errors()
    ]


def _summary(problems: Iterable[errors.Problem], limit: int = 5) -> str:
    return "; ".join(f"{p.location() or 'request'}: {p.message}" for p in list(problems)[:limit])


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """Return every method some route at the request's path takes (RFC 9110 15.5.6).

    Starlette answers 405 with the methods of the first route whose path matches; a path
    served by several routes (``GET`` and ``POST`` on one collection) takes all of theirs.
    Each method is asked of the app's routes as the router would ask it.
    """
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def install(app: FastAPI) -> None:
    """Register the problem handlers on an app."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem_response(request, exc.status, exc.code, exc.detail, headers=exc.headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = _validation_problems(exc)
        detail = f"the request is not valid: {_summary(problems)}"
        return problem_response(request, 422, "request.invalid", detail, problems=problems)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        codes = {404: "route.not_found", 405: "method.not_allowed"}
        code = codes.get(exc.status_code, f"http.{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 404:
            detail = f"no resource at {request.url.path}"
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            detail = f"{request.method} is not allowed here; allowed: {', '.join(allowed)}"
        return problem_response(request, exc.status_code, code, detail, headers=headers)

    async def on_andon(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AndonError)
        status = andon_status(exc)
        if status >= 500:
            _log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc, exc_info=exc)
            detail = _HIDDEN_DETAIL.get(status, _HIDDEN_DETAIL[500])
            return problem_response(request, status, exc.code, detail)
        detail = getattr(exc, "summary", None) or str(exc)
        problems = exc.problems or None
        return problem_response(request, status, exc.code, detail, problems=problems)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        return problem_response(request, 500, "internal", "an unexpected error; it was logged")

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(AndonError, on_andon)
    app.add_exception_handler(Exception, on_unexpected)
