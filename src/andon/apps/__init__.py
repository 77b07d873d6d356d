"""Decision apps, found by name through a registry.

Each app lives in its own package and offers :class:`andon.proposals.DecisionApp`. The
registry names the class of each app as ``module:attribute`` and imports it only when asked,
so that a surface that needs one app does not pay for the others.

>>> sorted(app_names())  # doctest: +SKIP
['maintenance']
"""

from __future__ import annotations

import importlib

from andon.errors import UnknownAppError
from andon.proposals import DecisionApp

__all__ = ["app_names", "get_app"]

_REGISTRY: dict[str, str] = {
    "energy": "andon.apps.energy:EnergyApp",
    "flow": "andon.apps.flow:FlowApp",
    "maintenance": "andon.apps.maintenance:MaintenanceApp",
    "quality": "andon.apps.quality:QualityApp",
}


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
