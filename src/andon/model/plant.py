"""A validated plant model with the look-ups every layer needs, built once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from andon.model.schema import (
    Area,
    Cell,
    Equipment,
    EquipmentClass,
    EquipmentRole,
    Line,
    Meter,
    PlantModel,
    Product,
    Site,
    SparePart,
    TagDefinition,
)
from andon.model.units import conversion

__all__ = ["EquipmentInfo", "MeterInfo", "Model", "TagInfo"]


@dataclass(frozen=True, slots=True)
class EquipmentInfo:
    """An equipment with its place in the hierarchy and its class."""

    path: str
    site: Site
    area: Area
    line: Line
    cell: Cell
    equipment: Equipment
    equipment_class: EquipmentClass

    @property
    def site_path(self) -> str:
        """Path of the site, ``enterprise/site``."""
        return "/".join(self.path.split("/")[:2])

    @property
    def line_path(self) -> str:
        """Path of the line, ``enterprise/site/area/line``."""
        return "/".join(self.path.split("/")[:4])

    @property
    def cell_path(self) -> str:
        """Path of the cell, ``enterprise/site/area/line/cell``."""
        return "/".join(self.path.split("/")[:5])

    @property
    def ideal_cycle_time_s(self) -> float | None:
        """The equipment's ideal cycle time, or its class's."""
        return self.equipment.ideal_cycle_time_s or self.equipment_class.ideal_cycle_time_s

    @property
    def role(self) -> EquipmentRole:
        """What the equipment does: its class's declared role, else ``production`` when it has
        an ideal cycle time and ``utility`` when it has none."""
        declared = self.equipment_class.role
        if declared is not None:
            return declared
        if self.ideal_cycle_time_s is not None:
            return EquipmentRole.PRODUCTION
        return EquipmentRole.UTILITY

    @property
    def produces(self) -> bool:
        """Whether the equipment counts in OEE and effectiveness (its role is production)."""
        return self.role is EquipmentRole.PRODUCTION

    @property
    def installed_on(self) -> dt.date | None:
        """Date of installation: ``installed``, else 1 January of ``install_year``, else none."""
        if self.equipment.installed is not None:
            return self.equipment.installed
        if self.equipment.install_year is not None:
            return dt.date(self.equipment.install_year, 1, 1)
        return None

    def restored_on(self, mode_id: str) -> dt.date | None:
        """Date the failure mode was last restored to as good as new, as far as the model
        knows: its ``restored`` date, else the installation date, else none."""
        return self.equipment.restored.get(mode_id) or self.installed_on


@dataclass(frozen=True, slots=True)
class TagInfo:
    """A tag of an equipment: its definition, its source unit, and the scale to the class unit.

    ``scale`` and ``offset`` turn a value in ``source_unit`` into the class's ``definition.unit``:
    ``class_value = value * scale + offset``.
    """

    path: str
    equipment_path: str
    definition: TagDefinition
    source_unit: str
    node_id: str | None
    scale: float
    offset: float


@dataclass(frozen=True, slots=True)
class MeterInfo:
    """A meter with the path of the element it measures."""

    path: str
    owner_path: str
    meter: Meter


class Model:
    """A validated plant model; load it with :func:`andon.model.load_model`.

    >>> from andon.model import load_model  # doctest: +SKIP
    >>> model = load_model("examples/discrete")  # doctest: +SKIP
    >>> model.equipment["acme/lyon/assembly/line1/press1"].equipment_class.id  # doctest: +SKIP
    'press'
    """

    def __init__(self, plant: PlantModel, *, files: tuple[Path, ...] = ()) -> None:
        self.plant: Final = plant
        self.files: Final = files
        self.root: Final = plant.enterprise.id
        classes = {c.id: c for c in plant.equipment_classes}
        equipment: dict[str, EquipmentInfo] = {}
        tags: dict[str, TagInfo] = {}
        meters: dict[str, MeterInfo] = {}
        elements: dict[str, object] = {self.root: plant.enterprise}
        for site, area, line, cell, eq, path in _walk_equipment(plant):
            info = EquipmentInfo(path, site, area, line, cell, eq, classes[eq.class_])
            equipment[path] = info
            overrides = {o.name: o for o in eq.tags}
            for definition in info.equipment_class.tags:
                override = overrides.get(definition.name)
                unit = (override.unit if override and override.unit else None) or definition.unit
                scale, offset = conversion(unit, definition.unit)
                tag_path = f"{path}/{definition.name}"
                tags[tag_path] = TagInfo(
                    tag_path,
                    path,
                    definition,
                    unit,
                    override.node_id if override else None,
                    scale,
                    offset,
                )
        for path, element_meters in _walk_meters(plant):
            for meter in element_meters:
                meters[f"{path}/{meter.id}"] = MeterInfo(f"{path}/{meter.id}", path, meter)
        elements.update(_walk_elements(plant))
        self.classes: Final = MappingProxyType(classes)
        self.equipment: Final = MappingProxyType(equipment)
        self.tags: Final = MappingProxyType(tags)
        self.meters: Final = MappingProxyType(meters)
        self.elements: Final = MappingProxyType(elements)
        self.sites: Final = MappingProxyType({f"{self.root}/{s.id}": s for s in plant.sites})
        self.parts: Final = MappingProxyType({p.id: p for p in plant.parts})
        self.products: Final = MappingProxyType({p.id: p for p in plant.products})
        self.lines: Final = MappingProxyType(
            {
                f"{self.root}/{s.id}/{a.id}/{ln.id}": ln
                for s in plant.sites
                for a in s.areas
                for ln in a.lines
            }
        )

    @property
    def currency(self) -> str:
        """ISO 4217 currency of every amount."""
        return self.plant.enterprise.currency

    def site_of(self, path: str) -> Site:
        """Return the site an element path belongs to."""
        return self.sites["/".join(path.split("/")[:2])]

    def equipment_under(self, prefix: str) -> Iterator[EquipmentInfo]:
        """Yield every equipment whose path is ``prefix`` or below it."""
        prefix = prefix.rstrip("/")
        for path, info in self.equipment.items():
            if path == prefix or path.startswith(prefix + "/"):
                yield info

    def part(self, part_id: str) -> SparePart:
        """Return a spare part by id."""
        return self.parts[part_id]

    def product(self, product_id: str) -> Product:
        """Return a product by id."""
        return self.products[product_id]

    def counts(self) -> dict[str, int]:
        """Return how many elements of each kind the model has."""
        plant = self.plant
        return {
            "sites": len(plant.sites),
            "areas": sum(len(s.areas) for s in plant.sites),
            "lines": len(self.lines),
            "cells": sum(len(ln.cells) for ln in self.lines.values()),
            "equipment": len(self.equipment),
            "equipment_classes": len(plant.equipment_classes),
            "tags": len(self.tags),
            "meters": len(self.meters),
            "parts": len(plant.parts),
            "products": len(plant.products),
        }


def _walk_equipment(
    plant: PlantModel,
) -> Iterator[tuple[Site, Area, Line, Cell, Equipment, str]]:
    root = plant.enterprise.id
    for site in plant.sites:
        for area in site.areas:
            for line in area.lines:
                for cell in line.cells:
                    for eq in cell.equipment:
                        path = f"{root}/{site.id}/{area.id}/{line.id}/{cell.id}/{eq.id}"
                        yield site, area, line, cell, eq, path


def _walk_elements(plant: PlantModel) -> Iterator[tuple[str, object]]:
    root = plant.enterprise.id
    for site in plant.sites:
        site_path = f"{root}/{site.id}"
        yield site_path, site
        for area in site.areas:
            area_path = f"{site_path}/{area.id}"
            yield area_path, area
            for line in area.lines:
                line_path = f"{area_path}/{line.id}"
                yield line_path, line
                for cell in line.cells:
                    cell_path = f"{line_path}/{cell.id}"
                    yield cell_path, cell
                    for eq in cell.equipment:
                        yield f"{cell_path}/{eq.id}", eq


def _walk_meters(plant: PlantModel) -> Iterator[tuple[str, tuple[Meter, ...]]]:
    for path, element in _walk_elements(plant):
        element_meters: tuple[Meter, ...] = getattr(element, "meters", ())
        if element_meters:
            yield path, element_meters
