"""The console's page routes, installed on the API's FastAPI application.

Every page is rendered on the server. A page either shows what was asked, or a clear page
saying what was wrong (unknown element, expired session, decision already decided); an
exception never reaches the browser as a stack trace.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware

from andon import __version__
from andon.decisions import Role
from andon.errors import AndonError, AuthError
from andon.model import Model
from andon.store.base import Store
from andon.time import DAY_US
from andon.web._charts import STATE_COLOURS
from andon.web._energy import add_energy_routes
from andon.web._flow import add_flow_routes
from andon.web._freshness import stopped_below, visible
from andon.web._genealogy import add_genealogy_routes
from andon.web._passport import add_passport_routes
from andon.web._plant import current_states, equipment_page, latest_time, plant_tree
from andon.web._quality import add_latent_quality_routes, quality_page
from andon.web._render import PARTIAL_HEADER, Renderer, format_time
from andon.web._session import (
    COOKIE,
    FormTokens,
    Principal,
    SessionBackend,
    csrf_token,
    csrf_valid,
)

__all__ = ["ConsoleSettings", "install_console"]

HERE = Path(__file__).resolve().parent
NAV = [
    ("/", "Overview"),
    ("/plant", "Plant"),
    ("/inbox", "Decisions"),
    ("/quality", "Data quality"),
    ("/quality/latent", "Quality risk"),
    ("/energy", "Energy"),
    ("/flow", "Flow"),
    ("/trace", "Thread"),
    ("/audit", "Audit"),
]
WINDOWS = (1, 7, 30, 90, 365)
NOW_CACHE_S = 1.0
"""Seconds the console's "now" is kept before the store is asked again."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleSettings:
    """How the console behaves: refresh period, cookie security, the demo's login hint."""

    live_every_s: int = 10
    """Seconds between refreshes of live pages (0: never)."""
    secure_cookie: bool = False
    """Send the session cookie over HTTPS only (set behind a TLS proxy)."""
    demo_hint: str = ""
    """Shown under the login form, e.g. the demo's user names."""
    default_days: int = 7
    """Days of history the equipment page shows by default."""


class _NotFoundPageError(Exception):
    def __init__(self, heading: str, message: str, suggestions: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.heading = heading
        self.message = message
        self.suggestions = suggestions


class _LoginNeededError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Console:
    """The pages and what they need: the store, the model, sessions, and the renderer."""

    def __init__(
        self,
        *,
        store: Store,
        model: Model,
        sessions: SessionBackend,
        settings: ConsoleSettings,
        clock: Callable[[], int | None] | None = None,
    ) -> None:
        self.store = store
        self.model = model
        self.sessions = sessions
        self.settings = settings
        self.forms = FormTokens()
        self.render = Renderer(version=__version__, currency=model.currency, nav=NAV)
        self._clock = clock or (lambda: latest_time(store))
        self._now_cache: tuple[float, int] | None = None
        self.equipment_extra: Callable[[str, Principal], dict[str, Any]] | None = None
        """What other pages add to an equipment page (its decisions and risk)."""
        self.node_extra: Callable[[str, int], dict[str, Any]] | None = None
        """What other pages add to a line's or area's page at a time (its KPIs)."""
        self.app_status: Callable[[], list[Any]] | None = None
        """The decision loop's status of each app, when the console runs beside one."""

    # helpers ---------------------------------------------------------------------------

    def now(self) -> int:
        """Return the console's now: the newest record's time, or the wall clock.

        Asked several times per page, it is read from the store at most once a second.
        """
        checked = time.monotonic()
        cached = self._now_cache
        if cached is not None and checked - cached[0] < NOW_CACHE_S:
            return cached[1]
        value = self._clock()
        now = value if value is not None else int(time.time() * 1_000_000)
        self._now_cache = (checked, now)
        return now

    def principal(self, request: Request) -> tuple[Principal, str]:
        """Return who is logged in and their session secret, or raise ``_LoginNeededError``."""
        secret = request.cookies.get(COOKIE)
        if not secret:
            raise _LoginNeededError("Please log in.")
        try:
            who = self.sessions.principal(secret)
        except AuthError as exc:
            raise _LoginNeededError(
                "Your session has expired or was ended; please log in again."
            ) from exc
        _check_rule(request, who)
        return who, secret

    def context(
        self, request: Request, who: Principal, secret: str, **extra: Any
    ) -> dict[str, Any]:
        """Return what every page's frame needs."""
        return {
            "user": who,
            "csrf": csrf_token(secret),
            "now_text": format_time(self.now()) + " UTC",
            "active": extra.pop("active", request.url.path),
            "live_every": self.settings.live_every_s,
            **extra,
        }

    def suggestions(self, path: str, who: Principal) -> list[tuple[str, str]]:
        """Return element paths the user may see that look like ``path``.

        Only a path inside the user's own sites gets suggestions, and only from those sites:
        a path of another site is answered exactly as one that does not exist.
        """
        if not who.can_see(path):
            return []
        visible = [p for p in self.model.elements if p != self.model.root and who.can_see(p)]
        close = difflib.get_close_matches(path, visible, n=5, cutoff=0.6)
        return [(f"/plant/{p}", p) for p in close]

    def not_found(self, path: str, who: Principal) -> _NotFoundPageError:
        return _NotFoundPageError(
            "No such element",
            f"The plant model has no element at {path!r}.",
            self.suggestions(path, who),
        )

    def crumbs(self, path: str) -> list[tuple[str, str]]:
        parts = path.split("/")
        return [("/plant/" + "/".join(parts[: i + 1]), parts[i]) for i in range(len(parts))]


def _check_rule(request: Request, who: Principal) -> None:
    """Refuse a page whose rule (in the API's table) needs a higher role than the user's."""
    route = request.scope.get("route")
    rules: dict[tuple[str, Any], Any] = getattr(request.app.state, "route_rules", {})
    rule = rules.get((request.method, getattr(route, "path", None)))
    if isinstance(rule, Role) and Role(str(who.role)).rank < rule.rank:
        raise StarletteHTTPException(403, f"This page needs the {rule.value} role or above.")


def _error_page(
    console: Console,
    request: Request,
    *,
    status: int,
    heading: str,
    message: str,
    suggestions: list[tuple[str, str]] | None = None,
) -> HTMLResponse:
    user = None
    csrf = ""
    secret = request.cookies.get(COOKIE)
    if secret:
        try:
            user = console.sessions.principal(secret)
            csrf = csrf_token(secret)
        except AuthError:
            user = None
    return console.render.page(
        request,
        "error.html",
        {
            "title": heading,
            "heading": heading,
            "message": message,
            "suggestions": suggestions or [],
            "user": user,
            "csrf": csrf,
            "now_text": format_time(console.now()) + " UTC",
        },
        status_code=status,
    )


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") or bool(
        request.headers.get(PARTIAL_HEADER)
    )


