"""The plan: option prices, the choice per asset, and the limits that make choices interact."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from andon.apps.maintenance.criticality import criticality_of, site_calendar
from andon.apps.maintenance.plan import (
    AssetRisk,
    curve_cdf,
    failure_cdf,
    options_for,
    solve_plan,
)
from andon.model import Model

NOW = 1_767_571_200_000_000  # Monday 2026-01-05 00:00 UTC


def _risk(model: Model, path: str, p: float, *, rul: float = 100.0) -> AssetRisk:
    info = model.equipment[path]
    return AssetRisk(
        subject=path,
        site=info.site_path,
        equipment_class=info.equipment_class.id,
        mode=info.equipment_class.failure_modes[0],
        p_fail=p,
        p_low=p / 2,
        p_high=min(1.0, p * 1.5),
        horizon_h=168.0,
        rul_h=rul,
        rul_low_h=rul / 2,
        rul_high_h=rul * 2,
        confidence=0.8,
        criticality=criticality_of(model, info),
        crew_hourly_cost=50.0,
    )


def _plan(model: Model, risks: list[AssetRisk], stock: dict[str, int], crew: float | None = None):
    calendar = site_calendar(model.sites["tiny/s1"], now=NOW, horizon_h=168.0)
    entries = []
    for risk in risks:
        on_hand = {pid: stock.get(pid, 0) for pid in risk.mode.parts}
        options, nothing = options_for(risk, calendar, model.parts, on_hand)
        entries.append((risk, options, nothing))
    capacity = {
        ("tiny/s1", s.id): (crew if crew is not None else s.crew_hours) for s in calendar.slots
    }
    return solve_plan(
        entries, crew_capacity=capacity, stock={("tiny/s1", k): v for k, v in stock.items()}
    )


def test_failure_cdf_meets_the_calibrated_probability_at_the_horizon() -> None:
    t = np.array([0.0, 24.0, 84.0, 168.0])
    plain = failure_cdf(0.3, 168.0, t)
    shaped = failure_cdf(0.3, 168.0, t, rul_h=60.0, rul_low_h=30.0, rul_high_h=200.0)
    for cdf in (plain, shaped):
        assert cdf[0] == pytest.approx(0.0, abs=1e-9)
        assert cdf[-1] == pytest.approx(0.3)
        assert np.all(np.diff(cdf) >= 0)
    assert shaped[1] > plain[1]  # a short RUL brings the risk forward


def test_a_likely_failure_is_planned_and_a_healthy_asset_is_left(tiny_model: Model) -> None:
    hot = _risk(tiny_model, "tiny/s1/area/l1/pressing/press1", 0.9, rul=30.0)
    cool = _risk(tiny_model, "tiny/s1/area/l1/pressing/press2", 0.01, rul=600.0)
    result = _plan(tiny_model, [hot, cool], {"P1": 5})
    by_subject = {a.risk.subject: a for a in result.assets}
    assert by_subject[hot.subject].choice.kind == "intervene"
    assert by_subject[hot.subject].saving() > 0
    assert by_subject[cool.subject].choice.kind == "watch"
    assert by_subject[cool.subject].saving() == 0


def test_shared_stock_limits_the_plan(tiny_model: Model) -> None:
    presses = [f"tiny/s1/area/l1/pressing/press{i}" for i in (1, 2, 3)]
    risks = [_risk(tiny_model, p, 0.9, rul=30.0) for p in presses]
    result = _plan(tiny_model, risks, {"P1": 1})
    from_stock = [a for a in result.assets if a.choice.stock_use.get("P1")]
    assert len(from_stock) == 1
    others = [a for a in result.assets if not a.choice.stock_use.get("P1")]
    assert all(a.choice.kind in {"expedite", "intervene", "order_part", "watch"} for a in others)
    assert result.status.startswith("optimal")


def test_crew_hours_limit_the_plan(tiny_model: Model) -> None:
    presses = [f"tiny/s1/area/l1/pressing/press{i}" for i in (1, 2, 3)]
    risks = [_risk(tiny_model, p, 0.9, rul=30.0) for p in presses]
    result = _plan(tiny_model, risks, {"P1": 5}, crew=2.0)  # one 2 h job per slot
    per_slot: dict[str, int] = {}
    for asset in result.assets:
        if asset.choice.slot is not None:
            per_slot[asset.choice.slot] = per_slot.get(asset.choice.slot, 0) + 1
    assert per_slot
    assert max(per_slot.values()) == 1


def test_missing_part_with_a_long_lead_is_expedited(tiny_model: Model) -> None:
    mill = _risk(tiny_model, "tiny/s1/area/l1/milling/mill1", 0.95, rul=50.0)
    result = _plan(tiny_model, [mill], {"P2": 0})
    kinds = {o.kind for o in result.assets[0].options}
    assert "expedite" in kinds  # P2: 14 days normal, 2 days expedited
    assert "order_part" in kinds
    assert not any(o.slot == "now" for o in result.assets[0].options)


def test_an_alternative_line_offers_moving_production(example_model: Model) -> None:
    path = "acme/lyon/assembly/a1/pressfit/press1"
    crit = criticality_of(example_model, example_model.equipment[path])
    assert crit.alternative_line == "acme/lyon/assembly/a2"
    assert crit.redundant_with == 0
    mill = criticality_of(
        example_model, example_model.equipment["acme/lyon/machining/m1/milling/mill1"]
    )
    assert mill.redundant_with == 1


def test_weekend_has_no_production_and_windows_are_found(tiny_model: Model) -> None:
    calendar = site_calendar(tiny_model.sites["tiny/s1"], now=NOW, horizon_h=168.0)
    assert calendar.planned_hours(0.0, 24.0) == pytest.approx(16.0)  # Monday 06-22
    assert calendar.planned_hours(5 * 24.0, 48.0) == 0.0  # Saturday and Sunday
    windows = [s for s in calendar.slots if s.id.startswith("sat@")]
    assert len(windows) == 1
    assert windows[0].start_h == pytest.approx(5 * 24 + 6)


def test_curve_cdf_passes_its_points_and_keeps_the_last_hazard() -> None:
    curve = ((24.0, 0.1), (168.0, 0.4))
    t = np.array([0.0, 12.0, 24.0, 168.0, 336.0])
    cdf = curve_cdf(curve, t)
    assert cdf[0] == 0.0
    assert cdf[1] == pytest.approx(0.05)
    assert cdf[2] == pytest.approx(0.1)
    assert cdf[3] == pytest.approx(0.4)
    assert cdf[4] == pytest.approx(1 - 0.6**2)
    assert np.all(np.diff(cdf) >= 0)


def test_risk_before_tomorrow_acts_now_and_risk_later_waits(tiny_model: Model) -> None:
    """Intervene now only when failing before the next chance costs more than the life lost."""
    path = "tiny/s1/area/l1/pressing/press1"
    soon = replace(_risk(tiny_model, path, 0.9), curve=((24.0, 0.5), (48.0, 0.7), (168.0, 0.9)))
    later = replace(
        _risk(tiny_model, path, 0.9), curve=((24.0, 0.0001), (48.0, 0.0002), (168.0, 0.9))
    )
    by_kind = {}
    for name, risk in (("soon", soon), ("later", later)):
        (asset,) = _plan(tiny_model, [risk], {"P1": 5}).assets
        by_kind[name] = asset.choice
    assert by_kind["soon"].slot == "now"
    assert by_kind["later"].slot not in {None, "now"}  # a later slot: decided again tomorrow
