"""The FastAPI application factory: one app with the REST API, on which pages can be mounted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

import andon
from andon.api._limits import BodyLimit
from andon.api._query import SingleValuedQuery
from andon.api.context import ApiContext
from andon.api.problems import PROBLEM_RESPONSES, install
from andon.api.ratelimit import RateLimiter
from andon.api.routes import (
    apps,
    audit,
    auth,
    change,
    data_act,
    decisions,
    energy,
    flow,
    health,
    kpis,
    model,
    passport,
    policy,
    quality,
    records,
    trace,
    users,
)
from andon.api.security import Authorized, route_rules
from andon.api.settings import ApiSettings
from andon.decisions import (
    AuditLog,
    DecisionService,
    PasswordPolicy,
    SettingsService,
    UserService,
    ensure_schema,
)
from andon.errors import UsageError
from andon.model import Model
from andon.runtime import Runtime, WallClock
from andon.store.base import Store

__all__ = ["OPENAPI_PATH", "create_app", "missing_rules", "openapi_document"]

OPENAPI_PATH = "/api/v1/openapi.json"

_LIST_PARAMETERS = frozenset({"status"})
"""Query parameters that may be given more than once."""

_MODULES = (
    health,
    auth,
    decisions,
    apps,
    policy,
    audit,
    users,
    model,
    records,
    kpis,
    energy,
    trace,
    data_act,
    flow,
    quality,
    passport,
    change,
)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """Return the app's OpenAPI 3.1 document (as committed in ``docs/openapi.json``)."""
    if app.openapi_schema is None:
        document = get_openapi(
            title="andon",
            version=getattr(andon, "__version__", "0"),
            openapi_version="3.1.0",
            summary="Decisions people can trust, from plant data.",
            description=(
                "Every route except `/api/v1/health` needs a bearer API token "
                "(`andon users token`) or a browser session from `POST /api/v1/auth/login`. "
                "Errors are RFC 9457 problem details (`application/problem+json`)."
            ),
            routes=app.routes,
        )
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if status.startswith(("4", "5")) and "application/problem+json" in content:
                        content.pop("application/json", None)
        app.openapi_schema = document
    return app.openapi_schema


def missing_rules(app: FastAPI) -> list[tuple[str, str]]:
    """Return every ``(method, path)`` of the app's API routes that has no access rule."""
    rules = route_rules(app)
    missing: list[tuple[str, str]] = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            missing.extend(
                (method, route.path)
                for method in sorted(route.methods or ())
                if (method, route.path) not in rules
            )
    return missing


@asynccontextmanager
async def _runtime_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While serving, tick the decision loop on the wall clock when one was given."""
    wall_clock: WallClock | None = getattr(app.state, "wall_clock", None)
    if wall_clock is None:
        yield
        return
    wall_clock.start()
    try:
        yield
    finally:
        wall_clock.stop()


def create_app(
    *,
    store: Store,
    model: Model,
    settings: ApiSettings | None = None,
    runtime: Runtime | None = None,
    wall_clock: WallClock | None = None,
) -> FastAPI:
    """Return the andon API on a store and a plant model.

    ``runtime`` is the decision loop whose apps' status the API reports; ``wall_clock``,
    when given, ticks it while the server runs (``andon serve``).

    The decision tables are created if missing and the plant model is noted in the audit
    chain when it changed. Pages added later to the returned app reuse its authentication
    (``andon.api.security.Authorized``) and must give each route a rule with
    ``andon.api.security.add_rule``; a route without one is denied.
    """
    settings = settings or ApiSettings()
    ensure_schema(store)
    users_service = UserService(
        store=store, passwords=PasswordPolicy(memory_kib=settings.password_memory_kib)
    )
    governance = SettingsService(store=store)
    governance.note_model(model)
    app = FastAPI(
        title="andon",
        version=getattr(andon, "__version__", "0"),
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        responses=PROBLEM_RESPONSES,
        lifespan=_runtime_lifespan,
    )
    app.state.andon = ApiContext(
        store=store,
        model=model,
        settings=settings,
        decisions=runtime.decisions if runtime is not None else DecisionService(store=store),
        users=users_service,
        governance=governance,
        audit=AuditLog(store=store),
        login_limiter=RateLimiter(window_s=settings.login_window_s),
        token_limiter=RateLimiter(window_s=settings.token_window_s),
    )
    app.state.route_rules = {}
    app.state.runtime = runtime
    app.state.wall_clock = wall_clock
    install(app)

    app.add_middleware(SingleValuedQuery, many=_LIST_PARAMETERS)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    for module in _MODULES:
        app.include_router(module.router)
        route_rules(app).update(module.RULES)

    @app.get(OPENAPI_PATH, tags=["health"], include_in_schema=False)
    def openapi_json(who: Authorized, request: Request) -> dict[str, Any]:
        """Return this API's OpenAPI 3.1 document."""
        del who
        return openapi_document(request.app)

    route_rules(app)[("GET", OPENAPI_PATH)] = andon.decisions.Role.VIEWER
    missing = missing_rules(app)
    if missing:
        msg = f"routes without an access rule: {missing}"
        raise UsageError(msg)
    return app
