"""A site's shift calendar as sorted arrays of simulated seconds, looked up by bisection.

Shifts, breaks and maintenance windows are local wall-clock times (the site's time zone);
the simulator runs in UTC seconds from its start, so daylight-saving days come out right.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from zoneinfo import ZoneInfo

import numpy as np

from andon.model.schema import Site

__all__ = ["BREAK", "CLOSED", "PRODUCING", "SiteCalendar"]

CLOSED = 0
PRODUCING = 1
BREAK = 2

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _local(day: dt.date, clock: str, tz: ZoneInfo) -> dt.datetime:
    hour, minute = (int(x) for x in clock.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


class SiteCalendar:
    """When a site produces, breaks and is closed; which shift runs; its maintenance windows."""

    def __init__(self, site: Site, *, start: dt.datetime, days: int) -> None:
        tz = ZoneInfo(site.timezone)
        self.site = site
        self.shift_ids: tuple[str, ...] = tuple(s.id for s in site.shifts)
        first = (start.astimezone(tz) - dt.timedelta(days=1)).date()
        shifts: list[tuple[float, float, int]] = []
        breaks: list[tuple[float, float]] = []
        windows: list[tuple[float, float]] = []

        def rel(moment: dt.datetime) -> float:
            return (moment - start).total_seconds()

        for offset in range(days + 3):
            day = first + dt.timedelta(days=offset)
            weekday = _DAYS[day.weekday()]
            for index, shift in enumerate(site.shifts):
                if weekday not in {d.value for d in shift.days}:
                    continue
                s = _local(day, shift.start, tz)
                e = _local(day, shift.end, tz)
                if e <= s:
                    e = _local(day + dt.timedelta(days=1), shift.end, tz)
                shifts.append((rel(s), rel(e), index))
                for b_start, b_end in shift.breaks:
                    bs = _local(day, b_start, tz)
                    if bs < s:
                        bs = _local(day + dt.timedelta(days=1), b_start, tz)
                    be = _local(bs.date(), b_end, tz)
                    if be <= bs:
                        be = _local(bs.date() + dt.timedelta(days=1), b_end, tz)
                    breaks.append((rel(bs), rel(be)))
            for window in site.maintenance_windows:
                if window.day.value == weekday:
                    ws = _local(day, window.start, tz)
                    windows.append((rel(ws), rel(ws) + window.duration_h * 3600))
        # Piecewise labels: boundaries b[i] start segment i with label and shift index.
        points = sorted({p for s, e, _ in shifts for p in (s, e)} | {p for b in breaks for p in b})
        bounds: list[float] = [-1e18]
        labels: list[int] = [CLOSED]
        shift_of: list[int] = [-1]
        for i, p in enumerate(points):
            q = points[i + 1] if i + 1 < len(points) else p + 1
            mid = (p + q) / 2
            active = [idx for s, e, idx in shifts if s <= mid < e]
            label = CLOSED
            if active:
                label = BREAK if any(bs <= mid < be for bs, be in breaks) else PRODUCING
            if i + 1 == len(points):
                label, active = CLOSED, []
            bounds.append(p)
            labels.append(label)
            shift_of.append(active[0] if active else -1)
        # Merge equal neighbours.
        self._bounds: list[float] = []
        self._labels: list[int] = []
        self._shift: list[int] = []
        for b, lab, sh in zip(bounds, labels, shift_of, strict=True):
            if self._labels and self._labels[-1] == lab and self._shift[-1] == sh:
                continue
            self._bounds.append(b)
            self._labels.append(lab)
            self._shift.append(sh)
        self._bounds_np = np.asarray(self._bounds)
        self._labels_np = np.asarray(self._labels, dtype=np.int8)
        self._shift_np = np.asarray(self._shift, dtype=np.int16)
        self.windows: tuple[tuple[float, float], ...] = tuple(sorted(windows))
        self._shift_spans = sorted(shifts)

    def at(self, t: float) -> tuple[int, int, float]:
        """Return ``(label, shift index or -1, time the segment ends)`` at ``t``."""
        i = bisect_right(self._bounds, t) - 1
        end = self._bounds[i + 1] if i + 1 < len(self._bounds) else float("inf")
        return self._labels[i], self._shift[i], end

    def labels(self, t: np.ndarray) -> np.ndarray:
        """Return the label at each time of an array."""
        return self._labels_np[np.searchsorted(self._bounds_np, t, side="right") - 1]

    def shifts(self, t: np.ndarray) -> np.ndarray:
        """Return the shift index (or -1) at each time of an array."""
        return self._shift_np[np.searchsorted(self._bounds_np, t, side="right") - 1]

    def producing_seconds(self, t0: float, t1: float) -> float:
        """Return planned production seconds (shifts less breaks) in ``[t0, t1)``."""
        total = 0.0
        i = bisect_right(self._bounds, t0) - 1
        t = t0
        while t < t1 and i < len(self._bounds):
            end = self._bounds[i + 1] if i + 1 < len(self._bounds) else float("inf")
            if self._labels[i] == PRODUCING:
                total += min(end, t1) - t
            t = end
            i += 1
        return total

    def crew_spans(self, shift_ids: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Return start and end arrays of the spans a crew working ``shift_ids`` is on site."""
        wanted = {i for i, sid in enumerate(self.shift_ids) if not shift_ids or sid in shift_ids}
        spans = [(s, e) for s, e, idx in self._shift_spans if idx in wanted]
        merged: list[list[float]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        arr = np.asarray(merged if merged else [[np.inf, np.inf]], dtype=float)
        return arr[:, 0], arr[:, 1]

    def is_night(self, shift_index: int) -> bool:
        """Return whether a shift starts late in the evening or before dawn."""
        if shift_index < 0:
            return False
        hour = int(self.site.shifts[shift_index].start.split(":")[0])
        return hour >= 20 or hour < 5
