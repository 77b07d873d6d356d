"""What it costs when an asset is down, now and in each coming window, from the routing.

An hour of downtime costs the equipment's ``downtime_cost_per_hour`` only when production is
planned (the site's shift calendar) and only for the share of the cell's capacity that is
lost: parallel machines of one cell are redundant, so losing one of ``n`` loses ``1/n`` of
the cell. The buffer in front of the cell absorbs the first hours of a stop (units waiting
keep the downstream stations fed), so those hours cost nothing. When another line can make
the same products, production can move there for the stop, at the price of a changeover.

Times here are hours from ``now``. Planned production comes from the site's one calendar
(:class:`andon.model.SiteCalendar`: shifts less planned breaks, holidays, daylight saving);
:class:`PlanningCalendar` only puts it on that hour scale beside the maintenance slots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from andon.model import EquipmentInfo, Model
from andon.model import SiteCalendar as ModelCalendar
from andon.model.schema import Site
from andon.time import HOUR_US, Micros, to_datetime

__all__ = [
    "Criticality",
    "MaintenanceSlot",
    "PlanningCalendar",
    "criticality_of",
    "site_calendar",
]


@dataclass(frozen=True, slots=True)
class MaintenanceSlot:
    """A time when planned work can happen: now, or an occurrence of a maintenance window."""

    id: str
    start_h: float
    duration_h: float
    crew_hours: float


@dataclass(frozen=True, slots=True)
class PlanningCalendar:
    """A site's planned production in hours from ``now``, and its maintenance slots.

    With no shifts in the model, production is taken as planned around the clock (the
    costly assumption, so that a missing calendar never hides a downtime cost).
    """

    calendar: ModelCalendar
    now: Micros
    slots: tuple[MaintenanceSlot, ...]
    around_the_clock: bool

    def planned_hours(self, start_h: float, duration_h: float) -> float:
        """Return the production hours planned in ``[start_h, start_h + duration_h)``."""
        return float(self.planned_hours_many(np.array([start_h]), np.array([duration_h]))[0])

    def planned_hours_many(
        self, start_h: NDArray[np.float64], duration_h: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Vectorised :meth:`planned_hours`; time before ``now`` counts nothing."""
        lo = np.clip(np.asarray(start_h, dtype=np.float64), 0.0, None)
        hi = np.maximum(np.asarray(start_h + duration_h, dtype=np.float64), lo)
        if self.around_the_clock:
            return np.asarray(hi - lo, dtype=np.float64)
        seconds = self.calendar.planned_seconds_many(
            self.now + np.round(lo * HOUR_US).astype(np.int64),
            self.now + np.round(hi * HOUR_US).astype(np.int64),
        )
        return np.asarray(seconds / 3600.0, dtype=np.float64)


def site_calendar(site: Site, *, now: int, horizon_h: float) -> PlanningCalendar:
    """Return the planned production of a site from ``now`` and its maintenance slots."""
    calendar = ModelCalendar.of(site)
    technicians = sum(crew.size for crew in site.crews) or 1
    slots = [MaintenanceSlot("now", 0.0, 8.0, technicians * min(8.0, horizon_h))]
    # Later days, in production time: what a part ordered or expedited today arrives for.
    slots.extend(
        MaintenanceSlot(f"day+{d}", 24.0 * d, 8.0, technicians * 8.0)
        for d in (1, 2, 3)
        if 24.0 * d < horizon_h
    )
    end = now + round(horizon_h * HOUR_US)
    zone = calendar.timezone
    for window in calendar.maintenance_windows(now, end):
        start_h = (window.start - now) / HOUR_US
        if 0.0 < start_h < horizon_h:
            duration_h = (window.end - window.start) / HOUR_US
            local = to_datetime(window.start).astimezone(zone)
            slots.append(
                MaintenanceSlot(
                    f"{window.window_id}@{local.strftime('%a %d %b %H:%M')}",
                    start_h,
                    duration_h,
                    technicians * duration_h,
                )
            )
    slots.sort(key=lambda slot: slot.start_h)
    return PlanningCalendar(calendar, now, tuple(slots), around_the_clock=not site.shifts)


@dataclass(frozen=True, slots=True)
class Criticality:
    """How much an hour of this asset's downtime costs, and why."""

    cost_per_hour: float
    capacity_share: float
    buffer_cover_h: float
    redundant_with: int
    alternative_line: str | None
    changeover_h: float

    def downtime_cost(
        self,
        calendar: PlanningCalendar,
        start_h: NDArray[np.float64],
        duration_h: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        """Expected cost of stops beginning at ``start_h`` lasting ``duration_h`` (vectorised)."""
        lost = calendar.planned_hours_many(start_h, duration_h)
        lost = np.maximum(lost - self.buffer_cover_h, 0.0)
        return np.asarray(lost * self.cost_per_hour * self.capacity_share, dtype=np.float64)


def criticality_of(
    model: Model, info: EquipmentInfo, *, share_redundancy: bool = False, count_buffer: bool = False
) -> Criticality:
    """Return the downtime economics of one asset from the model's routing and costs.

    The model's ``downtime_cost_per_hour`` is the cost of *this* equipment being down, so by
    default it is charged in full; ``share_redundancy`` divides it among the cell's parallel
    machines and ``count_buffer`` lets the buffer absorb the first hours, for models whose
    downtime cost is that of the whole cell or line.
    """
    parallel = len(info.cell.equipment)
    share = 1.0 / parallel if parallel > 1 and share_redundancy else 1.0
    cycle_s = info.ideal_cycle_time_s or 0.0
    cover_h = info.cell.buffer_capacity * cycle_s / 3600.0 if count_buffer else 0.0
    line_path = info.line_path
    below_root = line_path.split("/", 1)[1]
    alternative: str | None = None
    changeover_h = 0.0
    for product in model.plant.products:
        lines = [r.line for r in product.routings]
        if below_root not in lines:
            continue
        for routing in product.routings:
            if (
                routing.line != below_root
                and routing.line.split("/")[0] == below_root.split("/")[0]
            ):
                alternative = f"{model.root}/{routing.line}"
                changeover_h = max(changeover_h, sum(s.setup_min for s in routing.steps) / 60.0)
                break
        if alternative is not None:
            break
    return Criticality(
        cost_per_hour=info.equipment.downtime_cost_per_hour,
        capacity_share=share,
        buffer_cover_h=cover_h,
        redundant_with=parallel - 1,
        alternative_line=alternative,
        changeover_h=changeover_h,
    )
