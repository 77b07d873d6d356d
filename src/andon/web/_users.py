"""Browser sessions of the console over andon's user service (``andon.decisions``).

A session is a token of kind ``session``: its secret lives in the HttpOnly cookie and only
its digest in the store, so the console and the REST API accept the same session.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from andon.api.login_guard import LoginGuard, LoginThrottledError
from andon.decisions import NotAuthenticatedError, Principal, Role, UserService
from andon.decisions.access import split_token
from andon.errors import AndonError
from andon.web._app import Console, page_error

__all__ = ["UserSessions", "add_user_routes"]


class UserSessions:
    """Start, resolve and end browser sessions through a :class:`UserService`.

    Logins are limited as the API's are, by the same :class:`~andon.api.login_guard.LoginGuard`
    over the same counts: failures per address and user name and per address, never per
    user name alone, so that nobody locks the real user out from another address.
    """

    def __init__(
        self,
        *,
        users: UserService,
        guard: LoginGuard,
        client: Callable[[Request], str],
        ttl_s: int = 8 * 3600,
    ) -> None:
        self.users = users
        self.guard = guard
        self.client = client
        self.ttl_s = ttl_s

    def start(self, username: str, password: str, request: Request) -> str:
        """Check the password and return a new session secret; raise ``AuthError`` if wrong.

        A login from an address that spent its attempts is refused without checking the
        password, with :class:`LoginThrottledError` saying how long to wait.
        """
        name = username.strip().lower()
        address = self.client(request)
        wait = self.guard.wait_s(address, name)
        if wait > 0:
            raise LoginThrottledError(int(wait) + 1)
        self.guard.attempted(address)
        try:
            principal = self.users.login(name, password)
        except NotAuthenticatedError:
            self.guard.failed(address, name)
            raise
        self.guard.succeeded(address, name)
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
