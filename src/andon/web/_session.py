"""The console's browser session: a cookie holding a session secret, CSRF and form tokens.

The secret itself is issued and checked by the user service of ``andon.decisions`` (stored
only as a digest there); the console keeps nothing but two small guards in memory: a key
to derive each session's CSRF token, and the form tokens already used, so that a form sent
twice (a double click, a reload that re-posts) acts once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from typing import Any, Protocol

from starlette.requests import Request

__all__ = ["COOKIE", "FormTokens", "Principal", "SessionBackend", "csrf_token", "csrf_valid"]

COOKIE = "andon_session"
"""Name of the session cookie (HttpOnly, SameSite=Strict)."""

_KEY = secrets.token_bytes(32)


class Principal(Protocol):
    """Who is logged in: a name, a role and the sites they may see."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> Any: ...

    @property
    def sites(self) -> tuple[str, ...]: ...

    def can_see(self, path: str | None) -> bool: ...


class SessionBackend(Protocol):
    """Starts, resolves and ends browser sessions; raises ``AuthError`` when it cannot."""

    def start(self, username: str, password: str, request: Request) -> str:
        """Check a password and return a new session secret (``request``: who asks, for
        limits on logins per address)."""
        ...

    def principal(self, secret: str) -> Principal:
        """Return who a session secret stands for; raise ``AuthError`` if expired or unknown."""
        ...

    def end(self, secret: str) -> None:
        """End a session; ending an unknown session does nothing."""
        ...


def csrf_token(secret: str) -> str:
    """Return the CSRF token of a session: an HMAC of its secret under a process key."""
    return hmac.new(_KEY, secret.encode(), hashlib.sha256).hexdigest()[:32]


def csrf_valid(secret: str, token: str | None) -> bool:
    """Return whether a form's CSRF token belongs to the session, in constant time."""
    return token is not None and hmac.compare_digest(csrf_token(secret), token)


class FormTokens:
    """One-time tokens carried by forms that change something; a token acts only once."""

    def __init__(self, *, remember: int = 10_000) -> None:
        self._used: OrderedDict[str, None] = OrderedDict()
        self._remember = remember
        self._lock = threading.Lock()

    @staticmethod
    def new() -> str:
        """Return a fresh token for a form."""
        return secrets.token_urlsafe(16)

    def use(self, token: str) -> bool:
        """Mark a token used; return ``False`` if it was used before (a second post)."""
        with self._lock:
            if token in self._used:
                return False
            self._used[token] = None
            while len(self._used) > self._remember:
                self._used.popitem(last=False)
            return True
