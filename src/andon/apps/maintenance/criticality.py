"""What it costs when an asset is down, now and in each coming window, from the routing.

An hour of downtime costs the equipment's ``downtime_cost_per_hour`` only when production is
planned (the site's shift calendar) and only for the share of the cell's capacity that is
lost: parallel machines of one cell are redundant, so losing one of ``n`` loses ``1/n`` of
the cell. The buffer in front of the cell absorbs the first hours of a stop (units waiting
keep the downstream stations fed), so those hours cost nothing. When another line can make
the same products, production can move there for the stop, at the price of a changeover.

Times here are hours from ``now`` on an hourly grid; the calendar is computed once per site.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from andon.model import EquipmentInfo, Model
from andon.model.schema import Site, Weekday

__all__ = [
    "Criticality",
    "MaintenanceSlot",
    "SiteCalendar",
    "criticality_of",
    "site_calendar",
]

_DAYS = (
    Weekday.MON,
    Weekday.TUE,
    Weekday.WED,
    Weekday.THU,
    Weekday.FRI,
    Weekday.SAT,
    Weekday.SUN,
)


@dataclass(frozen=True, slots=True)
class MaintenanceSlot:
    """A time when planned work can happen: now, or an occurrence of a maintenance window."""

    id: str
    start_h: float
    duration_h: float
    crew_hours: float


@dataclass(frozen=True, slots=True)
class SiteCalendar:
    """A site's planned production by hour from now, and its maintenance slots."""

    production: NDArray[np.float64]
    cumulative: NDArray[np.float64]
    slots: tuple[MaintenanceSlot, ...]

    def planned_hours(self, start_h: float, duration_h: float) -> float:
        """Return the production hours planned in ``[start_h, start_h + duration_h)``."""
        return float(self.planned_hours_many(np.array([start_h]), np.array([duration_h]))[0])

    def planned_hours_many(
        self, start_h: NDArray[np.float64], duration_h: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Vectorised :meth:`planned_hours`; beyond the grid, the last day repeats."""
        return _integral(self.cumulative, start_h + duration_h) - _integral(
            self.cumulative, start_h
        )


def _integral(cumulative: NDArray[np.float64], t: NDArray[np.float64]) -> NDArray[np.float64]:
    n = len(cumulative) - 1
    t = np.clip(t, 0.0, None)
    inside = np.minimum(t, n)
    base = np.interp(inside, np.arange(n + 1, dtype=np.float64), cumulative)
    beyond = np.maximum(t - n, 0.0)
    per_hour = (cumulative[-1] - cumulative[max(0, n - 24)]) / min(24, n) if n else 1.0
    return np.asarray(base + beyond * per_hour, dtype=np.float64)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def site_calendar(site: Site, *, now: int, horizon_h: float, tail_h: float = 72.0) -> SiteCalendar:
    """Return the hourly production plan of a site and its maintenance slots in the horizon.

    With no shifts in the model, production is taken as planned around the clock (the
    costly assumption, so that a missing calendar never hides a downtime cost).
    """
    zone = ZoneInfo(site.timezone)
    hours = int(np.ceil(horizon_h + tail_h))
    start = dt.datetime.fromtimestamp(now / 1e6, tz=dt.UTC)
    production = np.zeros(hours, dtype=np.float64)
    if not site.shifts:
        production[:] = 1.0
    else:
        for h in range(hours):
            local = (start + dt.timedelta(hours=h, minutes=30)).astimezone(zone)
            minute = local.hour * 60 + local.minute
            today = _DAYS[local.weekday()]
            yesterday = _DAYS[(local.weekday() - 1) % 7]
            for shift in site.shifts:
                begin, end = _minutes(shift.start), _minutes(shift.end)
                if begin < end:
                    on = today in shift.days and begin <= minute < end
                else:
                    on = (today in shift.days and minute >= begin) or (
                        yesterday in shift.days and minute < end
                    )
                if on:
                    production[h] = 1.0
                    break
    cumulative = np.concatenate([[0.0], np.cumsum(production)])
    technicians = sum(crew.size for crew in site.crews) or 1
    slots = [MaintenanceSlot("now", 0.0, 8.0, technicians * min(8.0, horizon_h))]
    # Later days, in production time: what a part ordered or expedited today arrives for.
    slots.extend(
        MaintenanceSlot(f"day+{d}", 24.0 * d, 8.0, technicians * 8.0)
        for d in (1, 2, 3)
        if 24.0 * d < horizon_h
    )
    local_now = start.astimezone(zone)
    for window in site.maintenance_windows:
        for days_ahead in range(int(horizon_h // 24) + 8):
            day = local_now.date() + dt.timedelta(days=days_ahead)
            if _DAYS[day.weekday()] != window.day:
                continue
            begin = _minutes(window.start)
            local = dt.datetime(day.year, day.month, day.day, begin // 60, begin % 60, tzinfo=zone)
            start_h = (local - start).total_seconds() / 3600.0
            if 0.0 < start_h < horizon_h:
                slots.append(
                    MaintenanceSlot(
                        f"{window.id}@{local.strftime('%a %d %b %H:%M')}",
                        start_h,
                        window.duration_h,
                        technicians * window.duration_h,
                    )
                )
    slots.sort(key=lambda slot: slot.start_h)
    return SiteCalendar(production, cumulative, tuple(slots))


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
        self, calendar: SiteCalendar, start_h: NDArray[np.float64], duration_h: NDArray[np.float64]
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
