"""``/api/v1/model``: the plant model, narrowed to the caller's sites."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES
from andon.api.routes._params import PathPrefix
from andon.api.security import Authorized
from andon.decisions import Role

router = APIRouter(prefix="/api/v1/model", tags=["model"], responses=PROBLEM_RESPONSES)

RULES = {
    ("GET", "/api/v1/model"): Role.VIEWER,
    ("GET", "/api/v1/model/equipment"): Role.VIEWER,
}

Ctx = Annotated[ApiContext, Depends(context)]


class SiteOut(BaseModel):
    """A site of the enterprise."""

    model_config = ConfigDict(extra="forbid")

    path: str
    name: str
    timezone: str
    areas: list[str]
    lines: list[str]
    equipment: int


class ModelOut(BaseModel):
    """The enterprise and the sites the caller may see."""

    model_config = ConfigDict(extra="forbid")

    enterprise: str
    name: str
    currency: str
    sites: list[SiteOut]


class TagOut(BaseModel):
    """A tag of an equipment."""

    model_config = ConfigDict(extra="forbid")

    path: str
    unit: str
    min: float | None
    max: float | None


class EquipmentOut(BaseModel):
    """An equipment with its class, criticality and tags."""

    model_config = ConfigDict(extra="forbid")

    path: str
    equipment_class: str
    description: str
    criticality: str
    downtime_cost_per_hour: float
    tags: list[TagOut]


@router.get("")
def get_model(who: Authorized, ctx: Ctx) -> ModelOut:
    """Return the enterprise and, for each visible site, its areas, lines and equipment count."""
    model = ctx.model
    sites = []
    for path, site in model.sites.items():
        if not who.can_see(path):
            continue
        sites.append(
            SiteOut(
                path=path,
                name=site.name,
                timezone=site.timezone,
                areas=[f"{path}/{a.id}" for a in site.areas],
                lines=[p for p in model.lines if p.startswith(path + "/")],
                equipment=sum(1 for _ in model.equipment_under(path)),
            )
        )
    enterprise = model.plant.enterprise
    return ModelOut(
        enterprise=model.root, name=enterprise.name, currency=model.currency, sites=sites
    )


@router.get("/equipment")
def list_equipment(who: Authorized, ctx: Ctx, path: PathPrefix = None) -> list[EquipmentOut]:
    """Return every visible equipment at or below a path, with its tags."""
    model = ctx.model
    prefix = (path or model.root).rstrip("/")
    items = []
    for info in model.equipment_under(prefix):
        if not who.can_see(info.path):
            continue
        tags = [t for t in model.tags.values() if t.equipment_path == info.path]
        items.append(
            EquipmentOut(
                path=info.path,
                equipment_class=info.equipment_class.id,
                description=info.equipment.description,
                criticality=str(info.equipment.criticality.value),
                downtime_cost_per_hour=info.equipment.downtime_cost_per_hour,
                tags=[
                    TagOut(
                        path=t.path,
                        unit=t.definition.unit,
                        min=t.definition.min,
                        max=t.definition.max,
                    )
                    for t in tags
                ],
            )
        )
    return items
