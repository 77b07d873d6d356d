"""Downtime of work still open when a run ends is charged, so leaving a machine down never pays."""

from __future__ import annotations

from pathlib import Path

from andon.model import load_model
from andon.sim import MaintenancePlan, PlantView, PreventiveOrder, RunToFailure, simulate

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


def test_a_failure_still_waiting_for_parts_at_the_end_is_charged() -> None:
    # Seed 18: Brno's lathe2 loses its tool turret on day 2; Brno holds no turret clamping
    # unit and does not expedite, so it waits two weeks for one.
    model = load_model(EXAMPLES / "discrete")
    result = simulate(model, days=3, seed=18, policy=RunToFailure(), sample_rate_s=3600)
    repaired = result.failures.to_pylist()  # ground truth lists repairs that closed
    assert [r["failure_mode"] for r in repaired] == ["blade_wear"]
    costs = result.maintenance
    assert costs.failures == 2  # the saw blade repaired, the lathe still down
    lathe = model.equipment["acme/brno/machining/m1/turning/lathe2"].equipment
    assert costs.unplanned_downtime_h > 20.0
    assert costs.unplanned_downtime_cost > 20.0 * lathe.downtime_cost_per_hour


def test_two_jobs_opened_at_once_do_not_both_claim_the_last_part() -> None:
    # Both reflow ovens of the SMT plant get preventive work in the same instant; each job
    # needs two blower bearings and the one reflow heater Dresden holds. One job starts; the
    # other must wait for its heater with the oven still running, not stopped for 14 days.
    model = load_model(EXAMPLES / "smt")
    ovens = [p for p in model.equipment if p.endswith("/reflow/oven1")]
    assert len(ovens) == 2

    class ServiceOvensOnce:
        name = "service_ovens_once"

        def __init__(self) -> None:
            self.done = False

        def decide(self, view: PlantView) -> MaintenancePlan:
            if self.done:
                return MaintenancePlan()
            self.done = True
            return MaintenancePlan(
                preventive=tuple(
                    PreventiveOrder(equipment=p, failure_modes=("blower_bearing", "heater_zone"))
                    for p in ovens
                )
            )

    result = simulate(model, days=3, seed=10_000, policy=ServiceOvensOnce(), sample_rate_s=3600)
    costs = result.maintenance
    assert costs.preventive_count == 1
    assert costs.planned_downtime_h < 5.0
