"""After a failure: expedite the part an asset is waiting for, when the hours saved pay for it.

A failure work order that is opened but not started waits for its crew or its parts. When the
failure mode's parts are not on the shelf, the repair waits for the delivery at the normal
lead time from the failure (the store's reorder). Expediting brings the part in the expedite
lead time from now: the production hours between the two arrivals, at the asset's cost of
downtime, are the saving; the expedite fee is the cost. Pure function of frames and the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from andon.model import Model
from andon.records import MaintenanceEvent, MaintenanceKind
from andon.time import HOUR_US

__all__ = ["Expedite", "expedite_for_failures"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Expedite:
    """Expedite ``quantity`` of ``part`` for a failed asset waiting for it."""

    equipment: str
    work_order: str
    failure_mode: str
    part: str
    site: str
    quantity: int
    production_hours_saved: float
    saving: float
    """Downtime cost saved less the expedite fee, in the model's currency."""


def expedite_for_failures(
    model: Model,
    maintenance: pl.DataFrame,
    on_hand: Mapping[tuple[str, str], int],
    *,
    now: int,
    production_hours: Callable[[str, float, float], float],
) -> list[Expedite]:
    """Return the parts worth expediting for failures waiting for them at ``now``.

    ``on_hand`` maps (site id, part) to parts on the shelf; ``production_hours(site, a, b)``
    gives the planned production hours between ``a`` and ``b`` hours from now.
    """
    if maintenance.is_empty():
        return []
    failures = maintenance.filter(pl.col("kind") == MaintenanceKind.FAILURE.value)
    if failures.is_empty():
        return []
    events = failures.group_by("work_order").agg(
        pl.col("path").first(),
        pl.col("failure_mode").first(),
        pl.col("ts").filter(pl.col("event") == MaintenanceEvent.OPENED.value).min().alias("opened"),
        (pl.col("event") != MaintenanceEvent.OPENED.value).any().alias("moved_on"),
    )
    waiting = events.filter(~pl.col("moved_on") & pl.col("opened").is_not_null()).sort("opened")
    out: list[Expedite] = []
    claimed: dict[tuple[str, str], int] = {}
    for row in waiting.iter_rows(named=True):
        info = model.equipment.get(row["path"])
        if info is None:
            continue
        modes = {m.id: m for m in info.equipment_class.failure_modes}
        mode = modes.get(str(row["failure_mode"]))
        if mode is None:
            continue
        site_id = info.site_path.split("/")[-1]
        cost_h = info.equipment.downtime_cost_per_hour
        since_h = (now - int(row["opened"])) / HOUR_US
        for part_id, qty in sorted(mode.parts.items()):
            part = model.parts.get(part_id)
            if part is None or part.expedite_lead_time_days is None:
                continue
            key = (site_id, part_id)
            shelf = on_hand.get(key, 0) - claimed.get(key, 0)
            claimed[key] = claimed.get(key, 0) + qty
            short = qty - max(shelf, 0)
            if short <= 0:
                continue
            normal_h = max(part.lead_time_days * 24.0 - since_h, 0.0)
            fast_h = part.expedite_lead_time_days * 24.0
            if fast_h >= normal_h:
                continue
            hours = production_hours(info.site_path, fast_h, normal_h)
            saving = hours * cost_h - part.expedite_cost
            if saving > 0:
                out.append(
                    Expedite(
                        equipment=row["path"],
                        work_order=str(row["work_order"]),
                        failure_mode=mode.id,
                        part=part_id,
                        site=info.site_path,
                        quantity=short,
                        production_hours_saved=hours,
                        saving=saving,
                    )
                )
    return out
