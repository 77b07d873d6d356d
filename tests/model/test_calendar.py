"""The one site calendar: time zones, daylight saving, weekends, holidays, breaks, windows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from andon.model import SiteCalendar, Zone
from andon.model.schema import MaintenanceWindow, Shift, Site, Weekday
from andon.time import DAY_US, HOUR_US, MINUTE_US, WEEK_US, from_datetime, from_iso

WEEKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
EVERY_DAY = tuple(Weekday)


def _local(zone: str, *args: int) -> int:
    return from_datetime(dt.datetime(*args, tzinfo=ZoneInfo(zone)))  # type: ignore[misc]


def test_half_hour_zone_puts_the_shift_on_the_half_hour_in_utc() -> None:
    site = Site(
        id="pune",
        timezone="Asia/Kolkata",
        shifts=(Shift(id="day", start="06:00", end="14:00", breaks=(("10:00", "10:30"),)),),
    )
    calendar = SiteCalendar.of(site)
    day = from_iso("2026-01-05T00:00Z")
    (shift,) = calendar.shifts(day, day + DAY_US)
    assert shift.start == from_iso("2026-01-05T00:30Z")
    assert shift.end == from_iso("2026-01-05T08:30Z")
    assert shift.label == "2026-01-05 day"
    assert calendar.planned_seconds(day, day + DAY_US) == 7.5 * 3600
    assert calendar.planned_seconds(day, day + HOUR_US) == 30 * 60
    (pause,) = calendar.breaks(day, day + DAY_US)
    assert (pause.start, pause.end) == (
        from_iso("2026-01-05T04:30Z"),
        from_iso("2026-01-05T05:00Z"),
    )
    assert not calendar.is_planned(pause.start)
    assert calendar.is_planned(pause.start - 1)
    assert calendar.is_planned(pause.end)


def test_chicago_night_shift_is_an_hour_shorter_over_spring_forward_and_longer_in_fall() -> None:
    site = Site(
        id="chicago",
        timezone="America/Chicago",
        shifts=(Shift(id="night", start="22:00", end="06:00", days=EVERY_DAY),),
    )
    calendar = SiteCalendar.of(site)

    def night_of(year: int, month: int, day: int) -> float:
        start = _local("America/Chicago", year, month, day, 22, 0)
        (shift,) = [s for s in calendar.shifts(start, start + HOUR_US) if s.start == start]
        assert calendar.planned_seconds(start - HOUR_US, start + 12 * HOUR_US) == (
            (shift.end - shift.start) / 1e6
        )
        return (shift.end - shift.start) / HOUR_US

    assert night_of(2026, 3, 6) == 8.0
    assert night_of(2026, 3, 7) == 7.0  # 2026-03-08 02:00 CST -> 03:00 CDT
    assert night_of(2026, 3, 8) == 8.0
    assert night_of(2026, 10, 31) == 9.0  # 2026-11-01 02:00 CDT -> 01:00 CST


def test_no_shift_on_the_weekend_plans_nothing_on_saturday_and_sunday() -> None:
    site = Site(
        id="lyon",
        timezone="Europe/Paris",
        shifts=(
            Shift(id="early", start="06:00", end="14:00", days=WEEKDAYS),
            Shift(id="late", start="14:00", end="22:00", days=WEEKDAYS),
        ),
    )
    calendar = SiteCalendar.of(site)
    saturday = _local("Europe/Paris", 2026, 1, 10, 0, 0)
    monday = saturday + 2 * DAY_US
    assert calendar.shifts(saturday, monday) == ()
    assert calendar.planned_seconds(saturday, monday) == 0.0
    week = calendar.planned_seconds(monday, monday + WEEK_US)
    assert week == 5 * 16 * 3600
    assert [s.shift_id for s in calendar.shifts(monday, monday + DAY_US)] == ["early", "late"]


def test_a_holiday_starts_no_shift_but_the_night_before_runs_to_its_end() -> None:
    site = Site(
        id="lyon",
        timezone="Europe/Paris",
        shifts=(
            Shift(id="day", start="06:00", end="14:00", days=EVERY_DAY),
            Shift(id="night", start="22:00", end="06:00", days=EVERY_DAY),
        ),
        holidays=(dt.date(2026, 12, 25),),
        maintenance_windows=(
            MaintenanceWindow(id="fri", day=Weekday.FRI, start="08:00", duration_h=4),
        ),
    )
    calendar = SiteCalendar.of(site)
    christmas = _local("Europe/Paris", 2026, 12, 25, 0, 0)
    labels = [s.label for s in calendar.shifts(christmas, christmas + DAY_US)]
    assert labels == ["2026-12-24 night"]
    assert calendar.planned_seconds(christmas, christmas + DAY_US) == 6 * 3600
    boxing = christmas + DAY_US
    assert calendar.planned_seconds(boxing, boxing + DAY_US) == 8 * 3600 + 2 * 3600
    # The window on the holiday is kept.
    (window,) = calendar.maintenance_windows(christmas, christmas + DAY_US)
    assert window.window_id == "fri"
    assert window.start == christmas + 8 * HOUR_US
    assert window.end == window.start + 4 * HOUR_US


def test_next_window_is_the_first_starting_at_or_after_the_instant() -> None:
    site = Site(
        id="lyon",
        timezone="Europe/Paris",
        maintenance_windows=(
            MaintenanceWindow(id="sat", day=Weekday.SAT, start="06:00", duration_h=8),
            MaintenanceWindow(id="wed", day=Weekday.WED, start="22:00", duration_h=2),
        ),
    )
    calendar = SiteCalendar.of(site)
    saturday_6 = _local("Europe/Paris", 2026, 1, 10, 6, 0)
    found = calendar.next_window(saturday_6)
    assert found is not None
    assert (found.window_id, found.start, found.day) == ("sat", saturday_6, dt.date(2026, 1, 10))
    later = calendar.next_window(saturday_6 + 1)
    assert later is not None
    assert later.window_id == "wed"
    assert later.start == _local("Europe/Paris", 2026, 1, 14, 22, 0)
    assert SiteCalendar.of(Site(id="none")).next_window(saturday_6) is None


def test_no_shifts_plan_nothing_and_segments_say_off() -> None:
    calendar = SiteCalendar.of(Site(id="empty"))
    assert calendar.planned_seconds(0, WEEK_US) == 0.0
    segments = calendar.segments(0, WEEK_US)
    assert segments.bounds.tolist() == [0, WEEK_US]
    assert segments.zone.tolist() == [Zone.OFF]


def test_segments_cut_at_shifts_and_breaks_with_the_shift_index() -> None:
    site = Site(
        id="s",
        shifts=(
            Shift(id="a", start="06:00", end="14:00", breaks=(("10:00", "10:30"),)),
            Shift(id="b", start="14:00", end="22:00"),
        ),
    )
    calendar = SiteCalendar.of(site)
    day = from_iso("2026-01-05T00:00Z")
    seg = calendar.segments(day, day + DAY_US)
    hours = [(b - day) / HOUR_US for b in seg.bounds.tolist()]
    assert hours == [0, 6, 10, 10.5, 14, 22, 24]
    assert seg.zone.tolist() == [Zone.OFF, Zone.WORK, Zone.BREAK, Zone.WORK, Zone.WORK, Zone.OFF]
    assert seg.shift.tolist() == [-1, 0, 0, 0, 1, -1]


# -- properties -------------------------------------------------------------------------

ZONES = ("UTC", "Europe/Paris", "America/Chicago", "Asia/Kolkata", "Australia/Lord_Howe")


@st.composite
def clock(draw: st.DrawFn) -> str:
    return f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from([0, 15, 30, 45])):02d}"


@st.composite
def shifts(draw: st.DrawFn) -> Shift:
    start, end = draw(clock()), draw(clock())
    start_min = int(start[:2]) * 60 + int(start[3:])
    length = (int(end[:2]) * 60 + int(end[3:]) - start_min) % 1440 or 1440
    breaks: list[tuple[str, str]] = []
    if length > 60 and draw(st.booleans()):
        offset = draw(st.integers(0, length - 31))
        b = (start_min + offset) % 1440
        e = (b + 30) % 1440
        breaks.append((f"{b // 60:02d}:{b % 60:02d}", f"{e // 60:02d}:{e % 60:02d}"))
    days = draw(st.sets(st.sampled_from(list(Weekday)), min_size=1))
    return Shift(
        id=f"s{start_min}",
        start=start,
        end=end,
        days=tuple(sorted(days)),
        breaks=tuple(breaks),
    )


@st.composite
def sites(draw: st.DrawFn) -> Site:
    shift_list = draw(st.lists(shifts(), max_size=3))
    holidays = draw(st.lists(st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)), max_size=3))
    return Site(
        id="p",
        timezone=draw(st.sampled_from(ZONES)),
        shifts=tuple(shift_list),
        holidays=tuple(holidays),
    )


YEAR = from_iso("2026-01-01T00:00Z")
instants = st.integers(YEAR, YEAR + 360 * DAY_US)


@settings(max_examples=150, deadline=None)
@given(sites(), instants, st.integers(0, 20 * DAY_US), st.floats(0, 1))
def test_planned_seconds_add_up_over_a_split_and_never_exceed_the_interval(
    site: Site, start: int, length: int, cut: float
) -> None:
    calendar = SiteCalendar.of(site)
    end = start + length
    middle = start + int(length * cut)
    whole = calendar.planned_seconds(start, end)
    parts = calendar.planned_seconds(start, middle) + calendar.planned_seconds(middle, end)
    assert whole == pytest.approx(parts, abs=1e-6)
    assert 0.0 <= whole <= length / 1e6
    seg = calendar.segments(start, end)
    work = float(np.diff(seg.bounds)[seg.zone == Zone.WORK].sum()) / 1e6
    assert work == pytest.approx(whole, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(sites(), instants)
def test_an_instant_is_planned_when_the_minute_after_it_has_planned_time_at_once(
    site: Site, t: int
) -> None:
    calendar = SiteCalendar.of(site)
    planned = calendar.is_planned(t)
    assert planned == (calendar.planned_seconds(t, t + 1) > 0)
    assert calendar.planned_seconds(t, t + MINUTE_US) <= 60.0
    inside = [s for s in calendar.shifts(t, t + 1) if site.shifts]
    if planned:
        assert inside
        assert not any(b.start <= t < b.end for b in calendar.breaks(t, t + 1))
