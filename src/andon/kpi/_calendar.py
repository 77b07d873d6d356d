"""A site's timeline: the shift calendar and the reporting periods cut into elementary segments.

Every boundary that matters to the time model (a shift starts or ends, a break starts or ends,
a period starts) becomes a breakpoint; between two breakpoints nothing changes, so a state
interval can be split against the timeline with two binary searches and no Python loop per
interval. Shifts, breaks and periods are in the site's local time and converted to UTC with
the IANA time zone, so a day is 23 or 25 hours on a daylight-saving change and a night shift
over that change is 7 or 9 hours long.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from andon.errors import KpiError, Problem
from andon.model.schema import Site, Weekday

__all__ = ["Period", "Timeline", "Zone", "build_timeline"]

_WEEKDAYS: Final = (
    Weekday.MON,
    Weekday.TUE,
    Weekday.WED,
    Weekday.THU,
    Weekday.FRI,
    Weekday.SAT,
    Weekday.SUN,
)
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Period(StrEnum):
    """Reporting periods, each in the site's local time."""

    SHIFT = "shift"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    CUSTOM = "custom"


class Zone:
    """What the shift calendar says about a segment (int codes, for columns)."""

    OFF = 0
    """Outside every shift: not planned operation time."""
    BREAK = 1
    """A planned break inside a shift: planned down time."""
    WORK = 2
    """Inside a shift and not in a break: planned busy time unless the equipment is planned down."""


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


def _micros(moment: dt.datetime) -> int:
    delta = moment.astimezone(dt.UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _local(day: dt.date, clock: str, tz: ZoneInfo) -> dt.datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def _union(
    intervals: list[tuple[int, int]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Merge intervals into sorted, disjoint starts and ends."""
    if not intervals:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    intervals.sort()
    starts, ends = [intervals[0][0]], [intervals[0][1]]
    for lo, hi in intervals[1:]:
        if lo <= ends[-1]:
            ends[-1] = max(ends[-1], hi)
        else:
            starts.append(lo)
            ends.append(hi)
    return np.asarray(starts, np.int64), np.asarray(ends, np.int64)


def _inside(
    points: npt.NDArray[np.int64], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    if starts.size == 0:
        return np.zeros(points.size, np.bool_)
    idx = np.searchsorted(starts, points, side="right") - 1
    ok = idx >= 0
    result = np.zeros(points.size, np.bool_)
    result[ok] = points[ok] < ends[idx[ok]]
    return result


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
    first = (_EPOCH + dt.timedelta(microseconds=start)).astimezone(tz).date() - dt.timedelta(2)
    last = (_EPOCH + dt.timedelta(microseconds=end)).astimezone(tz).date() + dt.timedelta(2)
    shifts: list[tuple[int, int, str]] = []
    breaks: list[tuple[int, int]] = []
    problems: list[Problem] = []
    day = first
    while day <= last:
        weekday = _WEEKDAYS[day.weekday()]
        for shift in site.shifts:
            if weekday not in shift.days:
                continue
            s_local = _local(day, shift.start, tz)
            end_day = day + dt.timedelta(1) if shift.end <= shift.start else day
            s, e = _micros(s_local), _micros(_local(end_day, shift.end, tz))
            shifts.append((s, e, f"{day.isoformat()} {shift.id}"))
            for b_start, b_end in shift.breaks:
                b_day = day + dt.timedelta(1) if b_start < shift.start else day
                b_end_day = b_day + dt.timedelta(1) if b_end <= b_start else b_day
                bs = _micros(_local(b_day, b_start, tz))
                be = _micros(_local(b_end_day, b_end, tz))
                if bs < s or be > e:
                    problems.append(
                        Problem(
                            code="calendar.break_outside_shift",
                            message=f"break {b_start}-{b_end} lies outside shift {shift.id} "
                            f"({shift.start}-{shift.end}) on {day.isoformat()}",
                            path=site_path,
                            expected="breaks inside their shift",
                        )
                    )
                breaks.append((max(bs, s), min(be, e)))
        day += dt.timedelta(1)
    problems.extend(_calendar_problems(shifts, site_path, tz, start, end))
    shift_starts, shift_ends = _union([(s, e) for s, e, _ in shifts])
    break_starts, break_ends = _union([(s, e) for s, e in breaks if e > s])

    period_starts, period_ends, labels, cut = _periods(
        period,
        tz=tz,
        first=first,
        last=last,
        shifts=shifts,
        start=start,
        end=end,
        custom_bounds=custom_bounds,
    )
    points = np.concatenate(
        [
            np.asarray([start, end], np.int64),
            shift_starts,
            shift_ends,
            break_starts,
            break_ends,
            cut,
        ]
    )
    bounds = np.unique(points[(points >= start) & (points <= end)])
    seg_start = bounds[:-1]
    in_shift = _inside(seg_start, shift_starts, shift_ends)
    in_break = _inside(seg_start, break_starts, break_ends)
    zone = np.where(in_break & in_shift, Zone.BREAK, np.where(in_shift, Zone.WORK, Zone.OFF))
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


def _periods(
    period: Period,
    *,
    tz: ZoneInfo,
    first: dt.date,
    last: dt.date,
    shifts: list[tuple[int, int, str]],
    start: int,
    end: int,
    custom_bounds: tuple[int, ...],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], list[str], npt.NDArray[np.int64]]:
    """Return period starts, ends, labels and the cut points, all in UTC microseconds."""
    starts: list[int] = []
    labels: list[str] = []
    if period is Period.SHIFT:
        ordered = sorted(shifts)
        kept = [(s, e, label) for s, e, label in ordered if e > start and s < end]
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
            starts.append(_micros(_local(day, "00:00", tz)))
            labels.append(day.isoformat())
        elif period is Period.WEEK and day.weekday() == 0:
            starts.append(_micros(_local(day, "00:00", tz)))
            year, week, _ = day.isocalendar()
            labels.append(f"{year}-W{week:02d}")
        elif period is Period.MONTH and day.day == 1:
            starts.append(_micros(_local(day, "00:00", tz)))
            labels.append(f"{day.year}-{day.month:02d}")
        day += dt.timedelta(1)
    if period is Period.WEEK and first.weekday() != 0:
        monday = first - dt.timedelta(first.weekday())
        starts.insert(0, _micros(_local(monday, "00:00", tz)))
        year, week, _ = monday.isocalendar()
        labels.insert(0, f"{year}-W{week:02d}")
    elif period is Period.MONTH:
        first_of = first.replace(day=1)
        if first_of != first:
            starts.insert(0, _micros(_local(first_of, "00:00", tz)))
            labels.insert(0, f"{first_of.year}-{first_of.month:02d}")
    ps = np.asarray(starts, np.int64)
    pe = np.append(ps[1:], np.iinfo(np.int64).max).astype(np.int64)
    return ps, pe, labels, ps


def _iso(micros: int, tz: ZoneInfo) -> str:
    return (_EPOCH + dt.timedelta(microseconds=micros)).astimezone(tz).isoformat(timespec="minutes")


def _calendar_problems(
    shifts: list[tuple[int, int, str]], site_path: str, tz: ZoneInfo, start: int, end: int
) -> list[Problem]:
    """Flag overlapping shifts and gaps between shifts of one working day."""
    problems: list[Problem] = []
    ordered = sorted(s for s in shifts if s[1] > start and s[0] < end)
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
