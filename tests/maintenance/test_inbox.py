"""What reaches a person: threshold, one decision per asset, recovery, plant words, lead times."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from andon.apps.maintenance import MaintenanceApp, MaintenanceSettings
from andon.apps.maintenance.assess import observed_rate
from andon.apps.maintenance.criticality import criticality_of, site_calendar
from andon.apps.maintenance.inbox import down_assets, health_card, inbox_threshold, watch_list
from andon.apps.maintenance.plan import AssetRisk, options_for, solve_plan
from andon.model import Model
from conftest import HOUR, Synthetic

NOW = 1_767_571_200_000_000  # Monday 2026-01-05 00:00 UTC
ROBOT = "acme/brno/assembly/a1/mounting/robot1"


def test_the_default_threshold_is_an_hour_of_the_median_production_downtime_cost(
    example_model: Model,
) -> None:
    site = "acme/lyon"
    costs = [
        i.equipment.downtime_cost_per_hour
        for i in example_model.equipment.values()
        if i.site_path == site and i.produces
    ]
    assert inbox_threshold(example_model, site) == float(np.median(costs))


def test_an_asset_with_an_open_failure_work_order_is_down() -> None:
    maintenance = pl.DataFrame(
        {
            "ts": [10, 20, 30],
            "work_order": ["w1", "w2", "w2"],
            "path": ["a/b/c/d/e/lathe1", "a/b/c/d/e/lathe2", "a/b/c/d/e/lathe2"],
            "kind": ["failure", "failure", "failure"],
            "event": ["opened", "opened", "closed"],
            "failure_mode": ["tool_turret", "tool_turret", "tool_turret"],
        }
    )
    states = pl.DataFrame({"ts": [5], "path": ["a/b/c/d/e/mill1"], "state": ["unplanned_down"]})
    down = down_assets(states, maintenance, now=100)
    assert [d.subject for d in down] == ["a/b/c/d/e/lathe1", "a/b/c/d/e/mill1"]


def test_a_down_asset_gets_no_forecast_and_factors_name_tags(synthetic: Synthetic) -> None:
    app = MaintenanceApp(settings=MaintenanceSettings(rounds=40))
    app.fit(synthetic.store, synthetic.model, until=synthetic.until - 24 * HOUR)
    proposals = app.propose(synthetic.store, synthetic.model, now=synthetic.until)
    history = pl.from_arrow(synthetic.store.records("maintenance"))
    assert isinstance(history, pl.DataFrame)
    history = history.with_columns(pl.col("ts").dt.epoch("us").cast(pl.Int64)).filter(
        pl.col("ts") < synthetic.until
    )
    down = {d.subject for d in down_assets(pl.DataFrame(), history, now=synthetic.until)}
    for p in proposals:
        if p.subject in down:
            assert p.evidence["kind"] == "recovery"
        for f in p.factors:
            assert "sig0" not in f.text
            assert "level of" not in f.text
    assert len({p.subject for p in proposals}) == len(proposals)  # one per asset
    condition = [f.text for p in proposals for f in p.factors if f.name == "condition"]
    assert any(t.startswith(("vib ", "temp ")) and "over 72 h" in t for t in condition)
    # Every asset's modes are on the round's health cards; the watch list is sorted by risk.
    for path in synthetic.model.equipment:
        assert health_card(synthetic.store, path)
    risks = [i.p_fail for i in watch_list(synthetic.store)]
    assert risks == sorted(risks, reverse=True)


def test_a_long_lead_part_with_no_stock_is_ordered_not_watched(example_model: Model) -> None:
    info = example_model.equipment[ROBOT]
    mode = next(m for m in info.equipment_class.failure_modes if m.id == "reducer_wear")
    assert example_model.parts["RED-RV40"].lead_time_days == 35
    calendar = site_calendar(example_model.sites[info.site_path], now=NOW, horizon_h=168.0)
    # A week's risk of 5 % (the mode fails about 37 days on): before, the 7-day horizon
    # could not see that a part ordered after a failure comes 35 days later.
    p = 0.05
    risk = AssetRisk(
        subject=ROBOT,
        site=info.site_path,
        equipment_class=info.equipment_class.id,
        mode=mode,
        p_fail=p,
        p_low=p / 2,
        p_high=p * 1.5,
        horizon_h=168.0,
        rul_h=37 * 24.0,
        rul_low_h=20 * 24.0,
        rul_high_h=60 * 24.0,
        confidence=0.7,
        criticality=criticality_of(example_model, info),
        crew_hourly_cost=50.0,
    )
    options, nothing = options_for(risk, calendar, example_model.parts, {"RED-RV40": 0})
    result = solve_plan([(risk, options, nothing)], crew_capacity={}, stock={})
    assert result.assets[0].choice.kind == "order_part"
    # Already on order: no second order, no expediting.
    again, _ = options_for(
        risk, calendar, example_model.parts, {"RED-RV40": 0}, on_order={"RED-RV40": 1}
    )
    assert not [o for o in again if o.kind in {"order_part", "expedite"}]


def test_a_mode_without_signals_gets_its_observed_failure_rate() -> None:
    # 7 failures in 90 days of a machine running around the clock: about 42 % a week,
    # against 12 % a week from the model's MTBF.
    mtbf = -168.0 / math.log(1 - 0.12)
    mid, _, _ = observed_rate(failures=7, exposure_h=90 * 24.0, mtbf_h=mtbf)
    week = 1 - math.exp(-mid * 168)
    assert 0.33 <= week <= 0.47
    # Calibrated on simulated ground truth: machines whose true rate the model's MTBF
    # underestimates threefold; predicted weekly risk against the failures of the next week.
    rng = np.random.default_rng(3)
    true_rate = 3.0 / mtbf
    counts = rng.poisson(true_rate * 90 * 24.0, size=4000)
    predicted = np.array(
        [
            1 - math.exp(-observed_rate(failures=int(n), exposure_h=2160.0, mtbf_h=mtbf)[0] * 168)
            for n in counts
        ]
    )
    failed_next_week = rng.poisson(true_rate * 168, size=4000) > 0
    assert abs(predicted.mean() - failed_next_week.mean()) < 0.04
    assert predicted.mean() > 2 * 0.12
