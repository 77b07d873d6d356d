"""What every request handler shares: the store, the model, the services and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from andon.api._limits import client_address
from andon.api.login_guard import LoginGuard
from andon.api.ratelimit import RateLimiter
from andon.api.settings import ApiSettings
from andon.decisions import AuditLog, DecisionService, SettingsService, UserService
from andon.model import Model
from andon.store.base import Store

__all__ = ["ApiContext", "context"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiContext:
    """The services one API instance runs on (kept on ``app.state.andon``)."""

    store: Store
    model: Model
    settings: ApiSettings
    decisions: DecisionService
    users: UserService
    governance: SettingsService
    audit: AuditLog
    login_limiter: RateLimiter
    token_limiter: RateLimiter
    """Failed bearer tokens and sessions per client address."""

    def client(self, request: Request) -> str:
        """Return the address a request came from (through the trusted proxies only)."""
        return client_address(request, trusted_proxies=self.settings.trusted_proxies)

    @property
    def login_guard(self) -> LoginGuard:
        """Return the login limits, over the limiter the API and the console share."""
        return LoginGuard(self.login_limiter, self.settings)


async def context(request: Request) -> ApiContext:
    """Return the API context of the app serving a request (async: no worker thread)."""
    ctx: ApiContext = request.app.state.andon
    return ctx
