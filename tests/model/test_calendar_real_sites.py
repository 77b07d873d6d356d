"""Calendars of real sites: rotating crews, windows that stop shifts, tariffs in local hours.

Planned time and shift spans are checked by hand across daylight saving (America/Chicago
springs forward on 2026-03-08 and falls back on 2026-11-01) and at a half-hour zone
(Asia/Kolkata, UTC+05:30, where a tariff stamped on UTC hours was half an hour off).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from andon.errors import ModelError
from andon.model import load_model
from andon.model.calendar import SiteCalendar, Zone, tariff_at, tariff_hour_starts
from andon.model.schema import MaintenanceWindow, Rotation, Shift, Site, Tariff, Weekday
from andon.sim import simulate
from andon.sim.sinks import MemorySink
from andon.time import HOUR_US, from_datetime

CHICAGO = ZoneInfo("America/Chicago")
KOLKATA = ZoneInfo("Asia/Kolkata")

# 2-2-3 "Panama": two 12-hour shifts, four crews, a 14-day cycle; on day shifts A and C
# alternate, on night shifts B and D.
PANAMA_A = (1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0)
PANAMA_C = tuple(1 - v for v in PANAMA_A)


def _panama(anchor: dt.date, holidays: tuple[dt.date, ...] = ()) -> Site:
    return Site(
        id="joliet",
        timezone="America/Chicago",
        holidays=holidays,
        shifts=(
            Shift(
                id="day",
                start="06:00",
                end="18:00",
                rotation=Rotation(anchor=anchor, crews={"A": PANAMA_A, "C": PANAMA_C}),
            ),
            Shift(
                id="night",
                start="18:00",
                end="06:00",
                rotation=Rotation(anchor=anchor, crews={"B": PANAMA_A, "D": PANAMA_C}),
            ),
        ),
    )


def _local(day: dt.date, hour: int, tz: ZoneInfo = CHICAGO, minute: int = 0) -> int:
    return from_datetime(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz))


def test_panama_covers_every_hour_and_names_each_crew() -> None:
    anchor = dt.date(2026, 1, 5)
    calendar = SiteCalendar.of(_panama(anchor))
    start, end = _local(anchor, 6), _local(anchor + dt.timedelta(14), 6)
    assert calendar.planned_seconds(start, end) == 14 * 24 * 3600
    spans = calendar.shifts(start, end)
    assert len(spans) == 28
    day_crews = "".join(s.crew or "?" for s in spans if s.shift_id == "day")
    night_crews = "".join(s.crew or "?" for s in spans if s.shift_id == "night")
    assert day_crews == "AACCAAACCAACCC"
    assert night_crews == "BBDDBBBDDBBDDD"
    # each crew works 7 of 14 twelve-hour shifts: 84 hours a fortnight
    hours = {
        crew: sum((s.end - s.start) / HOUR_US for s in spans if s.crew == crew) for crew in "ABCD"
    }
    assert hours == {"A": 84.0, "B": 84.0, "C": 84.0, "D": 84.0}


def test_panama_keeps_its_phase_and_hours_across_daylight_saving() -> None:
    anchor = dt.date(2026, 1, 5)
    calendar = SiteCalendar.of(_panama(anchor))
    spring = dt.date(2026, 3, 7)  # the night of 7 to 8 March loses an hour
    (night,) = [
        s
        for s in calendar.shifts(_local(spring, 12), _local(spring + dt.timedelta(1), 12))
        if s.shift_id == "night" and s.day == spring
    ]
    assert (night.end - night.start) / HOUR_US == 11
    # the cycle counts local dates: 2026-03-07 is day 62 from the anchor, 62 % 14 = 6
    assert night.crew == ("B" if PANAMA_A[(spring - anchor).days % 14] else "D")
    assert night.end == _local(spring + dt.timedelta(1), 6)
    week = calendar.planned_seconds(_local(spring, 0), _local(spring + dt.timedelta(7), 0))
    assert week == (7 * 24 - 1) * 3600
    fall = dt.date(2026, 10, 31)
    week = calendar.planned_seconds(_local(fall, 0), _local(fall + dt.timedelta(7), 0))
    assert week == (7 * 24 + 1) * 3600


def test_a_holiday_removes_the_rotating_shifts_that_start_on_it() -> None:
    anchor = dt.date(2026, 1, 5)
    holiday = dt.date(2026, 1, 7)
    calendar = SiteCalendar.of(_panama(anchor, holidays=(holiday,)))
    start, end = _local(anchor, 6), _local(anchor + dt.timedelta(14), 6)
    assert calendar.planned_seconds(start, end) == 13 * 24 * 3600
    assert not calendar.is_planned(_local(holiday, 12))
    assert not calendar.is_planned(_local(holiday, 23))
    assert calendar.is_planned(_local(holiday, 3))  # the night shift of the 6th runs on


def test_four_crew_continental_runs_three_shifts_a_day() -> None:
    # 2 early, 2 late, 2 nights, 2 off on an 8-day cycle; crew k starts 2k days later.
    def crew(offset: int, phase: int) -> tuple[int, ...]:
        return tuple(1 if (day - 2 * offset) % 8 // 2 == phase else 0 for day in range(8))

    crews = "ABCD"
    shifts = tuple(
        Shift(
            id=name,
            start=start,
            end=end,
            rotation=Rotation(
                anchor=dt.date(2026, 1, 5), crews={c: crew(k, phase) for k, c in enumerate(crews)}
            ),
        )
        for phase, (name, start, end) in enumerate(
            [("early", "06:00", "14:00"), ("late", "14:00", "22:00"), ("night", "22:00", "06:00")]
        )
    )
    calendar = SiteCalendar.of(Site(id="pune", timezone="Asia/Kolkata", shifts=shifts))
    day = dt.date(2026, 1, 13)  # day 9 of the cycle, its day 1 again
    spans = calendar.shifts(_local(day, 6, KOLKATA), _local(day, 22, KOLKATA) + 1)
    assert [(s.shift_id, s.crew) for s in spans] == [("early", "A"), ("late", "D"), ("night", "C")]
    start, end = _local(day, 6, KOLKATA), _local(day + dt.timedelta(8), 6, KOLKATA)
    assert calendar.planned_seconds(start, end) == 8 * 24 * 3600
    every = calendar.shifts(start, end - 1)
    assert {c: sum(1 for s in every if s.crew == c) for c in crews} == dict.fromkeys(crews, 6)


def test_a_four_on_four_off_line_runs_on_its_cycle_not_on_weekdays() -> None:
    shift = Shift(
        id="day",
        start="07:00",
        end="19:00",
        rotation=Rotation(anchor=dt.date(2026, 1, 5), crews={"red": (1, 1, 1, 1, 0, 0, 0, 0)}),
    )
    calendar = SiteCalendar.of(Site(id="s", timezone="Europe/Paris", shifts=(shift,)))
    paris = ZoneInfo("Europe/Paris")
    start = _local(dt.date(2026, 1, 5), 0, paris)
    days = [s.day.isoformat() for s in calendar.shifts(start, start + 16 * 24 * HOUR_US)]
    assert days == [
        "2026-01-05",
        "2026-01-06",
        "2026-01-07",
        "2026-01-08",
        "2026-01-13",
        "2026-01-14",
        "2026-01-15",
        "2026-01-16",
    ]


def test_a_maintenance_window_inside_a_shift_is_planned_down_time() -> None:
    site = Site(
        id="s",
        timezone="America/Chicago",
        shifts=(Shift(id="all", start="00:00", end="00:00", days=tuple(Weekday)),),
        maintenance_windows=(
            MaintenanceWindow(id="tue", day=Weekday.TUE, start="10:00", duration_h=4),
        ),
    )
    calendar = SiteCalendar.of(site)
    tuesday = dt.date(2026, 1, 6)
    start, end = _local(tuesday, 0), _local(tuesday + dt.timedelta(1), 0)
    assert calendar.planned_seconds(start, end) == 20 * 3600
    assert calendar.zone_at([_local(tuesday, 11)])[0] == Zone.BREAK
    assert calendar.zone_at([_local(tuesday, 9)])[0] == Zone.WORK
    assert calendar.zone_at([_local(tuesday, 14)])[0] == Zone.WORK
    (window,) = calendar.maintenance_windows(start, end)
    assert (window.start, window.end) == (_local(tuesday, 10), _local(tuesday, 14))
    assert calendar.breaks(start, end) == ()  # a window is not a break of the shift


def _kolkata_peak() -> Site:
    prices = [0.10] * 24
    prices[9:12] = [0.30] * 3
    return Site(
        id="pune",
        timezone="Asia/Kolkata",
        tariff=Tariff(price_per_kwh=prices, gco2e_per_kwh=[float(h) for h in range(24)]),
    )


def test_a_local_peak_at_a_half_hour_zone_applies_in_local_hours() -> None:
    site = _kolkata_peak()
    day = dt.date(2026, 1, 5)
    minutes = np.arange(0, 24 * 60, 15)
    times = np.asarray([_local(day, 0, KOLKATA) + int(m) * 60_000_000 for m in minutes])
    price, carbon = tariff_at(site, times)
    peak = minutes[price == 0.30]
    assert (peak.min(), peak.max()) == (9 * 60, 11 * 60 + 45)  # 09:00-12:00 local
    assert np.array_equal(carbon, minutes // 60)
    # 09:00 local is 03:30 UTC
    utc = [dt.datetime.fromtimestamp(t / 1e6, dt.UTC).strftime("%H:%M") for t in times[price > 0.2]]
    assert (utc[0], utc[-1]) == ("03:30", "06:15")


def test_tariff_hours_begin_on_local_hours() -> None:
    site = _kolkata_peak()
    day = dt.date(2026, 1, 5)
    starts = tariff_hour_starts(
        site, _local(day, 0, KOLKATA), _local(day + dt.timedelta(1), 0, KOLKATA)
    )
    assert starts.size == 24
    assert {dt.datetime.fromtimestamp(t / 1e6, dt.UTC).minute for t in starts} == {30}
    chicago = site.model_copy(update={"timezone": "America/Chicago"})
    spring, fall = dt.date(2026, 3, 8), dt.date(2026, 11, 1)
    assert (
        tariff_hour_starts(chicago, _local(spring, 0), _local(spring + dt.timedelta(1), 0)).size
        == 23
    )
    assert (
        tariff_hour_starts(chicago, _local(fall, 0), _local(fall + dt.timedelta(1), 0)).size == 25
    )


def test_the_weekend_factor_applies_on_local_weekends() -> None:
    site = _kolkata_peak().model_copy(
        update={
            "tariff": Tariff(price_per_kwh=[1.0] * 24, gco2e_per_kwh=[1.0] * 24, weekend_factor=0.5)
        }
    )
    friday_late = _local(dt.date(2026, 1, 9), 23, KOLKATA, 45)  # still Friday locally
    saturday = _local(dt.date(2026, 1, 10), 0, KOLKATA, 15)  # Friday 18:45 UTC
    price, _ = tariff_at(site, [friday_late, saturday])
    assert price.tolist() == [1.0, 0.5]


def test_no_tariff_gives_no_price() -> None:
    price, carbon = tariff_at(Site(id="s"), [0])
    assert np.isnan(price[0])
    assert np.isnan(carbon[0])


ROTATING = """\
enterprise: {id: acme}
sites:
  - id: plant
    timezone: America/Chicago
    shifts:
      - id: day
        start: "06:00"
        end: "18:00"
        DAYS
        rotation:
          anchor: 2026-01-05
          crews:
            A: [1, 1, 0, 0]
            B: B_PATTERN
