"""Decision apps, found by name through a registry.

Each app lives in its own package and offers :class:`andon.proposals.DecisionApp`. The
registry names the class of each app as ``module:attribute`` and imports it only when asked,
so that a surface that needs one app does not pay for the others.

>>> sorted(app_names())  # doctest: +SKIP
['maintenance']
"""

from __future__ import annotations

import importlib

from andon.errors import ActionError, UnknownAppError
from andon.proposals import ActionKind, DecisionApp, action_kind

__all__ = ["app_names", "get_app", "known_action_kind"]

_REGISTRY: dict[str, str] = {
    "energy": "andon.apps.energy:EnergyApp",
    "flow": "andon.apps.flow:FlowApp",
    "maintenance": "andon.apps.maintenance:MaintenanceApp",
    "quality": "andon.apps.quality:QualityApp",
}

_KIND_MODULES: tuple[str, ...] = ("andon.change.decision",)
"""Modules beside the apps that register action kinds of their own (the digital thread)."""


def known_action_kind(name: str) -> ActionKind:
    """Return the action kind ``name``, whichever apps this process has imported.

    A decision approved in the store may be of any app's kind (or an engineering change's),
    while a process runs only some apps: on a kind not yet registered, every app and every
    module that registers kinds is imported once, then the kind is looked up again. Raises
    :class:`~andon.errors.ActionError` when no module knows it.
    """
    try:
        return action_kind(name)
    except ActionError:
        for target in [*_REGISTRY.values(), *_KIND_MODULES]:
            importlib.import_module(target.split(":")[0])
        return action_kind(name)


def app_names() -> list[str]:
    """Return the names of the registered apps."""
    return sorted(_REGISTRY)


def get_app(name: str) -> DecisionApp:
    """Return a new instance of the app registered under ``name``."""
    target = _REGISTRY.get(name)
    if target is None:
        raise UnknownAppError(app=name, known=app_names())
    module_name, attribute = target.split(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    app: DecisionApp = factory()
    return app