def _login_redirect(request: Request, message: str) -> Response:
    if request.headers.get(PARTIAL_HEADER):
        return HTMLResponse(message, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    # Only a browser that had a session is told it expired; a first visit is just asked to log in.
    had_session = bool(request.cookies.get(COOKIE))
    expired = "&expired=1" if had_session else ""
    response = RedirectResponse(f"/login?next={quote(target)}{expired}", status_code=303)
    if had_session:
        response.delete_cookie(COOKIE, path="/")
    return response


def install_console(
    app: FastAPI,
    *,
    store: Store,
    model: Model,
    sessions: SessionBackend,
    settings: ConsoleSettings | None = None,
    clock: Callable[[], int | None] | None = None,
) -> Console:
    """Add the console's pages, static files and error pages to ``app``; return the console."""
    console = Console(
        store=store,
        model=model,
        sessions=sessions,
        settings=settings or ConsoleSettings(),
        clock=clock,
    )
    app.state.console = console
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="console-static")

    class ServerTiming(BaseHTTPMiddleware):
        async def dispatch(
            self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            started = time.perf_counter()
            response = await call_next(request)
            took_ms = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={took_ms:.1f}"
            return response

    app.add_middleware(ServerTiming)

    previous_http = app.exception_handlers.get(StarletteHTTPException)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if _wants_html(request) and not request.url.path.startswith("/api"):
            heading = "Page not found" if exc.status_code == 404 else f"Error {exc.status_code}"
            message = (
                f"There is no page at {request.url.path!r}."
                if exc.status_code == 404
                else str(exc.detail)
            )
            return _error_page(
                console, request, status=exc.status_code, heading=heading, message=message
            )
        if previous_http is not None:
            result = previous_http(request, exc)
            return await result if isinstance(result, Awaitable) else result
        return await http_exception_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, http_error)

    async def login_needed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, _LoginNeededError)
        return _login_redirect(request, exc.message)

    async def element_not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, _NotFoundPageError)
        return _error_page(
            console,
            request,
            status=404,
            heading=exc.heading,
            message=exc.message,
            suggestions=exc.suggestions,
        )

    app.add_exception_handler(_LoginNeededError, login_needed)
    app.add_exception_handler(_NotFoundPageError, element_not_found)

    _add_session_routes(app, console)
    _add_plant_routes(app, console)
    _add_quality_routes(app, console)
    add_latent_quality_routes(app, console)
    add_energy_routes(app, console)
    add_passport_routes(app, console)
    add_flow_routes(app, console)
    add_genealogy_routes(app, console)
    return console


