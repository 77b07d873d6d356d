"""A site's calendar on the UTC clock: planned production, shifts, breaks, holidays, windows.

The model gives a site's calendar in local wall-clock terms (shifts with their days and
breaks, holidays, recurring maintenance windows, an IANA time zone). ``SiteCalendar`` turns
it into intervals of UTC microseconds and answers every question the layers ask of it from
sorted arrays with binary searches: how many seconds of production are planned in an
interval, which shifts and breaks fall in it, whether an instant is planned production time,
when the next maintenance window opens. It is the one calendar of andon: the simulator, the
KPIs and the maintenance app all read it.

The rules, in local time of the site's zone:

- a shift starts on each of its ``days`` that is not a holiday (or, with a ``rotation``, on
  each day of its cycle on which a crew is on: the day's place in the cycle is its distance
  in local dates from the anchor, so a cycle keeps its phase through daylight saving), at
  ``start``, and ends at
  ``end`` on the same day, or on the next day when ``end`` is not after ``start`` (a night
  shift; ``start == end`` is a 24-hour shift). Its length is measured on the UTC clock, so a
  night shift over the spring-forward change of daylight saving is an hour shorter and one
  over the fall-back change an hour longer. A wall-clock time that does not exist (02:30 on
  the spring-forward night) is read with the offset before the change, as ``zoneinfo`` does;
- a break lies in its shift: one that starts before the shift's start (in clock terms) is on
  the next day, and breaks are clipped to their shift;
- planned production time is the union of the shifts less the union of the breaks and the
  maintenance windows, so two overlapping shifts (a model error) count their common time
  once, and a window that overlaps a shift stops production for its time (planned down
  time, as a break is: :attr:`Zone.BREAK`);
- a maintenance window starts on its weekday at ``start`` and lasts ``duration_h`` hours of
  elapsed time; holidays do not remove windows;
- a tariff's hours are local hours: its price for 09:00 applies from 09:00 to 10:00 on the
  site's wall clock, at a half-hour zone too (:func:`tariff_at`, :func:`tariff_hour_starts`).

Arrays are built for a span of whole UTC weeks around what is asked and kept (a few spans per
calendar), so a simulator or a KPI run over months builds its calendar once.

>>> import datetime as dt
>>> from andon.model.schema import Shift, Site
>>> from andon.time import from_iso
>>> site = Site(id="s1", timezone="Europe/Paris",
...             shifts=(Shift(id="early", start="06:00", end="14:00",
...                           breaks=(("10:00", "10:30"),)),))
>>> calendar = SiteCalendar.of(site)
>>> calendar.planned_seconds(from_iso("2026-01-05T00:00Z"), from_iso("2026-01-06T00:00Z"))
27000.0
>>> [s.label for s in calendar.shifts(from_iso("2026-01-05T00:00Z"), from_iso("2026-01-06T00:00Z"))]
['2026-01-05 early']
>>> calendar.is_planned(from_iso("2026-01-05T09:30:00+01:00"))
True
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from andon.model.schema import MaintenanceWindow, Shift, Site, Weekday
from andon.time import DAY_US, HOUR_US, WEEK_US, Micros, from_datetime, to_datetime

__all__ = [
    "BreakSpan",
    "Segments",
    "ShiftSpan",
    "SiteCalendar",
    "WindowSpan",
    "Zone",
    "tariff_at",
    "tariff_hour_starts",
]

_WEEKDAYS: Final = (
    Weekday.MON,
    Weekday.TUE,
    Weekday.WED,
    Weekday.THU,
    Weekday.FRI,
    Weekday.SAT,
    Weekday.SUN,
)
_SPANS_KEPT: Final = 8
"""Spans kept per calendar: a run asks for one, a planner for a few horizons."""
_MIN_SPAN_WEEKS: Final = 4


class Zone(IntEnum):
    """What the calendar says about a stretch of time (small integers, for columns)."""

    OFF = 0
    """Outside every shift: production is not planned."""
    BREAK = 1
    """A planned break, or a maintenance window, inside a shift: planned down time."""
    WORK = 2
    """Inside a shift and not in a break: planned production time."""


@dataclass(frozen=True, slots=True)
class ShiftSpan:
    """One occurrence of a shift: ``[start, end)`` UTC microseconds."""

    start: Micros
    end: Micros
    shift_id: str
    shift_index: int
    """Position of the shift in the site's ``shifts``."""
    day: dt.date
    """Local date on which the shift starts."""
    crew: str | None = None
    """The crew on the shift, for a shift with a rotation."""

    @property
    def label(self) -> str:
        """``YYYY-MM-DD shift``: the local start date and the shift id."""
        return f"{self.day.isoformat()} {self.shift_id}"


