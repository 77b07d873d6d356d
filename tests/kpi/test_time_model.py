"""Hand-worked ISO 22400-2 examples: every element and KPI checked against arithmetic."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from kpi_helpers import at, build_model, counts, intervals

from andon.kpi import aggregate, elements_from_records, kpis, loss_tree
from andon.model import Model


@pytest.fixture
def two_machines() -> Model:
    """Site s1 in UTC, one day shift 08:00-16:00 every day, machines c0/m and c1/m."""
    return build_model()


M0 = "e/s1/a/l/c0/m"
M1 = "e/s1/a/l/c1/m"


def _row(frame: pl.DataFrame, path: str, period: str | None = None) -> dict[str, object]:
    rows = frame.filter(pl.col("path") == path)
    if period is not None:
        rows = rows.filter(pl.col("period") == period)
    assert rows.height == 1, rows
    return rows.row(0, named=True)


@pytest.fixture
def shift_with_break() -> Model:
    """UTC site, one shift 08:00-16:00 every day with a break 12:00-12:30; cycle 60 s."""
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    return build_model(
        shifts=[
            {
                "id": "day",
                "start": "08:00",
                "end": "16:00",
                "days": days,
                "breaks": [["12:00", "12:30"]],
            }
        ],
        machines=1,
    )


def test_one_day_every_element_and_kpi(shift_with_break: Model) -> None:
    d = "2026-03-02 "
    run = elements_from_records(
        shift_with_break,
        intervals=intervals(
            [
                (M0, "setup", d + "08:00", d + "09:00"),  # AUST 3600
                (M0, "running", d + "09:00", d + "11:00"),  # APT 7200
                (M0, "unplanned_down", d + "11:00", d + "11:03"),  # 180, a minor stop
                (M0, "running", d + "11:03", d + "12:00"),  # APT 3420
                (M0, "running", d + "12:00", d + "12:30"),  # in the break: not APT
                (M0, "unplanned_down", d + "12:30", d + "13:30"),  # 3600, a breakdown
                (M0, "starved", d + "13:30", d + "14:00"),  # ADET 1800
                (M0, "planned_down", d + "14:00", d + "15:00"),  # PDOT 3600
                (M0, "running", d + "15:00", d + "16:00"),  # APT 3600
                (M0, "running", d + "16:00", d + "17:00"),  # after the shift: not APT
            ]
        ),
        counts=counts(
            [
                (M0, d + "11:00", 110, 2, 0),
                (M0, d + "12:00", 50, 0, 1),
                (M0, d + "16:00", 55, 1, 0),  # covers 15:00-16:00, inside the shift
                (M0, d + "17:00", 58, 0, 0),  # made after the shift
            ]
        ),
        start=at("2026-03-02 00:00"),
        end=at("2026-03-03 00:00"),
        period="day",
    )
    e = _row(run.elements, M0, "2026-03-02")
    # Time model (seconds).
    assert e["calendar_work_s"] == 8 * 3600 - 1800
    assert e["pot_s"] == 8 * 3600  # 28800: the shift
    assert e["break_s"] == 1800
    assert e["planned_down_s"] == 3600
    assert e["pdot_s"] == 1800 + 3600  # 5400
    assert e["apt_s"] == 7200 + 3420 + 3600  # 14220
    assert e["aust_s"] == 3600
    assert e["adet_s"] == 1800
    assert e["adot_s"] == 180 + 3600  # 3780
    assert e["minor_down_s"] == 180
    assert e["pbt_s"] == 14220 + 3600 + 1800 + 3780  # 23400 = POT - PDOT
    assert e["pbt_s"] == e["pot_s"] - e["pdot_s"]
    assert e["outside_running_s"] == 1800 + 3600  # break + after the shift
    assert e["no_state_s"] == 0
    # Quantities: PQ = GQ + SQ + RQ inside planned busy time.
    assert (e["gq"], e["sq"], e["rq"], e["pq"]) == (215, 3, 1, 219)
    assert e["pq_outside"] == 58
    assert e["pri_pq_s"] == 219 * 60  # 13140
    # Maintenance: one failure event (the 3600 s stop), TBF = running anywhere in the day.
    assert e["fe"] == 1
    assert e["ttr_s"] == 3600
    assert e["tbf_s"] == 14220 + 1800 + 3600  # 19620

    k = _row(kpis(aggregate(run.elements, "equipment")), M0)
    assert k["availability"] == pytest.approx(14220 / 23400)  # 0.6077
    assert k["effectiveness"] == pytest.approx(13140 / 14220)  # 0.9241
    assert k["quality_ratio"] == pytest.approx(215 / 219)  # 0.9817
    assert k["oee"] == pytest.approx(14220 / 23400 * 13140 / 14220 * 215 / 219)
    assert k["oee"] == pytest.approx(0.551282, abs=1e-6)  # 13140/23400 * 215/219
    assert k["nee"] == pytest.approx((14220 + 3600) / 23400 * 13140 / 14220 * 215 / 219)
    assert k["setup_ratio"] == pytest.approx(3600 / (14220 + 3600))
    assert k["technical_efficiency"] == pytest.approx(14220 / (14220 + 1800))
    assert k["allocation_efficiency"] == pytest.approx((14220 + 3600 + 1800) / 23400)
    assert k["utilization_efficiency"] == pytest.approx(14220 / (14220 + 3600 + 1800))
    assert k["equipment_load_ratio"] == pytest.approx((14220 + 3600) / 28800)
    assert k["scrap_ratio"] == pytest.approx(3 / 219)
    assert k["rework_ratio"] == pytest.approx(1 / 219)
    assert k["first_pass_yield"] == pytest.approx(215 / 219)
    assert k["mtbf_h"] == pytest.approx(19620 / 3600)  # 5.45 h
    assert k["mttr_h"] == pytest.approx(1.0)
    assert k["allocation_ratio"] is None  # no orders: AOET = 0
    assert k["corrective_maintenance_ratio"] is None  # no work orders

    tree = {
        r["loss"]: r
        for r in loss_tree(run.elements, shift_with_break, "equipment").iter_rows(named=True)
    }
    hours = {name: row["hours"] * 3600 for name, row in tree.items()}
    assert hours["breakdowns"] == pytest.approx(3600)
    assert hours["minor_stops"] == pytest.approx(180)
    assert hours["setups"] == pytest.approx(3600)
    assert hours["delays"] == pytest.approx(1800)
    assert hours["speed"] == pytest.approx(14220 - 13140)  # 1080
    assert hours["scrap"] == pytest.approx(3 * 60)
    assert hours["rework"] == pytest.approx(1 * 60)
    assert hours["valuable"] == pytest.approx(215 * 60)
    assert sum(hours.values()) == pytest.approx(23400)  # the tree splits PBT exactly
    # Money at 100 per hour of downtime, plus 5 per scrapped unit.
    assert tree["breakdowns"]["money"] == pytest.approx(100.0)
    assert tree["minor_stops"]["money"] == pytest.approx(100.0 * 180 / 3600)
    assert tree["scrap"]["money"] == pytest.approx(100.0 * 180 / 3600 + 3 * 5.0)


def test_a_period_boundary_cuts_a_stop_but_not_its_class() -> None:
    """A 10-minute stop over midnight is one breakdown, counted in the day it started."""
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    model = build_model(
        shifts=[{"id": "night", "start": "22:00", "end": "06:00", "days": days}], machines=1
    )
    rows = [
        (M0, "running", "2026-03-02 22:00", "2026-03-02 23:58"),
        (M0, "unplanned_down", "2026-03-02 23:58", "2026-03-03 00:08"),
        (M0, "running", "2026-03-03 00:08", "2026-03-03 06:00"),
    ]
    days_run = elements_from_records(
        model,
        intervals=intervals(rows),
        start=at("2026-03-02 00:00"),
        end=at("2026-03-04 00:00"),
        period="day",
    )
    first = _row(days_run.elements, M0, "2026-03-02")
    second = _row(days_run.elements, M0, "2026-03-03")
    assert first["adot_s"] == 120
    assert second["adot_s"] == 480
    assert first["minor_down_s"] == 0
    assert second["minor_down_s"] == 0
    assert (first["fe"], second["fe"]) == (1, 0)
    assert first["apt_s"] == 7080
    assert second["apt_s"] == 6 * 3600 - 480
    shift_run = elements_from_records(
        model,
        intervals=intervals(rows),
        start=at("2026-03-02 00:00"),
        end=at("2026-03-04 00:00"),
        period="shift",
    )
    shift = _row(shift_run.elements, M0, "2026-03-02 night")
    assert shift["pot_s"] == 8 * 3600
    assert shift["adot_s"] == 600
    assert shift["fe"] == 1
    # A range that starts inside the stop still classes it by its full length.
    cut = elements_from_records(
        model,
        intervals=intervals(rows),
        start=at("2026-03-03 00:00"),
        end=at("2026-03-04 00:00"),
        period="day",
    )
    assert _row(cut.elements, M0, "2026-03-03")["minor_down_s"] == 0
    assert _row(cut.elements, M0, "2026-03-03")["fe"] == 0


def test_no_production_gives_null_ratios_not_zero_or_nan(two_machines: Model) -> None:
    run = elements_from_records(
        two_machines,
        intervals=intervals([(M0, "idle", "2026-03-02 08:00", "2026-03-02 16:00")]),
        start=at("2026-03-02 00:00"),
        end=at("2026-03-03 00:00"),
    )
    table = kpis(aggregate(run.elements, "equipment"))
    idle = _row(table, M0)
    assert idle["availability"] == 0.0  # planned, never running
    assert idle["effectiveness"] is None
    assert idle["quality_ratio"] is None
    assert idle["oee"] is None
    silent = _row(table, M1)  # no record at all: nothing is sound, the gap is shown
    assert silent["pbt_s"] == 0
    assert silent["availability"] is None
    assert silent["no_state_s"] == 8 * 3600
    floats = [c for c, t in table.schema.items() if t == pl.Float64]
    assert not any(table[c].is_nan().any() for c in floats)
    assert "state.no_data" in run.issues["code"].to_list()


@pytest.mark.parametrize(
    ("shift_day", "expected_hours"),
    [
        ("2026-10-24", 9),  # CEST -> CET: the night of the autumn change is 9 hours
        ("2026-03-28", 7),  # CET -> CEST: the night of the spring change is 7 hours
        ("2026-03-20", 8),
    ],
)
def test_night_shift_across_daylight_saving_change(shift_day: str, expected_hours: int) -> None:
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    model = build_model(
        timezone="Europe/Berlin",
        shifts=[
            {
                "id": "night",
                "start": "22:00",
                "end": "06:00",
                "days": days,
                "breaks": [["04:00", "04:30"]],
            }
        ],
        machines=1,
    )
    rows = [(M0, "running", "2026-01-01 00:00", "2026-12-31 00:00")]
    run = elements_from_records(
        model,
        intervals=intervals(rows),
        start=at("2026-03-10 00:00") if shift_day < "2026-06" else at("2026-10-15 00:00"),
        end=at("2026-04-05 00:00") if shift_day < "2026-06" else at("2026-11-05 00:00"),
        period="shift",
    )
    shift = _row(run.elements, M0, f"{shift_day} night")
    assert shift["pot_s"] == expected_hours * 3600
    assert shift["apt_s"] == expected_hours * 3600 - 1800
    assert shift["pbt_s"] == expected_hours * 3600 - 1800


def test_local_day_of_the_autumn_change_is_25_hours() -> None:
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    model = build_model(
        timezone="Europe/Berlin",
        shifts=[{"id": "night", "start": "22:00", "end": "06:00", "days": days}],
        machines=1,
    )
    run = elements_from_records(
        model,
        intervals=intervals([(M0, "running", "2026-10-20 00:00", "2026-10-30 00:00")]),
        start=at("2026-10-22 00:00"),
        end=at("2026-10-28 00:00"),
        period="day",
    )
    day = _row(run.elements, M0, "2026-10-25")
    assert day["period_start"] == at("2026-10-24 22:00")  # local midnight, CEST
    assert day["period_end"] == at("2026-10-25 23:00")  # next local midnight, CET: 25 h
    # 00:00-06:00 local is 7 hours that night (02:00-03:00 happens twice), then 22:00-24:00.
    assert day["apt_s"] == (7 + 2) * 3600


def test_line_oee_is_computed_from_summed_elements_not_the_mean(two_machines: Model) -> None:
    d = "2026-03-02 "
    run = elements_from_records(
        two_machines,
        intervals=intervals(
            [
                (M0, "running", d + "08:00", d + "16:00"),  # A: PBT 8 h, APT 8 h
                (M1, "running", d + "08:00", d + "10:00"),  # B: APT 2 h
                (M1, "idle", d + "10:00", d + "12:00"),  # B: ADET 2 h
                (M1, "planned_down", d + "12:00", d + "16:00"),  # B: PBT only 4 h
            ]
        ),
        counts=counts([(M0, d + "16:00", 480, 0, 0), (M1, d + "10:00", 24, 6, 0)]),
        start=at("2026-03-02 00:00"),
        end=at("2026-03-03 00:00"),
    )
    machines = kpis(aggregate(run.elements, "equipment"))
    a, b = _row(machines, M0), _row(machines, M1)
    assert a["oee"] == pytest.approx(1.0)  # 28800/28800 * 480*60/28800 * 1
    assert b["oee"] == pytest.approx(0.5 * 0.25 * 0.8)  # 7200/14400 * 30*60/7200 * 24/30
    line = _row(kpis(aggregate(run.elements, "line")), "e/s1/a/l")
    # A serial line is its constraint (both cells as fast: the one nearer the end, B), not
    # the mean of its stations (0.55) nor their sum (0.70).
    assert line["availability"] == pytest.approx(b["availability"])
    assert line["oee"] == pytest.approx(b["oee"])
    assert line["oee"] != pytest.approx((a["oee"] + b["oee"]) / 2)
    # The sum of elements is still how the site weighs lines, and how a cell weighs
    # parallel machines: the area of one line is that line.
    area = _row(kpis(aggregate(run.elements, "area")), "e/s1/a")
    assert area["oee"] == pytest.approx(line["oee"])


def test_dates_mean_whole_local_days_at_each_site() -> None:
    model = build_model(timezone="America/Chicago", machines=1)
    run = elements_from_records(
        model,
        intervals=intervals([(M0, "running", "2026-03-01 00:00", "2026-03-05 00:00")]),
        start=dt.date(2026, 3, 2),
        end=dt.date(2026, 3, 3),
    )
    assert run.elements["period"].to_list() == ["2026-03-02"]  # no partial neighbour day
    day = run.elements.row(0, named=True)
    assert day["period_start"] == at("2026-03-02 06:00")  # Chicago midnight, CST
    assert day["apt_s"] == 8 * 3600  # the 08:00-16:00 local shift
