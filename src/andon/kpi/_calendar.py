"""A site's KPI timeline: the site calendar cut by the reporting periods into elementary segments.

Every boundary that matters to the time model (a shift starts or ends, a break starts or ends,
a period starts) becomes a breakpoint; between two breakpoints nothing changes, so a state
interval can be split against the timeline with two binary searches and no Python loop per
interval. The shifts, breaks and zones come from the one site calendar
(:class:`andon.model.SiteCalendar`: local time, IANA time zone, holidays), so a day is 23 or
25 hours on a daylight-saving change and a night shift over that change is 7 or 9 hours long;
the reporting periods (shift, day, week, month, custom) are cut here, in the site's local time.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from andon.errors import KpiError, Problem
from andon.model.calendar import ShiftSpan, SiteCalendar
from andon.model.schema import Site
from andon.time import from_datetime, to_datetime

__all__ = ["Period", "Timeline", "build_timeline"]


class Period(StrEnum):
    """Reporting periods, each in the site's local time."""

    SHIFT = "shift"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Timeline:
    """Elementary segments of one site between ``start`` and ``end`` (UTC microseconds).

    ``bounds`` has one more entry than the segments; segment ``i`` is
    ``[bounds[i], bounds[i+1])``. ``period`` indexes ``period_start``/``period_label``, or
    is -1 where no period applies (off-shift time when the period is the shift).
    """

    site: str
    bounds: npt.NDArray[np.int64]
    zone: npt.NDArray[np.int8]
    period: npt.NDArray[np.int64]
    period_start: npt.NDArray[np.int64]
    period_end: npt.NDArray[np.int64]
    period_label: tuple[str, ...]
    problems: tuple[Problem, ...]


def _local(day: dt.date, clock: str, tz: ZoneInfo) -> int:
    hour, minute = (int(part) for part in clock.split(":"))
    return from_datetime(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz))


def _minutes(clock: str) -> int:
    hour, minute = clock.split(":")
    return int(hour) * 60 + int(minute)


