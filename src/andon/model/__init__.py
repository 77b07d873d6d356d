"""The ISA-95 plant model: hierarchy, equipment classes, tags with units, parts, products, sites.

>>> from andon.model import load_model  # doctest: +SKIP
>>> model = load_model("examples/discrete")  # doctest: +SKIP

The site calendar (:class:`SiteCalendar` and its spans) is imported on first use: it needs
NumPy, which loading and validating a model does not.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from andon.model.loader import load_model, model_files
from andon.model.plant import EquipmentInfo, MeterInfo, Model, TagInfo
from andon.model.schema import EquipmentRole, PlantModel

if TYPE_CHECKING:
    from andon.model.calendar import (
        BreakSpan,
        Segments,
        ShiftSpan,
        SiteCalendar,
        WindowSpan,
        Zone,
        tariff_at,
        tariff_hour_starts,
    )

__all__ = [
    "BreakSpan",
    "EquipmentInfo",
    "EquipmentRole",
    "MeterInfo",
    "Model",
    "PlantModel",
    "Segments",
    "ShiftSpan",
    "SiteCalendar",
    "TagInfo",
    "WindowSpan",
    "Zone",
    "load_model",
    "model_files",
    "tariff_at",
    "tariff_hour_starts",
]

_CALENDAR = frozenset(
    {
        "BreakSpan",
        "Segments",
        "ShiftSpan",
        "SiteCalendar",
        "WindowSpan",
        "Zone",
        "tariff_at",
        "tariff_hour_starts",
    }
)


def __getattr__(name: str) -> Any:
    """Import the site calendar's names on first use (PEP 562)."""
    if name in _CALENDAR:
        value = getattr(importlib.import_module("andon.model.calendar"), name)
        globals()[name] = value
        return value
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
