"""One FastAPI application with the REST API and the console, as ``andon serve`` runs it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.routing import APIRoute

from andon.api import PUBLIC, ApiSettings, add_rule, create_app, route_rules
from andon.api.context import ApiContext
from andon.decisions import DecisionService, Role, UserService
from andon.model import Model
from andon.runtime import Runtime, WallClock
from andon.store.base import Store
from andon.web._app import Console, ConsoleSettings, install_console
from andon.web._changes import add_change_routes
from andon.web._decisions import add_decision_routes
from andon.web._grants import add_grant_routes
from andon.web._overview import OverviewCache, add_overview_routes
from andon.web._plant import live_clock
from andon.web._users import UserSessions, add_user_routes

__all__ = ["ConsoleServer", "build_app"]


class ConsoleServer:
    """The application and the parts a caller may want to warm or inspect."""

    def __init__(self, *, app: FastAPI, console: Console, overview: OverviewCache) -> None:
        self.app = app
        self.console = console
        self.overview = overview


def build_app(
    *,
    store: Store,
    model: Model,
    decisions: DecisionService | None = None,
    users: UserService | None = None,
    clock: Callable[[], int | None] | None = None,
    settings: ConsoleSettings | None = None,
    api_settings: ApiSettings | None = None,
    overview_days: int = 7,
    runtime: Runtime | None = None,
    wall_clock: WallClock | None = None,
) -> ConsoleServer:
    """Return the REST API (:func:`andon.api.create_app`) with the console installed on it.

    ``decisions`` replaces the API's decision service when given: the demo's runs on the
    simulated clock, so that the API and the console judge expiry by the same time.
    ``runtime`` is the decision loop whose apps' status the console shows; ``wall_clock``
    ticks it while the server runs.
    """
    api_settings = api_settings or ApiSettings()
    app = create_app(
        store=store, model=model, settings=api_settings, runtime=runtime, wall_clock=wall_clock
    )
    context: ApiContext = app.state.andon
    if decisions is not None:
        context = dataclasses.replace(context, decisions=decisions)
        app.state.andon = context
    users = users or context.users
    if clock is None and wall_clock is not None:
        clock = live_clock(store)
    console = install_console(
        app,
        store=store,
        model=model,
        sessions=UserSessions(
            users=users,
            guard=context.login_guard,
            client=context.client,
            ttl_s=api_settings.session_ttl_s,
        ),
        settings=settings,
        clock=clock,
    )
    if runtime is not None:
        console.app_status = runtime.status
    add_decision_routes(app, console, decisions=context.decisions, audit=context.audit)
    add_grant_routes(app, console, audit=context.audit)
    add_change_routes(app, console, decisions=context.decisions)
    add_user_routes(app, console, users=users)
    overview = add_overview_routes(app, console, days=overview_days)
    _give_pages_their_rules(app)
    return ConsoleServer(app=app, console=console, overview=overview)


_PAGE_RULES = {
    ("GET", "/audit"): Role.ENGINEER,  # as GET /api/v1/audit
    ("GET", "/users"): Role.ADMIN,  # as GET /api/v1/users
}
"""Pages that need more than the viewer role: the role of the API route showing the same."""


def _give_pages_their_rules(app: FastAPI) -> None:
    """Give every console page a rule in the API's table (no route goes without one).

    The pages check the session themselves (a browser is sent to the login page rather than
    given a 401), and each action's role is checked by the decision workflow.
    """
    rules = route_rules(app)
    for key, role in _PAGE_RULES.items():
        rules.setdefault(key, role)
    for route in app.routes:
        if not isinstance(route, APIRoute) or route.path.startswith("/api/"):
            continue
        for method in route.methods or ():
            if (method, route.path) not in rules:
                public = route.path in {"/login", "/favicon.ico"}
                add_rule(app, method, route.path, PUBLIC if public else Role.VIEWER)