@dataclass(frozen=True, slots=True)
class BreakSpan:
    """One occurrence of a planned break, clipped to its shift."""

    start: Micros
    end: Micros
    shift_id: str


@dataclass(frozen=True, slots=True)
class WindowSpan:
    """One occurrence of a maintenance window: ``[start, end)`` UTC microseconds."""

    start: Micros
    end: Micros
    window_id: str
    """The window's id, by which plans name it ("the Saturday window")."""
    day: dt.date
    """Local date on which the window starts."""


@dataclass(frozen=True, slots=True)
class Segments:
    """Elementary stretches of a calendar in which nothing changes.

    ``bounds`` has one more entry than the segments; segment ``i`` is
    ``[bounds[i], bounds[i+1])`` with its ``zone`` (a :class:`Zone` code) and ``shift``, the
    index of the shift in the site's ``shifts`` (-1 outside every shift; where two shifts
    overlap, the one that started first).
    """

    bounds: npt.NDArray[np.int64]
    zone: npt.NDArray[np.int8]
    shift: npt.NDArray[np.int16]


_I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class _Span:
    """A calendar's arrays over ``[lo, hi)``; every interval that meets the span is in them."""

    lo: int
    hi: int
    shift_start: _I64
    shift_end: _I64
    shift_index: npt.NDArray[np.int16]
    shift_day: _I64
    """Proleptic ordinals of the local start dates."""
    shift_crew: _I64
    """Index of each occurrence's crew in the calendar's ``crew_ids`` (-1: no rotation)."""
    break_start: _I64
    break_end: _I64
    break_shift: npt.NDArray[np.int16]
    window_start: _I64
    window_end: _I64
    window_index: npt.NDArray[np.int16]
    window_day: _I64
    work_start: _I64
    """Disjoint, sorted planned production intervals."""
    work_end: _I64
    work_before: _I64
    """Planned production microseconds before each production interval, and in all (n + 1)."""
    segments: Segments


def _local(day: dt.date, clock: str, tz: ZoneInfo) -> int:
    hour, minute = (int(part) for part in clock.split(":"))
    return from_datetime(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz))


def _union(starts: _I64, ends: _I64) -> tuple[_I64, _I64]:
    """Merge intervals into sorted, disjoint starts and ends (empty intervals dropped)."""
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if starts.size == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    # A new merged interval begins where a start lies beyond everything before it.
    opens = np.concatenate([[True], starts[1:] > reach[:-1]])
    first = np.flatnonzero(opens)
    last = np.append(first[1:], starts.size) - 1
    return starts[first], reach[last]


def _inside(points: _I64, starts: _I64, ends: _I64) -> npt.NDArray[np.bool_]:
    """Whether each point lies in one of the disjoint, sorted intervals."""
    idx = np.searchsorted(starts, points, side="right") - 1
    ok = idx >= 0
    result = np.zeros(points.size, np.bool_)
    result[ok] = points[ok] < ends[idx[ok]]
    return result


def _crew_on(shift: Shift, day: dt.date) -> str | None:
    """Return the crew on a rotating shift on a local date, or ``None`` when it does not run."""
    rotation = shift.rotation
    if rotation is None:
        return None
    for crew, pattern in rotation.crews.items():
        if pattern and pattern[(day - rotation.anchor).days % len(pattern)]:
            return crew
    return None


