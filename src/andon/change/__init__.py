"""Engineering change impact: what a BOM, firmware, limit or routing change touches.

>>> from andon.change import load_request, impact  # doctest: +SKIP
>>> impact(load_request("eco.yaml", model), model, store).lines  # doctest: +SKIP
"""

from __future__ import annotations

from andon.change.impact import Impact, TestCheck, impact
from andon.change.request import ChangeKind, ChangeRequest, RouteStep, load_request, parse_request

__all__ = [
    "ChangeKind",
    "ChangeRequest",
    "Impact",
    "RouteStep",
    "TestCheck",
    "impact",
    "load_request",
    "parse_request",
]
