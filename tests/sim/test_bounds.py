"""The evaluation's bounds: the oracle that sees the future and the policy that sees the present."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from tests.sim.conftest import tiny_model

from andon import records
from andon.model import Model
from andon.records import KIND_SCHEMAS, RecordKind
from andon.sim import Oracle, PartStock, PlantView, RunToFailure, TrueHealth, simulate
from andon.sim.policy import TruthView
from andon.sim.wear import draw_path, failure_probability

PRESS = "tiny/s1/a/l1/pressing/press1"
NOW = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)
NOW_US = int(NOW.timestamp() * 1e6)


def _view(
    model: Model,
    *,
    wear_left: float,
    on_hand: int = 0,
    maintenance: pa.Table | None = None,
    down: frozenset[str] = frozenset(),
    health: float = 0.5,
) -> PlantView:
    return PlantView(
        now_us=NOW_US,
        epoch_h=24.0,
        model=model,
        samples=KIND_SCHEMAS[RecordKind.SAMPLE].empty_table(),
        maintenance=maintenance
        if maintenance is not None
        else KIND_SCHEMAS[RecordKind.MAINTENANCE].empty_table(),
        inventory={("tiny/s1", "P1"): PartStock(on_hand=on_hand, on_order=0)},
        operating_hours={},
        down=down,
        pending=frozenset(),
        windows={},
        truth=TruthView(
            health={PRESS: {"wear": health, "jam": 0.0}},
            failure_at_wear={PRESS: {"wear": wear_left, "jam": 1e9}},
            wear_rate={PRESS: 1.0},
        ),
    )


def _failure_opened(work_order: str, *, hours_ago: float) -> pa.Table:
    """A failure work order of the press's wear mode, opened and waiting."""
    return records.maintenance(
        ts=[NOW - dt.timedelta(hours=hours_ago)],
        work_order=work_order,
        path=PRESS,
        kind="failure",
        event="opened",
        failure_mode="wear",
    )


def test_failure_probability_follows_the_simulated_wear_paths() -> None:
    rng = np.random.default_rng(3)
    lives = np.array(
        [
            draw_path(rng, mtbf_h=100.0, shape=6.0, signal=True, offset=0.0).fail_w
            for _ in range(4000)
        ]
    )
    for wear_h in (50.0, 100.0, 150.0):
        empirical = float(np.mean(lives <= wear_h))
        exact = failure_probability(0.0, mtbf_h=100.0, shape=6.0, wear_h=wear_h)
        # 4,000 lives: the binomial standard error is at most 0.008
        assert exact == pytest.approx(empirical, abs=0.03), wear_h
    assert failure_probability(0.9, mtbf_h=100.0, shape=6.0, wear_h=10.0) > failure_probability(
        0.5, mtbf_h=100.0, shape=6.0, wear_h=10.0
    )
    assert failure_probability(0.5, mtbf_h=100.0, shape=6.0, wear_h=0.0) == 0.0


def test_the_oracle_orders_the_part_of_a_failure_it_sees_coming(tmp_path: Path) -> None:
    model = tiny_model(tmp_path, mtbf_wear=400.0, mtbf_shock=1e6)
    # P1: 2 days normal, half a day expedited. Failing in 10 h: only an expedite arrives in time.
    soon = Oracle().decide(_view(model, wear_left=10.0)).part_orders
    assert [(o.part, o.site, o.quantity, o.expedite) for o in soon] == [("P1", "tiny/s1", 1, True)]
    # Failing in 100 h: a normal order arrives first, and costs no fee.
    later = Oracle().decide(_view(model, wear_left=100.0)).part_orders
    assert [(o.quantity, o.expedite) for o in later] == [(1, False)]
    # With the part on the shelf, or the failure a month away, nothing is ordered.
    assert Oracle().decide(_view(model, wear_left=10.0, on_hand=1)).part_orders == ()
    assert Oracle().decide(_view(model, wear_left=720.0)).part_orders == ()


def test_the_oracle_expedites_what_a_failed_machine_waits_for_once(tmp_path: Path) -> None:
    model = tiny_model(tmp_path, mtbf_wear=400.0, mtbf_shock=1e6)
    opened = _failure_opened("WO-1", hours_ago=2)
    oracle = Oracle()
    first = oracle.decide(
        _view(model, wear_left=1e9, maintenance=opened, down=frozenset({PRESS}))
    ).part_orders
    assert [(o.part, o.quantity, o.expedite) for o in first] == [("P1", 1, True)]
    again = oracle.decide(_view(model, wear_left=1e9, down=frozenset({PRESS}))).part_orders
    assert again == ()


def test_true_health_avoids_failures_it_can_see_and_leaves_shocks_alone(tmp_path: Path) -> None:
    model = tiny_model(tmp_path, mtbf_wear=60.0, mtbf_shock=1e6)
    rtf = simulate(model, days=12, seed=11, policy=RunToFailure(), epoch_h=6).maintenance
    seen = simulate(model, days=12, seed=11, policy=TrueHealth(), epoch_h=6).maintenance
    assert seen.preventive_count > 0
    assert seen.failures < rtf.failures
    # A plant whose only failures are shocks gives it nothing to act on.
    shocks = tiny_model(tmp_path, mtbf_wear=1e6, mtbf_shock=30.0)
    blind = simulate(shocks, days=4, seed=2, policy=TrueHealth(), epoch_h=6).maintenance
    assert blind.preventive_count == 0
    assert blind.failures > 0


def test_true_health_orders_parts_ahead_and_expedites_a_waiting_failure(tmp_path: Path) -> None:
    model = tiny_model(tmp_path, mtbf_wear=400.0, mtbf_shock=1e6)
    worn = TrueHealth().decide(_view(model, wear_left=1e9, health=0.97)).part_orders
    assert [(o.part, o.quantity, o.expedite) for o in worn] == [("P1", 1, False)]
    fresh = TrueHealth().decide(_view(model, wear_left=1e9, health=0.0)).part_orders
    assert fresh == ()
    opened = _failure_opened("WO-2", hours_ago=1)
    waiting = (
        TrueHealth()
        .decide(
            _view(model, wear_left=1e9, maintenance=opened, down=frozenset({PRESS}), health=0.0)
        )
        .part_orders
    )
    assert [(o.part, o.quantity, o.expedite) for o in waiting] == [("P1", 1, True)]
