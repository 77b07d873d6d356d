"""A short memory of whom a token stands for, so that a request need not ask the store.

Checking a token costs two store reads (the token, then its user); an API answering
hundreds of requests a second with the same few tokens would spend more on that than on
the request. A successful check is remembered for a few seconds under the SHA-256 of the
token (the secret itself is not kept). Every :class:`~andon.decisions.users.UserService` on
one store object shares one memory, and any change to a user or a token through them
clears it, so in one process a revocation holds at once; another process (the ``andon
users`` command beside a running server) is obeyed within ``ttl_s``.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from andon.decisions.access import Principal
from andon.store.base import Store

__all__ = ["DEFAULT_TTL_S", "PrincipalCache", "cache_for"]

DEFAULT_TTL_S = 5.0
"""How long a checked token is trusted without asking the store again."""

_MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    kind: str
    expires_at: int | None  # the token's own expiry, UTC micros
    fresh_until: float  # monotonic seconds


class PrincipalCache:
    """Remember checked tokens for ``ttl_s`` seconds (0 remembers nothing).

    >>> from andon.decisions.access import Role
    >>> cache = PrincipalCache(ttl_s=5.0, clock=lambda: 0.0)
    >>> ana = Principal(username="ana", role=Role.VIEWER, sites=("acme/lyon",))
    >>> cache.put("k", ana, kind="api", expires_at=None)
    >>> cache.get("k", kind="api", now_us=0) == ana, cache.get("k", kind="session", now_us=0)
    (True, None)
    """

    def __init__(
        self,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, key: str, *, kind: str | None, now_us: int) -> Principal | None:
        """Return the principal remembered under ``key``, if still fresh and of ``kind``."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if (
            entry.fresh_until <= self._clock()
            or (entry.expires_at is not None and now_us >= entry.expires_at)
            or (kind is not None and entry.kind != kind)
        ):
            return None
        return entry.principal

    def put(self, key: str, principal: Principal, *, kind: str, expires_at: int | None) -> None:
        """Remember a principal that a token of ``kind`` (expiring at ``expires_at``) gave."""
        if self.ttl_s <= 0:
            return
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = _Entry(principal, kind, expires_at, self._clock() + self.ttl_s)

    def clear(self) -> None:
        """Forget everything (a user or a token changed)."""
        with self._lock:
            self._entries.clear()


_CACHES: weakref.WeakKeyDictionary[Store, PrincipalCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_for(store: Store) -> PrincipalCache:
    """Return the memory shared by every user service on ``store``."""
    with _CACHES_LOCK:
        cache = _CACHES.get(store)
        if cache is None:
            cache = _CACHES[store] = PrincipalCache()
        return cache
