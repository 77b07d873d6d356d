"""A sliding-window counter per key, in memory (one process serves one API)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """Count events per key within ``window_s``; say how long until a key is allowed again.

    >>> limiter = RateLimiter(window_s=60.0, clock=lambda: 0.0)
    >>> limiter.hit("ip:1"); limiter.hit("ip:1")
    >>> limiter.retry_after("ip:1", limit=2)
    60.0
    >>> limiter.retry_after("ip:2", limit=2)
    0.0
    """

    def __init__(self, *, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window_s
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self._window:
            events.popleft()
        return events

    def hit(self, key: str) -> None:
        """Count one event for ``key`` now."""
        with self._lock:
            now = self._clock()
            self._trim(key, now).append(now)

    def retry_after(self, key: str, *, limit: int) -> float:
        """Return 0 when ``key`` is under ``limit``, else seconds until it is allowed again."""
        with self._lock:
            now = self._clock()
            events = self._trim(key, now)
            if len(events) < limit:
                if not events:
                    self._events.pop(key, None)
                return 0.0
            return max(events[0] + self._window - now, 0.0)

    def clear(self, key: str) -> None:
        """Forget a key's events (after a successful login)."""
        with self._lock:
            self._events.pop(key, None)