def _shift_occurrences(
    shifts: tuple[Shift, ...],
    holidays: frozenset[dt.date],
    tz: ZoneInfo,
    days: list[dt.date],
    crew_ids: tuple[str, ...] = (),
) -> tuple[list[tuple[int, int, int, int, int]], list[tuple[int, int, int]]]:
    """Return ``(start, end, shift index, day ordinal, crew index)`` of each shift occurrence,
    and its breaks."""
    occurrences: list[tuple[int, int, int, int, int]] = []
    breaks: list[tuple[int, int, int]] = []
    for day in days:
        if day in holidays:
            continue
        weekday = _WEEKDAYS[day.weekday()]
        for index, shift in enumerate(shifts):
            crew = _crew_on(shift, day)
            if shift.rotation is not None and crew is None:
                continue
            if shift.rotation is None and weekday not in shift.days:
                continue
            end_day = day + dt.timedelta(1) if shift.end <= shift.start else day
            start, end = _local(day, shift.start, tz), _local(end_day, shift.end, tz)
            crew_index = crew_ids.index(crew) if crew is not None else -1
            occurrences.append((start, end, index, day.toordinal(), crew_index))
            for b_start, b_end in shift.breaks:
                b_day = day + dt.timedelta(1) if b_start < shift.start else day
                b_end_day = b_day + dt.timedelta(1) if b_end <= b_start else b_day
                lo = max(_local(b_day, b_start, tz), start)
                hi = min(_local(b_end_day, b_end, tz), end)
                if hi > lo:
                    breaks.append((lo, hi, index))
    return occurrences, breaks


def _window_occurrences(
    windows: tuple[MaintenanceWindow, ...], tz: ZoneInfo, days: list[dt.date]
) -> list[tuple[int, int, int, int]]:
    found: list[tuple[int, int, int, int]] = []
    for day in days:
        weekday = _WEEKDAYS[day.weekday()]
        for index, window in enumerate(windows):
            if window.day == weekday:
                start = _local(day, window.start, tz)
                end = start + round(window.duration_h * HOUR_US)
                found.append((start, end, index, day.toordinal()))
    return found


def _columns(rows: Sequence[tuple[int, ...]], width: int) -> list[_I64]:
    if not rows:
        return [np.empty(0, np.int64) for _ in range(width)]
    table = np.asarray(sorted(rows), dtype=np.int64).reshape(-1, width)
    return [np.ascontiguousarray(table[:, i]) for i in range(width)]


def _segments(
    shift_start: _I64,
    shift_end: _I64,
    shift_index: npt.NDArray[np.int16],
    break_start: _I64,
    break_end: _I64,
) -> Segments:
    """Cut the time line at every shift and break boundary; label each piece."""
    on_start, on_end = _union(shift_start, shift_end)
    off_start, off_end = _union(break_start, break_end)
    points = np.unique(np.concatenate([shift_start, shift_end, off_start, off_end]))
    in_shift = _inside(points, on_start, on_end)
    in_break = _inside(points, off_start, off_end)
    zone = np.where(in_shift & in_break, Zone.BREAK, np.where(in_shift, Zone.WORK, Zone.OFF))
    shift = np.full(points.size, -1, np.int16)
    # Paint the latest-started occurrence first, so where two overlap the earlier one wins.
    for k in range(shift_start.size - 1, -1, -1):
        a, b = np.searchsorted(points, [shift_start[k], shift_end[k]], side="left")
        shift[a:b] = shift_index[k]
    # A leading segment from the far past keeps every lookup inside the arrays.
    bounds = np.concatenate([[np.iinfo(np.int64).min], points])
    zone = np.concatenate([[Zone.OFF], zone]).astype(np.int8)
    shift = np.concatenate([np.asarray([-1], np.int16), shift])
    changed = np.concatenate([[True], (zone[1:] != zone[:-1]) | (shift[1:] != shift[:-1])])
    return Segments(
        bounds=np.append(bounds[changed], np.iinfo(np.int64).max).astype(np.int64),
        zone=zone[changed],
        shift=shift[changed],
    )


_SHARED: OrderedDict[tuple[object, ...], SiteCalendar] = OrderedDict()
_SHARED_LOCK = threading.Lock()
_SHARED_KEPT: Final = 64


def _calendar_of(site: Site) -> SiteCalendar:
    # A rotation holds a mapping, which does not hash: such shifts are keyed by their JSON.
    shifts: tuple[object, ...] = tuple(
        shift.model_dump_json() if shift.rotation is not None else shift for shift in site.shifts
    )
    key = (site.timezone, shifts, site.holidays, site.maintenance_windows)
    with _SHARED_LOCK:
        found = _SHARED.get(key)
        if found is not None:
            _SHARED.move_to_end(key)
            return found
    calendar = SiteCalendar(
        Site(
            id="calendar",
            timezone=site.timezone,
            shifts=site.shifts,
            holidays=site.holidays,
            maintenance_windows=site.maintenance_windows,
        )
    )
    with _SHARED_LOCK:
        _SHARED[key] = calendar
        while len(_SHARED) > _SHARED_KEPT:
            _SHARED.popitem(last=False)
    return calendar


