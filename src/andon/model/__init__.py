"""The ISA-95 plant model: hierarchy, equipment classes, tags with units, parts, products, sites.

>>> from andon.model import load_model  # doctest: +SKIP
>>> model = load_model("examples/discrete")  # doctest: +SKIP
"""

from andon.model.calendar import (
    BreakSpan,
    Segments,
    ShiftSpan,
    SiteCalendar,
    WindowSpan,
    Zone,
)
from andon.model.loader import load_model, model_files
from andon.model.plant import EquipmentInfo, MeterInfo, Model, TagInfo
from andon.model.schema import PlantModel

__all__ = [
    "BreakSpan",
    "EquipmentInfo",
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
]
