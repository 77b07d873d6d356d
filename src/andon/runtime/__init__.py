"""The one decision loop and the surfaces' ways of running it.

:class:`Runtime` is the only composition root: store, model, apps, decisions, executor,
clock and schedule, ticked by ``andon serve`` on the wall clock (:class:`WallClock`), by
``andon demo`` on the simulator's clock (:class:`SimulatedRun`), and once by
``andon decide``. The demo's names load the simulator only when asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from andon.runtime.loop import RUNTIME_ACTOR, AppStatus, Runtime, Schedule, TickReport
from andon.runtime.wallclock import WallClock

if TYPE_CHECKING:
    from andon.runtime.demo import DEMO_USERS, SimulatedRun, SimulatedRunSettings, Summary

__all__ = [
    "DEMO_USERS",
    "RUNTIME_ACTOR",
    "AppStatus",
    "Runtime",
    "Schedule",
    "SimulatedRun",
    "SimulatedRunSettings",
    "Summary",
    "TickReport",
    "WallClock",
]

_DEMO = frozenset({"DEMO_USERS", "SimulatedRun", "SimulatedRunSettings", "Summary"})


def __getattr__(name: str) -> Any:
    if name in _DEMO:
        return getattr(importlib.import_module("andon.runtime.demo"), name)
    msg = f"module 'andon.runtime' has no attribute {name!r}"
    raise AttributeError(msg)
