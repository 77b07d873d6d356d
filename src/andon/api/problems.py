"""Errors as RFC 9457 problem details (``application/problem+json``), for every 4xx and 5xx.

Library errors are translated here: FastAPI's validation (malformed JSON, wrong types,
unknown fields, out-of-range values) becomes 422 with every error and where it was; andon's
own errors map by class; anything unexpected becomes a 500 problem without internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from andon.decisions.errors import (
    DecisionConflictError,
    DecisionExpiredError,
    DecisionNotFoundError,
    ForbiddenError,
    IllegalTransitionError,
    InvalidInputError,
    NotAuthenticatedError,
)
from andon.errors import AndonError, AuthError, DecisionError, KpiError, ModelError, StoreError

__all__ = ["PROBLEM_RESPONSES", "ApiProblem", "Problem", "ProblemItem", "install"]

_log = logging.getLogger("andon.api")

MEDIA_TYPE = "application/problem+json"


class ProblemItem(BaseModel):
    """One thing wrong with a request and where: ``loc`` is the path into it."""

    model_config = ConfigDict(extra="forbid")

    loc: list[str | int]
    msg: str
    type: str


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
    503: "Service unavailable",
}

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "description": _TITLES[status],
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status in (400, 401, 403, 404, 405, 409, 415, 422, 429, 503)
}
"""The problem responses every operation documents."""


def problem_response(
    request: Request,
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Return a problem+json response."""
    body: dict[str, Any] = {
        "type": f"https://andon.dev/problems/{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _validation_items(exc: RequestValidationError) -> list[dict[str, Any]]:
    items = []
    for error in exc.errors():
        loc = [p if isinstance(p, int) else str(p) for p in error.get("loc", ())]
        items.append({"loc": loc, "msg": str(error.get("msg", "")), "type": str(error["type"])})
    return items


def _andon_status(exc: AndonError) -> tuple[int, str]:
    mapping: list[tuple[type[AndonError], int, str]] = [
        (DecisionNotFoundError, 404, DecisionNotFoundError.code),
        (DecisionExpiredError, 409, DecisionExpiredError.code),
        (DecisionConflictError, 409, DecisionConflictError.code),
        (IllegalTransitionError, 409, IllegalTransitionError.code),
        (InvalidInputError, 422, InvalidInputError.code),
        (NotAuthenticatedError, 401, NotAuthenticatedError.code),
        (ForbiddenError, 403, ForbiddenError.code),
        (AuthError, 403, "auth.forbidden"),
        (DecisionError, 409, "decision.error"),
        (KpiError, 422, "kpi.error"),
        (ModelError, 422, "model.error"),
        (StoreError, 503, "store.unavailable"),
    ]
    for cls, status, code in mapping:
        if isinstance(exc, cls):
            return status, code
    return 400, "andon.error"


def install(app: FastAPI) -> None:
    """Register the problem handlers on an app."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem_response(request, exc.status, exc.code, exc.detail, headers=exc.headers)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        items = _validation_items(exc)
        where = "; ".join(f"{'.'.join(str(p) for p in i['loc'])}: {i['msg']}" for i in items[:5])
        return problem_response(
            request, 422, "request.invalid", f"the request is not valid: {where}", errors=items
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        codes = {404: "route.not_found", 405: "method.not_allowed"}
        code = codes.get(exc.status_code, f"http.{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        if exc.status_code == 404:
            detail = f"no resource at {request.url.path}"
        return problem_response(
            request, exc.status_code, code, detail, headers=getattr(exc, "headers", None)
        )

    async def on_andon(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AndonError)
        status, code = _andon_status(exc)
        if status == 503:
            _log.error("store error on %s: %s", request.url.path, exc)
            return problem_response(request, status, code, "the store is not available")
        return problem_response(request, status, code, str(exc))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        return problem_response(request, 500, "internal", "an unexpected error; it was logged")

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(AndonError, on_andon)
    app.add_exception_handler(Exception, on_unexpected)
