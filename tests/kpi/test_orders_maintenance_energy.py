"""KPIs from order, maintenance and energy records, worked by hand."""

from __future__ import annotations

import polars as pl
import pytest
from kpi_helpers import at, build_model, counts, intervals

from andon import records
from andon.kpi import aggregate, elements_from_records, kpis

D = "2026-03-02 "
M0, M1, LINE = "e/s1/a/l/c0/m", "e/s1/a/l/c1/m", "e/s1/a/l"


def _frame(table: object) -> pl.DataFrame:
    frame = pl.from_arrow(table)  # type: ignore[arg-type]
    assert isinstance(frame, pl.DataFrame)
    return frame


def test_orders_maintenance_and_energy_by_hand() -> None:
    model = build_model(meters=True)
    run = elements_from_records(
        model,
        intervals=intervals(
            [(M0, "running", D + "08:00", D + "16:00"), (M1, "running", D + "08:00", D + "16:00")]
        ),
        counts=pl.concat(
            [counts([(M0, D + "16:00", 400, 0, 0)]), counts([(M1, D + "16:00", 380, 20, 0)])]
        ),
        orders=_frame(
            records.orders(
                ts=[at(D + t) for t in ("07:00", "08:00", "10:00", "11:00", "15:00")],
                order_id="O1",
                product="P",
                quantity=400,
                event=["released", "started", "held", "unheld", "completed"],
                path=LINE,
            )
        ),
        maintenance=_frame(
            records.maintenance(
                ts=[at(D + t) for t in ("09:00", "09:30", "10:30", "16:30", "17:00")],
                work_order=["W1", "W1", "W1", "W2", "W2"],
                path=M0,
                kind=["failure", "failure", "failure", "preventive", "preventive"],
                event=["opened", "started", "closed", "started", "closed"],
            )
        ),
        energy=_frame(
            records.energy(
                ts=[at(D + "12:00"), at(D + "16:00"), at(D + "12:00")],
                path=["e/s1/a/l/lm", "e/s1/a/l/lm", "e/s1/a/l/c0/m/em"],
                kwh=[100.0, 60.0, 30.0],
                interval_s=14400.0,
            )
        ),
        start=at("2026-03-02 00:00"),
        end=at("2026-03-03 00:00"),
    )
    line = kpis(aggregate(run.elements, "line")).row(0, named=True)
    # AOET: 08:00-10:00 started, 10:00-11:00 held, 11:00-15:00 again: 2 h + 4 h.
    assert line["aoet_s"] == 6 * 3600
    # The line's output is its last cell's: 400 units (c1: 380 good + 20 scrap).
    assert line["output_pq"] == 400
    assert line["throughput_rate"] == pytest.approx(400 / 6)  # units per hour
    # AUBT of the line's constraint (c1: 8 h running) over the order's execution time.
    assert line["allocation_ratio"] == pytest.approx(8 / 6)
    # Energy: the line meter alone (160 kWh), not the machine's sub-meter on top of it.
    assert line["energy_kwh"] == pytest.approx(160.0)
    assert line["energy_per_unit_kwh"] == pytest.approx(160 / 400)
    machine = (
        kpis(aggregate(run.elements, "equipment")).filter(pl.col("path") == M0).row(0, named=True)
    )
    assert machine["allocation_ratio"] is None  # the order names the line, not the machine
    assert machine["energy_per_unit_kwh"] == pytest.approx(30 / 400)
    # Corrective 09:30-10:30 (1 h, from started), preventive 16:30-17:00 (0.5 h).
    assert machine["cmt_s"] == 3600
    assert machine["pmt_s"] == 1800
    assert machine["corrective_maintenance_ratio"] == pytest.approx(3600 / (3600 + 1800))


