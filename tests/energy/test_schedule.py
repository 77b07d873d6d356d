"""The flexible-work schedule: cheap hours found, limits kept, late jobs named, a plan always."""

from __future__ import annotations

import numpy as np
import pytest

from andon.apps.energy.schedule import Grid, Job, asap, solve, trade_off


def _grid(prices: list[float], **kwargs: float) -> Grid:
    price = np.asarray(prices)
    return Grid(step_h=1.0, price=price, carbon_g=np.full(price.size, 100.0), **kwargs)


def test_a_job_moves_to_the_cheap_hours() -> None:
    grid = _grid([0.3, 0.3, 0.3, 0.1, 0.1, 0.3])
    job = Job(id="j", release=0, due=6, power_kw=(10.0, 10.0), machines=("m1",))
    plan = solve([job], grid)
    assert plan.status == "optimal"
    [placed] = plan.placements
    assert (placed.start, placed.end) == (3, 5)
    assert plan.energy_cost == pytest.approx(2.0)  # 20 kWh at 0.1
    assert asap([job], grid).energy_cost == pytest.approx(6.0)  # at the start, at 0.3


def test_one_job_at_a_time_on_a_machine_and_the_peak_limit() -> None:
    grid = _grid([0.1, 0.1, 0.5, 0.5], peak_kw=15.0)
    jobs = [
        Job(id=f"j{k}", release=0, due=4, power_kw=(10.0,), machines=("m1", "m2")) for k in range(2)
    ]
    plan = solve(jobs, grid)
    # side by side they would draw 20 kW: the limit puts them one after the other
    assert plan.peak_kw <= 15.0
    assert sorted(p.start for p in plan.placements) == [0, 1]


def test_a_job_that_cannot_meet_its_due_step_is_named_and_planned_closest() -> None:
    grid = _grid([0.1] * 6)
    jobs = [
        Job(id="ok", release=0, due=2, power_kw=(5.0, 5.0), machines=("m1",)),
        Job(id="late", release=0, due=2, power_kw=(5.0, 5.0), machines=("m1",)),
        Job(id="nowhere", release=0, due=6, power_kw=(5.0,), machines=()),
    ]
    plan = solve(jobs, grid)
    assert plan.late_jobs == ("late",) or plan.late_jobs == ("ok",)
    [late] = [p for p in plan.placements if p.late_steps]
    assert late.late_steps == 2  # the closest plan: right after the other
    assert plan.unplaced == ("nowhere",)


def test_the_demand_charge_and_carbon_price_change_the_plan() -> None:
    price = [0.1, 0.1, 0.2, 0.2]
    grid = Grid(
        step_h=1.0, price=np.asarray(price), carbon_g=np.asarray([900.0, 900.0, 50.0, 50.0])
    )
    job = Job(id="j", release=0, due=4, power_kw=(100.0,), machines=("m1",))
    curve = trade_off([job], grid, [0.0, 500.0])
    (_, money_0, kg_0), (_, money_500, kg_500) = curve
    assert money_0 < money_500  # a high carbon price buys the clean, dearer hour
    assert kg_500 < kg_0
