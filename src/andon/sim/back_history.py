"""The maintenance history a simulated plant implies before its start, as work orders.

A simulated plant starts in service: each failure mode of each equipment is part-way through
its life, its wear drawn by :func:`andon.sim.wear.initial_path`. A real plant's CMMS would
show how that came about; :func:`back_history` writes it, so that an app reading the store
judges the assets with known ages from the first day:

* the commissioning of each equipment whose installation date the model gives (a preventive
  work order without a failure mode: as new in every mode);
* per failure mode, the work order that began the life in progress: the model's
  ``restored`` date when it gives one (a preventive overhaul of that mode), else the repair
  after the mode's last failure, closed when the hidden wear says the life began (the
  initial wear is drawn as a plant run to failure would have it, so no preventive work
  renewed it); none when that lies before the commissioning, which then began the life;
* preventive inspections in the site's maintenance windows of the ``inspection_days``
  before the start, one per equipment and window, as the plant's calendar schedules them
  (an inspection restores nothing, so the hidden wear stays as drawn).

The hidden wear counts load-weighted operating hours; they become calendar hours through
the equipment's wear rate and the share of the site's calendar planned for production over
the four weeks before the start (around the clock for utilities and for a site without
shifts). The records are the simulator's own: the run's source, times before the start.

>>> from andon.model import load_model
>>> from andon.sim.engine import Plant
>>> from andon.sim.scenario import Scenario
>>> plant = Plant(load_model("examples/discrete"), Scenario(), seed=1, days=1, schedule=None)
>>> table = back_history(plant, source="sim-1")
>>> sorted(set(table.column("kind").to_pylist()))
['failure', 'inspection', 'preventive']
>>> max(table.column("ts").cast("int64").to_pylist()) < plant.start_us
True
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pyarrow as pa

from andon.model.calendar import SiteCalendar
from andon.model.schema import EquipmentRole
from andon.records import TS_TYPE, MaintenanceEvent, MaintenanceKind, RecordKind, schema_of
from andon.time import DAY_US, HOUR_US, from_datetime

if TYPE_CHECKING:
    from andon.sim.engine import Plant

__all__ = ["RestoredLife", "back_history", "lives_in_progress"]

_SHARE_DAYS: Final = 28
_MIN_SHARE: Final = 0.05
_INSPECTION_H: Final = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoredLife:
    """When one failure mode of one equipment began the life it is in at the start."""

    equipment: str
    failure_mode: str
    began_us: int
    """UTC microseconds of the restoration (or the commissioning) that began the life."""
    operating_h: float
    """Operating hours of the life at the start, by the hidden wear."""
    by: MaintenanceKind | None
    """The work order that began it: ``failure`` (a repair), ``preventive`` (the model's
    ``restored`` date) or ``None`` (the commissioning)."""


def _midnight(day: dt.date) -> int:
    return from_datetime(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC))


def _planned_share(calendar: SiteCalendar, start_us: int) -> float:
    """Share of the weeks before ``start_us`` the calendar plans for production."""
    span = _SHARE_DAYS * DAY_US
    planned = calendar.planned_seconds(start_us - span, start_us) * 1e6
    return 1.0 if planned <= 0 else max(planned / span, _MIN_SHARE)


def lives_in_progress(plant: Plant) -> Iterator[RestoredLife]:
    """Yield, per equipment and failure mode of a plant not yet run, when its life began."""
    shares: dict[str, float] = {}
    for eq in plant.equipment:
        info = eq.info
        site = eq.site
        if site.path not in shares:
            shares[site.path] = _planned_share(site.cal.calendar, plant.start_us)
        share = shares[site.path] if info.role is EquipmentRole.PRODUCTION else 1.0
        installed = info.installed_on
        installed_us = None if installed is None else _midnight(installed)
        for mode, path in zip(eq.modes, eq.paths, strict=True):
            operating_h = max(-path.offset, 0.0) / eq.base_rate
            restored = info.equipment.restored.get(mode.id)
            if restored is not None and _midnight(restored) < plant.start_us:
                began, by = _midnight(restored), MaintenanceKind.PREVENTIVE
            else:
                began = plant.start_us - round(operating_h / share * HOUR_US)
                by = MaintenanceKind.FAILURE
                if installed_us is not None and began <= installed_us < plant.start_us:
                    began, by = installed_us, None
            yield RestoredLife(
                equipment=info.path,
                failure_mode=mode.id,
                began_us=began,
                operating_h=operating_h,
                by=by,
            )


class _Orders:
    """Work-order records in columns, numbered per site as ``WO-<site>-B<n>``."""

    def __init__(self) -> None:
        self.columns: dict[str, list[object]] = {
            n: [] for n in ("ts", "work_order", "path", "kind", "event", "failure_mode", "parts")
        }
        self.numbers: dict[str, int] = {}

    def add(
        self,
        *,
        site: str,
        path: str,
        kind: MaintenanceKind,
        mode: str | None,
        opened: int,
        started: int,
        closed: int,
        parts: dict[str, int] | None = None,
    ) -> None:
        self.numbers[site] = self.numbers.get(site, 0) + 1
        number = f"WO-{site}-B{self.numbers[site]:05d}"
        events = (
            (MaintenanceEvent.OPENED, opened),
            (MaintenanceEvent.STARTED, started),
            (MaintenanceEvent.CLOSED, closed),
        )
        for event, ts in events:
            self.columns["ts"].append(ts)
            self.columns["work_order"].append(number)
            self.columns["path"].append(path)
            self.columns["kind"].append(kind.value)
            self.columns["event"].append(event.value)
            self.columns["failure_mode"].append(mode)
            last = event is MaintenanceEvent.CLOSED
            self.columns["parts"].append(
                json.dumps(dict(sorted(parts.items()))) if last and parts else None
            )

    def table(self, source: str) -> pa.Table:
        schema = schema_of(RecordKind.MAINTENANCE)
        n = len(self.columns["ts"])
        return pa.Table.from_arrays(
            [
                pa.array(self.columns["ts"], pa.int64()).cast(TS_TYPE),
                pa.repeat(source, n).cast(pa.string()),
                pa.array(range(n), pa.int64()),
                *(pa.array(self.columns[name], pa.string()) for name in schema.names[3:]),
            ],
            schema=schema,
        ).sort_by([("ts", "ascending"), ("seq", "ascending")])


def back_history(plant: Plant, *, source: str, inspection_days: float = 28.0) -> pa.Table:
    """Return the ``maintenance`` records of the plant's past (see the module), all before
    its start; call it on a plant that has not run yet."""
    orders = _Orders()
    for eq in plant.equipment:
        installed = eq.info.installed_on
        if installed is not None and _midnight(installed) < plant.start_us:
            at = _midnight(installed)
            orders.add(
                site=eq.site.id,
                path=eq.path,
                kind=MaintenanceKind.PREVENTIVE,
                mode=None,
                opened=at,
                started=at,
                closed=at,
            )
    modes = {(eq.path, m.id): m for eq in plant.equipment for m in eq.modes}
    sites = {eq.path: eq.site.id for eq in plant.equipment}
    for life in lives_in_progress(plant):
        if life.by is None:
            continue
        mode = modes[(life.equipment, life.failure_mode)]
        repair_h = (
            mode.repair_h
            if life.by is MaintenanceKind.FAILURE
            else (mode.preventive_h or mode.repair_h / 2)
        )
        started = life.began_us - round(repair_h * HOUR_US)
        orders.add(
            site=sites[life.equipment],
            path=life.equipment,
            kind=life.by,
            mode=life.failure_mode,
            opened=started - HOUR_US if life.by is MaintenanceKind.FAILURE else started,
            started=started,
            closed=life.began_us,
            parts=dict(mode.parts),
        )
    lo = plant.start_us - round(inspection_days * DAY_US)
    for site in plant.sites.values():
        members = [eq for eq in plant.equipment if eq.site is site]
        for window in site.cal.calendar.maintenance_windows(lo, plant.start_us):
            if window.start + _INSPECTION_H * HOUR_US > plant.start_us:
                continue
            for eq in members:
                orders.add(
                    site=site.id,
                    path=eq.path,
                    kind=MaintenanceKind.INSPECTION,
                    mode=None,
                    opened=window.start,
                    started=window.start,
                    closed=window.start + round(_INSPECTION_H * HOUR_US),
                )
    return orders.table(source)
