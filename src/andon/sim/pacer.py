"""Pace simulated time against the wall clock: the one pacer of the simulator and the demo.

A :class:`Pacer` maps simulated seconds to wall-clock instants at ``speed`` simulated seconds
per wall second, from an anchor (the first simulated second it is asked about, or the one
given to :meth:`Pacer.start`), and sleeps until a simulated second is due. It sleeps in
steps of at most ``step_s`` so that a ``stop`` event set from another thread ends the wait
promptly. The clock and the sleep are parameters, so tests drive it without waiting.

>>> now = [0.0]
>>> pacer = Pacer(speed=60.0, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
>>> pacer.start(0.0)
>>> pacer.wait_until(120.0), now[0]  # two simulated minutes: two wall seconds
(True, 2.0)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from andon.errors import SimulationError

__all__ = ["Pacer"]


class Pacer:
    """Sleeps until simulated seconds are due at ``speed`` times real time."""

    def __init__(
        self,
        *,
        speed: float,
        stop: threading.Event | None = None,
        step_s: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not speed > 0:
            msg = f"speed must be positive, got {speed}"
            raise SimulationError(msg)
        self.speed = speed
        self.stop = stop
        self.step_s = step_s
        self._clock = clock
        self._sleep = sleep
        self._wall0: float | None = None
        self._sim0 = 0.0

    @property
    def started(self) -> bool:
        """Whether the pacer has its anchor."""
        return self._wall0 is not None

    @property
    def anchor_s(self) -> float:
        """The simulated second anchored at the wall clock (0 before the anchor)."""
        return self._sim0

    def start(self, sim_s: float) -> None:
        """Anchor simulated second ``sim_s`` at the wall clock's now."""
        self._wall0 = self._clock()
        self._sim0 = sim_s

    def due(self, sim_s: float) -> float:
        """Return the wall-clock instant (of ``clock``) at which ``sim_s`` is due."""
        if self._wall0 is None:
            self.start(sim_s)
        assert self._wall0 is not None
        return self._wall0 + (sim_s - self._sim0) / self.speed

    def wait_until(self, sim_s: float) -> bool:
        """Sleep until ``sim_s`` is due; return ``False`` if ``stop`` was set first.

        The first call anchors the pacer when :meth:`start` was not called, so it returns
        at once.
        """
        target = self.due(sim_s)
        while self.stop is None or not self.stop.is_set():
            left = target - self._clock()
            if left <= 0:
                return True
            self._sleep(left if self.stop is None else min(left, self.step_s))
        return False
