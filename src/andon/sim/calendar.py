"""The site calendar seen on the simulator's clock: seconds from the start of a run.

The calendar itself is :class:`andon.model.SiteCalendar` (local shifts, breaks, holidays and
windows on the UTC clock, daylight saving included); this view converts its segments once per
run to simulated seconds, so the engine's lookup at each state change is one bisection on a
list of floats.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from typing import Final

import numpy as np

from andon.model.calendar import SiteCalendar, Zone
from andon.model.schema import Site
from andon.time import DAY_US, SECOND_US, from_datetime

__all__ = ["BREAK", "CLOSED", "NIGHT_MIN_H", "PRODUCING", "SimCalendar", "night_hours"]

CLOSED: Final = int(Zone.OFF)
PRODUCING: Final = int(Zone.WORK)
BREAK: Final = int(Zone.BREAK)


class SimCalendar:
    """When a site produces, breaks and is closed; which shift runs; its maintenance windows.

    Times are simulated seconds from ``start``; the view covers ``days`` days from a day
    before ``start`` (beyond it, what the calendar said last holds).
    """

    def __init__(self, site: Site, *, start: dt.datetime, days: int) -> None:
        self.site = site
        self.calendar = SiteCalendar.of(site)
        self.shift_ids: tuple[str, ...] = self.calendar.shift_ids
        self._start_us = from_datetime(start)
        self._lo = self._start_us - DAY_US
        self._hi = self._start_us + (days + 2) * DAY_US
        segments = self.calendar.segments(self._lo, self._hi)
        # Segment i starts at bounds[i] and runs to the next; the last runs on for ever.
        bounds = self._seconds(segments.bounds[:-1])
        bounds[0] = -1e18
        self._bounds: list[float] = bounds.tolist()
        self._labels: list[int] = segments.zone.astype(int).tolist()
        self._shift: list[int] = segments.shift.astype(int).tolist()
        found = self.calendar.maintenance_windows(self._lo, self._hi)
        starts = self._seconds(np.asarray([w.start for w in found], dtype=np.int64))
        ends = self._seconds(np.asarray([w.end for w in found], dtype=np.int64))
        self.windows: tuple[tuple[float, float], ...] = tuple(
            zip(starts.tolist(), ends.tolist(), strict=True)
        )

    def _seconds(self, micros: np.ndarray) -> np.ndarray:
        return np.asarray((micros - self._start_us) / SECOND_US, dtype=float)

    def _us(self, t: float) -> int:
        return self._start_us + round(t * SECOND_US)

    def at(self, t: float) -> tuple[int, int, float]:
        """Return ``(label, shift index or -1, time the segment ends)`` at ``t``."""
        i = bisect_right(self._bounds, t) - 1
        end = self._bounds[i + 1] if i + 1 < len(self._bounds) else float("inf")
        return self._labels[i], self._shift[i], end

    def producing_seconds(self, t0: float, t1: float) -> float:
        """Return planned production seconds (shifts less breaks) in ``[t0, t1)``."""
        return self.calendar.planned_seconds(self._us(t0), self._us(t1))

    def crew_spans(self, shift_ids: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Return start and end arrays of the spans a crew working ``shift_ids`` is on site."""
        merged: list[list[int]] = []
        for shift in self.calendar.shifts(self._lo, self._hi):
            if shift_ids and shift.shift_id not in shift_ids:
                continue
            if merged and shift.start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], shift.end)
            else:
                merged.append([shift.start, shift.end])
        if not merged:
            return np.asarray([np.inf]), np.asarray([np.inf])
        spans = self._seconds(np.asarray(merged, dtype=np.int64))
        return spans[:, 0].copy(), spans[:, 1].copy()

    def is_night(self, shift_index: int) -> bool:
        """Return whether a shift is a night shift: whether it covers at least
        :data:`NIGHT_MIN_H` hours of the local night, 22:00 to 06:00.

        The rule is the hours a shift covers, as the working-time rules define night work
        (EU directive 2003/88/EC, art. 2: at least three hours of daily working time in the
        night period), not the hour it starts: an 18:00-06:00 shift and a 22:00-06:00 shift
        are both night shifts, a 14:00-22:00 shift is not.
        """
        if shift_index < 0 or shift_index >= len(self.site.shifts):
            return False
        return self._night_h[shift_index] >= NIGHT_MIN_H

    @property
    def _night_h(self) -> tuple[float, ...]:
        cached: tuple[float, ...] | None = self.__dict__.get("_night_cache")
        if cached is None:
            cached = tuple(night_hours(s.start, s.end) for s in self.site.shifts)
            self.__dict__["_night_cache"] = cached
        return cached


NIGHT_MIN_H: Final = 3.0
"""Hours of the local night (22:00-06:00) that make a shift a night shift."""
_NIGHT: Final = ((22 * 60, 24 * 60), (0, 6 * 60))


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def night_hours(start: str, end: str) -> float:
    """Return the hours of the local night (22:00-06:00) that a shift ``start``-``end`` covers.

    A shift whose end is not after its start runs past midnight.

    >>> night_hours("18:00", "06:00"), night_hours("14:00", "22:00"), night_hours("22:00", "06:00")
    (8.0, 0.0, 8.0)
    """
    a, b = _minutes(start), _minutes(end)
    if b <= a:
        b += 24 * 60
    covered = 0
    for day in (0, 24 * 60):
        for lo, hi in _NIGHT:
            covered += max(0, min(b, hi + day) - max(a, lo + day))
    return covered / 60.0
