"""Browser sessions of the console over andon's user service (``andon.decisions``).

A session is a token of kind ``session``: its secret lives in the HttpOnly cookie and only
its digest in the store, so the console and the REST API accept the same session.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from andon.decisions import NotAuthenticatedError, Principal, Role, UserService
from andon.decisions.access import split_token
from andon.errors import AndonError
from andon.web._app import Console, page_error

__all__ = ["UserSessions", "add_user_routes"]


class UserSessions:
    """Start, resolve and end browser sessions through a :class:`UserService`.

    Failed logins are counted per user name; after ``max_failures`` within ``window_s``
    seconds a login is refused without checking the password.
    """

    def __init__(
        self,
        *,
        users: UserService,
        ttl_s: int = 8 * 3600,
        max_failures: int = 5,
        window_s: float = 60.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.users = users
        self.ttl_s = ttl_s
        self.max_failures = max_failures
        self.window_s = window_s
        self._clock = clock or time.monotonic
        self._failures: dict[str, list[float]] = {}

    def _limited(self, username: str) -> bool:
        now = self._clock()
        recent = [t for t in self._failures.get(username, []) if now - t < self.window_s]
        self._failures[username] = recent
        return len(recent) >= self.max_failures

    def start(self, username: str, password: str) -> str:
        """Check the password and return a new session secret; raise ``AuthError`` if wrong."""
        name = username.strip().lower()
        if self._limited(name):
            msg = "too many failed logins; wait a minute and try again"
            raise NotAuthenticatedError(msg)
        try:
            principal = self.users.login(name, password)
        except NotAuthenticatedError:
            self._failures.setdefault(name, []).append(self._clock())
            raise
        self._failures.pop(name, None)
        issued = self.users.issue_token(
            principal.username,
            name="console session",
            actor=principal.username,
            ttl_s=self.ttl_s,
            kind="session",
        )
        return issued.secret

    def principal(self, secret: str) -> Principal:
        """Return who the session stands for; raise ``AuthError`` when it is not valid."""
        return self.users.authenticate(secret, kind="session")

    def end(self, secret: str) -> None:
        """End the session (revoke its token)."""
        try:
            token_id, _ = split_token(secret)
            self.users.revoke(token_id, actor="console")
        except AndonError:
            return


def add_user_routes(app: FastAPI, console: Console, *, users: UserService) -> None:
    """Add ``/users``: who may use andon, their role, sites and tokens (administrators only).

    Anyone else gets the same page as for an address that does not exist.
    """

    @app.get("/users", response_class=HTMLResponse, include_in_schema=False)
    def users_page(request: Request) -> HTMLResponse:
        who, secret = console.principal(request)
        if str(who.role) != Role.ADMIN.value:
            return page_error(
                console,
                request,
                status=404,
                heading="Page not found",
                message="There is no page at '/users'.",
            )
        now = int(time.time() * 1_000_000)
        tokens = users.tokens()
        return console.render.page(
            request,
            "users.html",
            console.context(
                request,
                who,
                secret,
                active="/users",
                title="Users",
                users=users.all_users(),
                tokens=tokens,
                now_us=now,
            ),
        )
