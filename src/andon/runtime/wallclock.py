"""The loop on the wall clock: a thread that ticks a :class:`~andon.runtime.loop.Runtime`.

``andon serve`` runs this beside the web server; the first tick comes at once (fitting the
apps not yet fitted), then one every ``every_s`` seconds. ``on_tick`` hears each report (a
test waits on it instead of sleeping).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

from andon.runtime.loop import Runtime, TickReport

__all__ = ["WallClock"]

_log: Final = logging.getLogger(__name__)


class WallClock:
    """Tick a runtime every ``every_s`` seconds in a thread of its own."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        every_s: float = 5.0,
        on_tick: Callable[[TickReport], None] | None = None,
    ) -> None:
        self.runtime: Final = runtime
        self._every_s = every_s
        self._on_tick = on_tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start ticking (a second call does nothing)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="andon-runtime", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.runtime.tick()
            except Exception:  # noqa: BLE001 - the server must outlive any one round
                _log.exception("a runtime tick failed; the next one follows")
            else:
                if self._on_tick is not None:
                    self._on_tick(report)
            self._stop.wait(self._every_s)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the tick in progress, and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
