"""The one decision loop and the surfaces' ways of running it.

:class:`Runtime` is the only composition root of the decision loop: store, model, apps,
decisions, executor, clock and schedule, ticked by ``andon serve`` on the wall clock
(:class:`WallClock`), by ``andon demo`` on the simulator's clock (:class:`SimulatedRun`),
and once by ``andon decide``. ``andon edge`` is the same vocabulary with sources, a buffer
and a forwarder and no apps (:func:`edge_runtime`). Each name loads its stack only when asked
for, so an edge process does not pay for the apps.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from andon.runtime.demo import DEMO_USERS, SimulatedRun, SimulatedRunSettings, Summary
    from andon.runtime.edge import EdgeRuntime, EdgeSettings, edge_runtime, load_edge_settings
    from andon.runtime.loop import RUNTIME_ACTOR, AppStatus, Runtime, Schedule, TickReport
    from andon.runtime.wallclock import WallClock

__all__ = [
    "DEMO_USERS",
    "RUNTIME_ACTOR",
    "AppStatus",
    "EdgeRuntime",
    "EdgeSettings",
    "Runtime",
    "Schedule",
    "SimulatedRun",
    "SimulatedRunSettings",
    "Summary",
    "TickReport",
    "WallClock",
    "edge_runtime",
    "load_edge_settings",
]

_WHERE = {
    **dict.fromkeys(("DEMO_USERS", "SimulatedRun", "SimulatedRunSettings", "Summary"), "demo"),
    **dict.fromkeys(("EdgeRuntime", "EdgeSettings", "edge_runtime", "load_edge_settings"), "edge"),
    **dict.fromkeys(("RUNTIME_ACTOR", "AppStatus", "Runtime", "Schedule", "TickReport"), "loop"),
    "WallClock": "wallclock",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        msg = f"module 'andon.runtime' has no attribute {name!r}"
        raise AttributeError(msg)
    return getattr(importlib.import_module(f"andon.runtime.{module}"), name)
