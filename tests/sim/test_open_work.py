"""Downtime of work still open when a run ends is charged, so leaving a machine down never pays."""

from __future__ import annotations

from pathlib import Path

from andon.model import load_model
from andon.sim import RunToFailure, simulate

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


def test_a_failure_still_waiting_for_parts_at_the_end_is_charged() -> None:
    # Seed 11: Brno's mill2 loses its spindle bearing on day 2; Brno holds one of the two
    # bearings a repair needs and does not expedite, so it waits three weeks for the rest.
    model = load_model(EXAMPLES / "discrete")
    result = simulate(model, days=3, seed=11, policy=RunToFailure(), sample_rate_s=3600)
    repaired = result.failures.to_pylist()  # ground truth lists repairs that closed
    assert [r["failure_mode"] for r in repaired] == ["blade_wear"]
    costs = result.maintenance
    assert costs.failures == 2  # the saw blade repaired, the mill still down
    mill_cost_per_h = model.equipment["acme/brno/machining/m1/milling/mill2"].equipment
    assert costs.unplanned_downtime_h > 20.0
    assert costs.unplanned_downtime_cost > 20.0 * mill_cost_per_h.downtime_cost_per_hour
