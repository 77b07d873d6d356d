"""Engineering change impact: what a BOM, firmware, limit or routing change touches.

>>> from andon.change import load_request, impact  # doctest: +SKIP
>>> impact(load_request("eco.yaml", model), model, store).lines  # doctest: +SKIP
"""

from __future__ import annotations

from andon.change.decision import RELEASE_CHANGE, change_proposals
from andon.change.impact import Impact, TestCheck, impact
from andon.change.request import ChangeKind, ChangeRequest, RouteStep, load_request, parse_request

__all__ = [
    "RELEASE_CHANGE",
    "ChangeKind",
    "ChangeRequest",
    "Impact",
    "RouteStep",
    "TestCheck",
    "change_proposals",
    "impact",
    "load_request",
    "parse_request",
]