def _add_session_routes(app: FastAPI, console: Console) -> None:
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/", expired: int = 0) -> HTMLResponse:
        message = "Your session has expired or was ended; please log in again." if expired else ""
        return console.render.page(
            request,
            "login.html",
            {
                "title": "Log in",
                "next": next if next.startswith("/") and not next.startswith("//") else "/",
                "error": message,
                "demo_hint": console.settings.demo_hint,
                "user": None,
            },
        )

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        target = str(form.get("next", "/"))
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        try:
            secret = console.sessions.start(username, password, request)
        except AuthError as exc:
            wait = getattr(exc, "retry_after_s", None)
            return console.render.page(
                request,
                "login.html",
                {
                    "title": "Log in",
                    "next": target,
                    "error": "Unknown user or wrong password."
                    if wait is None
                    else f"Too many login attempts from this address: try again in {wait} s.",
                    "username": username,
                    "demo_hint": console.settings.demo_hint,
                    "user": None,
                },
                status_code=401,
            )
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            secret,
            httponly=True,
            samesite="strict",
            secure=console.settings.secure_cookie,
            path="/",
        )
        return response

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        secret = request.cookies.get(COOKIE)
        form = await request.form()
        if secret and csrf_valid(secret, str(form.get("csrf", ""))):
            console.sessions.end(secret)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response


def _add_plant_routes(app: FastAPI, console: Console) -> None:
    def scope(who: Principal) -> set[str] | None:
        if "*" in who.sites:
            return None
        return set(who.sites)

    @app.get("/plant", response_class=HTMLResponse, include_in_schema=False)
    def plant(request: Request) -> HTMLResponse:
        who, secret = console.principal(request)
        states = current_states(console.store, now=console.now())
        tree = plant_tree(console.model, states, sites=scope(who))
        return console.render.page(
            request,
            "tree.html",
            console.context(
                request,
                who,
                secret,
                active="/plant",
                title="Plant",
                heading="Plant",
                tree=tree,
                crumbs=[],
                colours=list(STATE_COLOURS.items()),
            ),
        )

    @app.get("/plant/{path:path}", response_class=HTMLResponse, include_in_schema=False)
    def element(request: Request, path: str, days: str | None = None) -> HTMLResponse:
        who, secret = console.principal(request)
        path = path.strip("/")
        model = console.model
        if path not in model.elements or not (path == model.root or who.can_see(path)):
            raise console.not_found(path, who)
        now = console.now()
        if path in model.equipment:
            asked = int(days) if days is not None and days.isdigit() else None
            window = asked if asked in WINDOWS else console.settings.default_days
            page = equipment_page(console.store, model, path, now=now, days=window)
            extra = console.equipment_extra
            more = extra(path, who) if extra is not None else {}
            stopped = stopped_below(console.store, model, path, now=now, since=now - DAY_US)
            return console.render.page(
                request,
                "equipment.html",
                console.context(
                    request,
                    who,
                    secret,
                    active="/plant",
                    title=path.rsplit("/", 1)[-1],
                    page=page,
                    days=window,
                    crumbs=console.crumbs(path),
                    risk=more.get("risk"),
                    decisions=more.get("decisions"),
                    stopped=stopped,
                ),
            )
        states = current_states(console.store, now=now, path_prefix=path)
        full = plant_tree(model, states, sites=scope(who))
        node = _find(full, path)
        if node is None:
            raise console.not_found(path, who)
        more = (
            console.node_extra(path, now)
            if console.node_extra is not None and node.level in {"line", "area", "site"}
            else {}
        )
        return console.render.page(
            request,
            "tree.html",
            console.context(
                request,
                who,
                secret,
                active="/plant",
                title=node.name,
                heading=f"{node.name} ({node.level})",
                tree=node,
                kpi_cards=more.get("cards"),
                kpi_period=more.get("period"),
                stopped=visible(more.get("stopped") or [], who.can_see),
                crumbs=console.crumbs(path),
                colours=list(STATE_COLOURS.items()),
            ),
        )


def _find(node: Any, path: str) -> Any:
    if node.path == path:
        return node
    for child in node.children:
        if path == child.path or path.startswith(child.path + "/"):
            return _find(child, path)
    return None


def _add_quality_routes(app: FastAPI, console: Console) -> None:
    @app.get("/quality", response_class=HTMLResponse, include_in_schema=False)
    def quality(request: Request) -> HTMLResponse:
        who, secret = console.principal(request)
        return console.render.page(
            request,
            "quality.html",
            console.context(
                request,
                who,
                secret,
                active="/quality",
                title="Data quality",
                page=quality_page(console.store, can_see=who.can_see),
            ),
        )


def page_error(
    console: Console,
    request: Request,
    exc: AndonError | None = None,
    *,
    status: int = 400,
    heading: str = "That did not work",
    message: str = "",
) -> HTMLResponse:
    """Return a clear page for an andon error raised while building a page, or a message."""
    return _error_page(
        console, request, status=status, heading=heading, message=message or str(exc or "")
    )