def test_energy_of_an_unknown_meter_is_flagged() -> None:
    model = build_model(meters=True)
    run = elements_from_records(
        model,
        intervals=intervals([(M0, "running", D + "08:00", D + "16:00")]),
        energy=_frame(
            records.energy(ts=[at(D + "12:00")], path="e/s1/a/l/nometer", kwh=[5.0], interval_s=900)
        ),
        start=at("2026-03-02 00:00"),
        end=at("2026-03-03 00:00"),
    )
    flagged = run.issues.filter(pl.col("code") == "energy.unknown_meter")
    assert flagged["path"].to_list() == ["e/s1/a/l/nometer"]
    assert flagged["quantity"].to_list() == [5.0]


def test_first_pass_yield_from_inspections_by_hand() -> None:
    """Five units inspected at c1/m on the 2nd, two tests each (ISO 22400-2: FPY = good
    first-pass units / inspected units):

    - U1, U2: both tests pass: first pass.
    - U3: leak fails, retested at 11:00 and passes: not first pass (reworked).
    - U4: torque fails: not first pass.
    - U5: first inspected the day before (a failure), retested on the 2nd: it belongs to
      the 1st, so the 2nd does not count it.
    - U6 at an unknown station: flagged, not counted.

    2nd: IQ = 4 (U1..U4), FPQ = 2, FPY = 2 / 4 = 0.5; counts say GQ/PQ = 390/400, which the
    inspections override. 1st: IQ = 1, FPQ = 0, FPY = 0.
    """
    model = build_model()
    rows = [
        ("U1", D + "09:00", "leak", True),
        ("U1", D + "09:00", "torque", True),
        ("U2", D + "09:10", "leak", True),
        ("U2", D + "09:10", "torque", True),
        ("U3", D + "09:20", "leak", False),
        ("U3", D + "09:20", "torque", True),
        ("U3", D + "11:00", "leak", True),
        ("U4", D + "09:30", "leak", True),
        ("U4", D + "09:30", "torque", False),
        ("U5", "2026-03-01 15:00", "leak", False),
        ("U5", D + "10:00", "leak", True),
    ]
    inspected = _frame(
        records.inspections(
            ts=[at(t) for _, t, _, _ in rows] + [at(D + "09:00")],
            serial=[u for u, _, _, _ in rows] + ["U6"],
            path=[M1] * len(rows) + ["e/s1/a/l/c9/m"],
            test=[k for _, _, k, _ in rows] + ["leak"],
            passed=[ok for _, _, _, ok in rows] + [True],
        )
    )
    run = elements_from_records(
        model,
        intervals=intervals([(M1, "running", "2026-03-01 08:00", D + "16:00")]),
        counts=counts([(M1, D + "16:00", 390, 10, 0)]),
        inspections=inspected,
        start=at("2026-03-01 00:00"),
        end=at("2026-03-03 00:00"),
    )
    table = kpis(aggregate(run.elements.filter(pl.col("path") == M1), "equipment"))
    days = {row["period"]: row for row in table.iter_rows(named=True)}
    assert (days["2026-03-02"]["iq"], days["2026-03-02"]["fpq"]) == (4, 2)
    assert days["2026-03-02"]["first_pass_yield"] == pytest.approx(0.5)
    assert days["2026-03-02"]["quality_ratio"] == pytest.approx(390 / 400)
    assert (days["2026-03-01"]["iq"], days["2026-03-01"]["fpq"]) == (1, 0)
    assert days["2026-03-01"]["first_pass_yield"] == 0.0
    assert "inspection.unknown_path" in set(run.issues["code"])


def test_first_pass_yield_without_inspections_is_the_count_ratio() -> None:
    model = build_model()
    run = elements_from_records(
        model,
        intervals=intervals([(M1, "running", D + "08:00", D + "16:00")]),
        counts=counts([(M1, D + "16:00", 390, 10, 0)]),
        start=at("2026-03-02 00:00"),
        end=at("2026-03-03 00:00"),
    )
    table = kpis(aggregate(run.elements.filter(pl.col("path") == M1), "equipment"))
    assert table["iq"].to_list() == [0]
    assert table["first_pass_yield"].to_list() == [pytest.approx(390 / 400)]