"""


@pytest.mark.parametrize(
    ("days", "pattern", "message"),
    [
        ("", "[0, 0, 1]", "different lengths"),
        ("", "[1, 0, 1, 1]", "are all on shift 'day' on day 1"),
        ("days: [mon, tue]", "[0, 0, 1, 1]", "both days and a rotation"),
    ],
)
def test_a_broken_rotation_is_a_model_problem(
    tmp_path: Path, days: str, pattern: str, message: str
) -> None:
    file = tmp_path / "plant.yaml"
    file.write_text(ROTATING.replace("DAYS", days).replace("B_PATTERN", pattern))
    with pytest.raises(ModelError) as caught:
        load_model(file)
    (problem,) = caught.value.problems
    assert problem.code == "model.bad_rotation"
    assert message in problem.message
    assert problem.line is not None


def test_a_rotation_in_yaml_loads(tmp_path: Path) -> None:
    file = tmp_path / "plant.yaml"
    file.write_text(ROTATING.replace("DAYS", "").replace("B_PATTERN", "[0, 0, 1, 1]"))
    site = load_model(file).plant.sites[0]
    rotation = site.shifts[0].rotation
    assert rotation is not None
    assert rotation.crews == {"A": (1, 1, 0, 0), "B": (0, 0, 1, 1)}
    calendar = SiteCalendar.of(site)
    assert calendar.crew_ids == ("A", "B")
    assert SiteCalendar.of(site) is calendar  # shared although a rotation does not hash


def test_the_simulator_stamps_tariffs_on_local_hours_at_a_half_hour_zone() -> None:
    model = load_model(Path(__file__).resolve().parents[2] / "examples" / "beverage")
    sink = MemorySink()
    simulate(model, days=1, seed=1, sink=sink)
    table = sink.table("tariff")
    site_path = next(path for path in model.sites if path.endswith("/pune"))
    pune = model.sites[site_path]
    rows = table.filter(np.asarray(table["site"].to_pylist()) == site_path)
    ts = rows["ts"].cast("int64").to_numpy()
    assert ts.size == 24
    assert {dt.datetime.fromtimestamp(t / 1e6, dt.UTC).minute for t in ts} == {30}
    price, carbon = tariff_at(pune, ts)
    assert np.allclose(rows["price_per_kwh"].to_numpy(), price)
    assert np.allclose(rows["gco2e_per_kwh"].to_numpy(), carbon)
    local_hours = [dt.datetime.fromtimestamp(t / 1e6, KOLKATA).hour for t in ts]
    assert pune.tariff is not None
    assert rows["price_per_kwh"].to_pylist() == [pune.tariff.price_per_kwh[h] for h in local_hours]