class SiteCalendar:
    """A site's calendar over UTC microseconds (see the module for the rules).

    Build it with :meth:`of`, which shares one calendar (and its cached spans) between sites
    with the same calendar. Every interval is half-open, ``[start, end)``.
    """

    __slots__ = (
        "_holidays",
        "_lock",
        "_spans",
        "crew_ids",
        "shift_ids",
        "shifts_of_site",
        "timezone",
        "windows",
    )

    def __init__(self, site: Site) -> None:
        self.timezone: ZoneInfo = ZoneInfo(site.timezone)
        self.shifts_of_site: tuple[Shift, ...] = site.shifts
        self.shift_ids: tuple[str, ...] = tuple(s.id for s in site.shifts)
        self.crew_ids: tuple[str, ...] = tuple(
            dict.fromkeys(crew for s in site.shifts if s.rotation for crew in s.rotation.crews)
        )
        """The crews of the site's rotating shifts, in the order they are first named."""
        self.windows: tuple[MaintenanceWindow, ...] = site.maintenance_windows
        self._holidays = frozenset(site.holidays)
        self._spans: OrderedDict[tuple[int, int], _Span] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def of(site: Site) -> SiteCalendar:
        """Return the calendar of a site, shared by every site with the same calendar."""
        return _calendar_of(site)

    # -- spans --------------------------------------------------------------------------

    def _span(self, start: int, end: int) -> _Span:
        with self._lock:
            for key, span in self._spans.items():
                if span.lo <= start and end <= span.hi:
                    self._spans.move_to_end(key)
                    return span
        weeks_lo = start // WEEK_US
        weeks_hi = max(-(-end // WEEK_US), weeks_lo + _MIN_SPAN_WEEKS)
        span = self._build(weeks_lo * WEEK_US, weeks_hi * WEEK_US)
        with self._lock:
            self._spans[(span.lo, span.hi)] = span
            while len(self._spans) > _SPANS_KEPT:
                self._spans.popitem(last=False)
        return span

    def _build(self, lo: int, hi: int) -> _Span:
        # Local dates whose shifts (up to a day and their breaks) or windows (up to a week)
        # can reach into [lo, hi).
        first = to_datetime(lo).astimezone(self.timezone).date() - dt.timedelta(8)
        last = to_datetime(hi).astimezone(self.timezone).date() + dt.timedelta(1)
        days = [first + dt.timedelta(n) for n in range((last - first).days + 1)]
        shift_days = days[6:]
        occurrences, breaks = _shift_occurrences(
            self.shifts_of_site, self._holidays, self.timezone, shift_days, self.crew_ids
        )
        s_start, s_end, s_index, s_day, s_crew = _columns(occurrences, 5)
        b_start, b_end, b_shift = _columns(breaks, 3)
        w_start, w_end, w_index, w_day = _columns(
            _window_occurrences(self.windows, self.timezone, days), 4
        )
        # Production stops for a maintenance window: inside a shift it is planned down time.
        segments = _segments(
            s_start,
            s_end,
            s_index.astype(np.int16),
            np.concatenate([b_start, w_start]),
            np.concatenate([b_end, w_end]),
        )
        work = segments.zone == Zone.WORK
        work_start = segments.bounds[:-1][work]
        work_end = segments.bounds[1:][work]
        work_before = np.concatenate([[0], np.cumsum(work_end - work_start)]).astype(np.int64)
        return _Span(
            lo=lo,
            hi=hi,
            shift_start=s_start,
            shift_end=s_end,
            shift_index=s_index.astype(np.int16),
            shift_day=s_day,
            shift_crew=s_crew,
            break_start=b_start,
            break_end=b_end,
            break_shift=b_shift.astype(np.int16),
            window_start=w_start,
            window_end=w_end,
            window_index=w_index.astype(np.int16),
            window_day=w_day,
            work_start=work_start,
            work_end=work_end,
            work_before=work_before,
            segments=segments,
        )

    # -- questions ----------------------------------------------------------------------

    def planned_seconds(self, start: Micros, end: Micros) -> float:
        """Return the planned production seconds in ``[start, end)`` (0 when empty).

        >>> from andon.model.schema import Site
        >>> SiteCalendar.of(Site(id="s")).planned_seconds(0, 3_600_000_000)
        0.0
        """
        many = self.planned_seconds_many(np.asarray([start]), np.asarray([end]))
        return float(many[0])

    def planned_seconds_many(
        self, starts: npt.ArrayLike, ends: npt.ArrayLike
    ) -> npt.NDArray[np.float64]:
        """Vectorised :meth:`planned_seconds` over arrays of starts and ends."""
        lo = np.asarray(starts, dtype=np.int64)
        hi = np.maximum(np.asarray(ends, dtype=np.int64), lo)
        if lo.size == 0:
            return np.empty(0, np.float64)
        span = self._span(int(lo.min()), int(hi.max()) + 1)
        before = self._planned_before(span, hi) - self._planned_before(span, lo)
        return np.asarray(before / 1e6, dtype=np.float64)

    @staticmethod
    def _planned_before(span: _Span, t: _I64) -> _I64:
        """Planned production microseconds from the span's first interval to each ``t``."""
        i = np.searchsorted(span.work_start, t, side="right") - 1
        safe = np.clip(i, 0, None)
        if span.work_start.size == 0:
            return np.zeros(t.shape, np.int64)
        inside = np.clip(t - span.work_start[safe], 0, span.work_end[safe] - span.work_start[safe])
        return np.where(i >= 0, span.work_before[safe] + inside, 0).astype(np.int64)

    def is_planned(self, t: Micros) -> bool:
        """Return whether production is planned at the instant ``t``."""
        return bool(self.zone_at(np.asarray([t]))[0] == Zone.WORK)

    def zone_at(self, t: npt.ArrayLike) -> npt.NDArray[np.int8]:
        """Return the :class:`Zone` code at each instant of an array."""
        times = np.asarray(t, dtype=np.int64)
        if times.size == 0:
            return np.empty(0, np.int8)
        span = self._span(int(times.min()), int(times.max()) + 1)
        seg = span.segments
        return seg.zone[np.searchsorted(seg.bounds, times, side="right") - 1]

    def segments(self, start: Micros, end: Micros) -> Segments:
        """Return the elementary segments cut to ``[start, end)`` (``bounds`` starts at
        ``start`` and ends at ``end``)."""
        span = self._span(start, max(end, start + 1))
        seg = span.segments
        inner = seg.bounds[(seg.bounds > start) & (seg.bounds < end)]
        first = int(np.searchsorted(seg.bounds, start, side="right")) - 1
        count = inner.size + 1
        return Segments(
            bounds=np.concatenate([[start], inner, [max(end, start)]]).astype(np.int64),
            zone=seg.zone[first : first + count].copy(),
            shift=seg.shift[first : first + count].copy(),
        )

    def shifts(self, start: Micros, end: Micros) -> tuple[ShiftSpan, ...]:
        """Return the shift occurrences that overlap ``[start, end)``, in order, not clipped."""
        span = self._span(start, end)
        hit = np.flatnonzero((span.shift_end > start) & (span.shift_start < end))
        return tuple(
            ShiftSpan(
                start=int(span.shift_start[k]),
                end=int(span.shift_end[k]),
                shift_id=self.shift_ids[int(span.shift_index[k])],
                shift_index=int(span.shift_index[k]),
                day=dt.date.fromordinal(int(span.shift_day[k])),
                crew=self.crew_ids[int(span.shift_crew[k])] if span.shift_crew[k] >= 0 else None,
            )
            for k in hit
        )

    def breaks(self, start: Micros, end: Micros) -> tuple[BreakSpan, ...]:
        """Return the break occurrences that overlap ``[start, end)``, in order, not clipped."""
        span = self._span(start, end)
        hit = np.flatnonzero((span.break_end > start) & (span.break_start < end))
        return tuple(
            BreakSpan(
                start=int(span.break_start[k]),
                end=int(span.break_end[k]),
                shift_id=self.shift_ids[int(span.break_shift[k])],
            )
            for k in hit
        )

    def maintenance_windows(self, start: Micros, end: Micros) -> tuple[WindowSpan, ...]:
        """Return the maintenance window occurrences that overlap ``[start, end)``, in order."""
        span = self._span(start, end)
        hit = np.flatnonzero((span.window_end > start) & (span.window_start < end))
        return tuple(self._window(span, int(k)) for k in hit)

    def next_window(self, t: Micros) -> WindowSpan | None:
        """Return the first maintenance window that starts at or after ``t`` (None if none).

        Windows recur every week, so one is found within eight days when the site has any.
        """
        if not self.windows:
            return None
        span = self._span(t, t + WEEK_US + DAY_US)
        k = int(np.searchsorted(span.window_start, t, side="left"))
        return self._window(span, k) if k < span.window_start.size else None

    def _window(self, span: _Span, k: int) -> WindowSpan:
        return WindowSpan(
            start=int(span.window_start[k]),
            end=int(span.window_end[k]),
            window_id=self.windows[int(span.window_index[k])].id,
            day=dt.date.fromordinal(int(span.window_day[k])),
        )

    def local_hours(self, t: npt.ArrayLike) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Return the local hour of day (0..23) and weekday (0 Monday) at each instant.

        Offsets of every zone are whole quarter hours and change only on a UTC quarter
        hour, so ``zoneinfo`` is asked once per distinct quarter hour, not once per instant.
        """
        times = np.asarray(t, dtype=np.int64)
        local = times + _offsets_us(times, self.timezone)
        hour = (local // HOUR_US) % 24
        weekday = (local // DAY_US + 3) % 7  # 1970-01-01 was a Thursday
        return hour.astype(np.int64), weekday.astype(np.int64)


_QUARTER_US: Final = 15 * 60 * 1_000_000


def _offsets_us(times: _I64, tz: ZoneInfo) -> _I64:
    """Return the zone's UTC offset at each instant, microseconds."""
    if times.size == 0:
        return np.zeros(times.shape, np.int64)
    unique, inverse = np.unique(times // _QUARTER_US, return_inverse=True)
    offsets = np.empty(unique.size, np.int64)
    for i, quarter in enumerate(unique.tolist()):
        offset = to_datetime(quarter * _QUARTER_US).astimezone(tz).utcoffset()
        offsets[i] = round(offset.total_seconds() * 1_000_000) if offset is not None else 0
    return offsets[inverse.reshape(times.shape)]


def tariff_at(
    site: Site, t: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return the price per kWh and the grid gCO2e per kWh at each instant, by local hour.

    The tariff's hour ``h`` is ``h:00`` to ``h+1:00`` on the site's wall clock (at
    Asia/Kolkata, 09:00 local is 03:30 UTC); the weekend factor applies on local Saturdays
    and Sundays. A site without a tariff gives NaN.

    >>> from andon.model.schema import Site, Tariff
    >>> from andon.time import from_iso
    >>> site = Site(id="pune", timezone="Asia/Kolkata", tariff=Tariff(
    ...     price_per_kwh=[0.1] * 9 + [0.3] * 3 + [0.1] * 12, gco2e_per_kwh=[700] * 24))
    >>> tariff_at(site, [from_iso("2026-01-05T03:29Z"), from_iso("2026-01-05T03:30Z")])[0]
    array([0.1, 0.3])
    """
    times = np.asarray(t, dtype=np.int64)
    tariff = site.tariff
    if tariff is None:
        nan = np.full(times.shape, np.nan)
        return nan, nan.copy()
    hour, weekday = SiteCalendar.of(site).local_hours(times)
    factor = np.where(weekday >= 5, tariff.weekend_factor, 1.0)
    price = np.asarray(tariff.price_per_kwh, dtype=np.float64)[hour] * factor
    carbon = np.asarray(tariff.gco2e_per_kwh, dtype=np.float64)[hour]
    return price.astype(np.float64), carbon.astype(np.float64)


def tariff_hour_starts(site: Site, start: Micros, end: Micros) -> npt.NDArray[np.int64]:
    """Return the UTC microseconds at which a local hour begins in ``[start, end)``.

    One per local hour: a spring-forward day has 23, a fall-back day 25 (01:00 twice), and
    at a half-hour zone they fall on UTC half hours.
    """
    if end <= start:
        return np.empty(0, np.int64)
    first = -(-start // _QUARTER_US) * _QUARTER_US
    quarters = np.arange(first, end, _QUARTER_US, dtype=np.int64)
    if quarters.size == 0:
        return quarters
    offsets = _offsets_us(quarters, SiteCalendar.of(site).timezone)
    hit: _I64 = quarters[(quarters + offsets) % HOUR_US == 0]
    return hit
