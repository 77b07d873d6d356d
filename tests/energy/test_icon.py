"""The ICON 2014 cost function and checker on hand-made cases, and the two planners on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from andon.apps.energy.icon import (
    Instance,
    Task,
    asap,
    check,
    cost,
    on_periods,
    price_aware,
    read_instance,
    read_prices,
)
from andon.errors import InputError


def _one_machine(*tasks: Task, idle: float = 1.0, up: float = 2.0, down: float = 1.0) -> Instance:
    # q = 240: six periods of four hours a day.
    return Instance(q=240, capacity=((4,),), idle=(idle,), up=(up,), down=(down,), tasks=tasks)


PRICES = np.array([5.0, 1.0, 1.0, 4.0, 1.0, 5.0])


def test_the_cost_is_task_energy_idle_energy_and_switching() -> None:
    inst = _one_machine(Task(duration=2, earliest=0, latest=6, power=10.0, use=(2,)))
    # 10 kW for 4 h at 1 and at 1, idle 1 kW the same, one start (2) and one stop (1).
    assert cost(inst, {0: (0, 1)}, PRICES) == pytest.approx(80.0 + 8.0 + 3.0)


def test_a_machine_idles_through_a_gap_only_when_that_is_cheaper() -> None:
    tasks = (
        Task(duration=1, earliest=0, latest=6, power=0.0, use=(1,)),
        Task(duration=1, earliest=0, latest=6, power=0.0, use=(1,)),
    )
    cheap = _one_machine(*tasks, idle=0.1)  # idling 4 h at 4 costs 1.6 < 3
    on, starts = on_periods(cheap, np.array([[0, 0, 1, 0, 1, 0]], dtype=bool), PRICES)
    assert on[0].tolist() == [False, False, True, True, True, False]
    assert starts == 1
    dear = _one_machine(*tasks, idle=1.0)  # idling costs 16 > 3: off and on again
    on, starts = on_periods(dear, np.array([[0, 0, 1, 0, 1, 0]], dtype=bool), PRICES)
    assert on[0].tolist() == [False, False, True, False, True, False]
    assert starts == 2
    assert cost(dear, {0: (0, 2), 1: (0, 4)}, PRICES) == pytest.approx(4 + 4 + 2 * 3)


def test_the_checker_names_every_broken_constraint() -> None:
    inst = _one_machine(
        Task(duration=2, earliest=1, latest=4, power=1.0, use=(3,)),
        Task(duration=1, earliest=0, latest=6, power=1.0, use=(3,)),
        Task(duration=1, earliest=0, latest=6, power=1.0, use=(1,)),
    )
    problems = check(inst, {0: (0, 3), 1: (0, 3)})
    assert "task 2 is not scheduled" in problems
    assert any(p.startswith("task 0 runs 3..5, outside 1..4") for p in problems)
    assert any("over capacity at period 3" in p for p in problems)
    assert check(inst, {0: (0, 1), 1: (0, 3), 2: (0, 0)}) == []


def test_the_price_aware_plan_moves_work_to_cheap_periods() -> None:
    inst = _one_machine(Task(duration=2, earliest=0, latest=6, power=10.0, use=(2,)))
    early = asap(inst)
    planned = price_aware(inst, PRICES)
    assert early == {0: (0, 0)}
    assert planned == {0: (0, 1)}
    assert check(inst, planned) == []
    assert cost(inst, planned, PRICES) < cost(inst, early, PRICES)


def test_bad_files_are_named(tmp_path: Path) -> None:
    short = tmp_path / "instance.txt"
    short.write_text("5 1 2\n0 150 0.1 0.1\n")
    with pytest.raises(InputError, match="ends early"):
        read_instance(short)
    prices = tmp_path / "forecast.txt"
    prices.write_text("288\n0 0.1\n")
    with pytest.raises(InputError, match="1 prices for 288 periods"):
        read_prices(prices)
    with pytest.raises(InputError, match="cannot read"):
        read_prices(tmp_path / "missing.txt")


SAMPLE = Path("../shared/data/icon2014/leaderboard/instance00")


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="the ICON 2014 data are absent")
def test_a_leaderboard_instance_is_planned_feasibly() -> None:
    inst = read_instance(SAMPLE / "instance.txt")
    forecast = read_prices(SAMPLE / "forecast.txt")
    assert len(inst.tasks) == 200
    assert forecast.size == inst.periods == 288
    plan = price_aware(inst, forecast)
    assert check(inst, plan) == []
    assert cost(inst, plan, forecast) <= cost(inst, asap(inst), forecast)
