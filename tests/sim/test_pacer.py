"""The one pacer: simulated seconds to wall instants, on a clock the test drives."""

from __future__ import annotations

import threading

import pytest

from andon.errors import SimulationError
from andon.sim.pacer import Pacer


class FakeClock:
    """A wall clock that moves only when the pacer sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_until_sleeps_the_simulated_span_divided_by_speed() -> None:
    clock = FakeClock()
    pacer = Pacer(speed=3600.0, clock=clock, sleep=clock.sleep)
    before = pacer.started
    assert pacer.wait_until(7200.0)  # the first call anchors: due at once
    assert clock.sleeps == []
    assert (before, pacer.started) == (False, True)
    assert pacer.anchor_s == 7200.0
    assert pacer.wait_until(7200.0 + 3 * 3600.0)
    assert clock.now == pytest.approx(103.0)
    assert pacer.wait_until(7200.0 + 3600.0)  # already due: no sleep
    assert clock.now == pytest.approx(103.0)


def test_time_spent_elsewhere_is_not_slept_again() -> None:
    clock = FakeClock()
    pacer = Pacer(speed=10.0, clock=clock, sleep=clock.sleep)
    pacer.start(0.0)
    clock.now += 4.0  # the caller worked four wall seconds
    assert pacer.wait_until(100.0)
    assert sum(clock.sleeps) == pytest.approx(6.0)


def test_a_stop_event_sleeps_in_steps_and_ends_the_wait() -> None:
    clock = FakeClock()
    stop = threading.Event()

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if len(clock.sleeps) == 3:
            stop.set()

    pacer = Pacer(speed=1.0, stop=stop, step_s=0.5, clock=clock, sleep=sleep)
    pacer.start(0.0)
    assert not pacer.wait_until(60.0)
    assert clock.sleeps == [0.5, 0.5, 0.5]


def test_speed_must_be_positive() -> None:
    with pytest.raises(SimulationError, match="speed must be positive"):
        Pacer(speed=0.0)
