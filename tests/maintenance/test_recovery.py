"""After a failure: the part a down asset waits for is expedited when it pays."""

from __future__ import annotations

import polars as pl

from andon.apps.maintenance.recovery import expedite_for_failures
from andon.model import Model

HOUR = 3_600_000_000
NOW = 1_767_571_200_000_000
LATHE = "acme/brno/machining/m1/turning/lathe1"  # turret clamp: 14 days, 3 expedited


def _orders(events: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts": [NOW - 2 * HOUR + i for i in range(len(events))],
            "work_order": ["WO-1"] * len(events),
            "path": [LATHE] * len(events),
            "kind": ["failure"] * len(events),
            "event": events,
            "failure_mode": ["tool_turret"] * len(events),
        }
    )


def _hours(site: str, start_h: float, end_h: float) -> float:
    del site
    return max(end_h - start_h, 0.0) * 16.0 / 24.0


def test_a_long_wait_for_a_missing_part_is_expedited(example_model: Model) -> None:
    (fast,) = expedite_for_failures(
        example_model, _orders(["opened"]), {}, now=NOW, production_hours=_hours
    )
    assert fast.part == "TUR-CLAMP"
    assert fast.equipment == LATHE
    assert fast.quantity == 1
    assert fast.production_hours_saved > 100
    assert fast.saving > 0


def test_nothing_is_expedited_when_the_part_is_on_hand_or_the_repair_started(
    example_model: Model,
) -> None:
    on_hand = {("brno", "TUR-CLAMP"): 1}
    assert not expedite_for_failures(
        example_model, _orders(["opened"]), on_hand, now=NOW, production_hours=_hours
    )
    assert not expedite_for_failures(
        example_model, _orders(["opened", "started"]), {}, now=NOW, production_hours=_hours
    )


def test_a_stop_that_costs_nothing_is_not_worth_the_fee(example_model: Model) -> None:
    assert not expedite_for_failures(
        example_model, _orders(["opened"]), {}, now=NOW, production_hours=lambda *_: 0.0
    )