def _zone_info(site: Site, site_path: str) -> ZoneInfo:
    try:
        return ZoneInfo(site.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"site {site_path} has an unknown time zone {site.timezone!r}"
        raise KpiError(msg) from exc


def build_timeline(
    site: Site,
    site_path: str,
    *,
    start: int,
    end: int,
    period: Period,
    custom_bounds: tuple[int, ...] = (),
) -> Timeline:
    """Return the site's timeline over ``[start, end)`` UTC microseconds, cut by ``period``.

    ``custom_bounds`` (UTC microseconds) cut custom periods; without them the custom period
    is the whole range.
    """
    if end <= start:
        msg = f"the time range is empty: end {end} is not after start {start}"
        raise KpiError(msg)
    tz = _zone_info(site, site_path)
    calendar = SiteCalendar.of(site)
    first = to_datetime(start).astimezone(tz).date() - dt.timedelta(2)
    last = to_datetime(end).astimezone(tz).date() + dt.timedelta(2)
    shifts = calendar.shifts(start, end)
    problems = _break_problems(site, site_path)
    problems.extend(_calendar_problems(shifts, site_path, tz))
    segments = calendar.segments(start, end)
    period_starts, period_ends, labels, cut = _periods(
        period,
        first=first,
        last=last,
        tz=tz,
        shifts=shifts,
        start=start,
        end=end,
        custom_bounds=custom_bounds,
    )
    points = np.concatenate([segments.bounds, cut])
    bounds = np.unique(points[(points >= start) & (points <= end)])
    seg_start = bounds[:-1]
    zone = segments.zone[np.searchsorted(segments.bounds, seg_start, side="right") - 1]
    if period_starts.size:
        idx = np.searchsorted(period_starts, seg_start, side="right") - 1
        valid = (idx >= 0) & (seg_start < period_ends[np.clip(idx, 0, None)])
        seg_period = np.where(valid, idx, -1).astype(np.int64)
    else:
        seg_period = np.full(seg_start.size, -1, np.int64)
    return Timeline(
        site=site_path,
        bounds=bounds.astype(np.int64),
        zone=zone.astype(np.int8),
        period=seg_period,
        period_start=period_starts,
        period_end=period_ends,
        period_label=tuple(labels),
        problems=tuple(problems),
    )


def _break_problems(site: Site, site_path: str) -> list[Problem]:
    """Flag breaks that do not lie inside their shift (the calendar clips them to it)."""
    problems: list[Problem] = []
    for shift in site.shifts:
        begin = _minutes(shift.start)
        length = (_minutes(shift.end) - begin) % 1440 or 1440
        for b_start, b_end in shift.breaks:
            offset = (_minutes(b_start) - begin) % 1440
            duration = (_minutes(b_end) - _minutes(b_start)) % 1440 or 1440
            if offset + duration > length:
                problems.append(
                    Problem(
                        code="calendar.break_outside_shift",
                        message=f"break {b_start}-{b_end} lies outside shift {shift.id} "
                        f"({shift.start}-{shift.end})",
                        path=site_path,
                        expected="breaks inside their shift",
                    )
                )
    return problems


def _periods(
    period: Period,
    *,
    tz: ZoneInfo,
    first: dt.date,
    last: dt.date,
    shifts: tuple[ShiftSpan, ...],
    start: int,
    end: int,
    custom_bounds: tuple[int, ...],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], list[str], npt.NDArray[np.int64]]:
    """Return period starts, ends, labels and the cut points, all in UTC microseconds."""
    starts: list[int] = []
    labels: list[str] = []
    if period is Period.SHIFT:
        kept = [(s.start, s.end, s.label) for s in shifts if s.end > start and s.start < end]
        # Overlapping shifts (a calendar error, flagged) keep the earlier shift's time.
        result_s: list[int] = []
        result_e: list[int] = []
        result_l: list[str] = []
        for s, e, label in kept:
            s_eff = max(s, result_e[-1]) if result_e else s
            if e > s_eff:
                result_s.append(s_eff)
                result_e.append(e)
                result_l.append(label)
        ps = np.asarray(result_s, np.int64)
        pe = np.asarray(result_e, np.int64)
        return ps, pe, result_l, np.concatenate([ps, pe])
    if period is Period.CUSTOM:
        cuts = sorted({start, end, *(c for c in custom_bounds if start < c < end)})
        ps = np.asarray(cuts[:-1], np.int64)
        pe = np.asarray(cuts[1:], np.int64)
        labels = [f"{_iso(a, tz)}/{_iso(b, tz)}" for a, b in itertools.pairwise(cuts)]
        return ps, pe, labels, ps
    day = first
    while day <= last + dt.timedelta(32):
        if period is Period.DAY:
            starts.append(_local(day, "00:00", tz))
            labels.append(day.isoformat())
        elif period is Period.WEEK and day.weekday() == 0:
            starts.append(_local(day, "00:00", tz))
            year, week, _ = day.isocalendar()
            labels.append(f"{year}-W{week:02d}")
        elif period is Period.MONTH and day.day == 1:
            starts.append(_local(day, "00:00", tz))
            labels.append(f"{day.year}-{day.month:02d}")
        day += dt.timedelta(1)
    if period is Period.WEEK and first.weekday() != 0:
        monday = first - dt.timedelta(first.weekday())
        starts.insert(0, _local(monday, "00:00", tz))
        year, week, _ = monday.isocalendar()
        labels.insert(0, f"{year}-W{week:02d}")
    elif period is Period.MONTH:
        first_of = first.replace(day=1)
        if first_of != first:
            starts.insert(0, _local(first_of, "00:00", tz))
            labels.insert(0, f"{first_of.year}-{first_of.month:02d}")
    ps = np.asarray(starts, np.int64)
    pe = np.append(ps[1:], np.iinfo(np.int64).max).astype(np.int64)
    return ps, pe, labels, ps


def _iso(micros: int, tz: ZoneInfo) -> str:
    return to_datetime(micros).astimezone(tz).isoformat(timespec="minutes")


def _calendar_problems(
    shifts: tuple[ShiftSpan, ...], site_path: str, tz: ZoneInfo
) -> list[Problem]:
    """Flag overlapping shifts and gaps between shifts of one working day."""
    problems: list[Problem] = []
    ordered = [(s.start, s.end, s.label) for s in shifts]
    for (s0, e0, l0), (s1, _e1, l1) in itertools.pairwise(ordered):
        if s1 < e0:
            problems.append(
                Problem(
                    code="calendar.overlap",
                    message=f"shift {l1} starts at {_iso(s1, tz)} before shift {l0} ends "
                    f"at {_iso(e0, tz)}; the overlap is counted once",
                    path=site_path,
                    expected="shifts that do not overlap",
                )
            )
        elif s1 > e0 and l0.split(" ")[0] == l1.split(" ")[0] and s0 < s1:
            problems.append(
                Problem(
                    code="calendar.gap",
                    message=f"no shift between {_iso(e0, tz)} ({l0} ends) and {_iso(s1, tz)} "
                    f"({l1} starts); that time is not planned and is left out of planned "
                    "busy time",
                    path=site_path,
                    expected="consecutive shifts of a working day that meet",
                )
            )
    return problems
