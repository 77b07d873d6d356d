"""Proposals of two failure modes of one asset stay two open decisions."""

from __future__ import annotations

from andon.apps.maintenance import MaintenanceApp, MaintenanceSettings, proposal_kind
from andon.apps.maintenance.criticality import criticality_of
from andon.apps.maintenance.plan import AssetRisk
from andon.decisions import DecisionFilter, DecisionService, Status, ensure_schema
from andon.model import Model
from andon.store import DuckDBStore

NOW = 1_767_571_200_000_000  # Monday 2026-01-05 00:00 UTC
LATHE = "acme/lyon/machining/m1/turning/lathe1"


def _risks(model: Model, p: float) -> list[AssetRisk]:
    info = model.equipment[LATHE]
    return [
        AssetRisk(
            subject=LATHE,
            site=info.site_path,
            equipment_class=info.equipment_class.id,
            mode=mode,
            p_fail=p,
            p_low=p / 2,
            p_high=min(1.0, p * 1.5),
            horizon_h=168.0,
            rul_h=20.0,
            rul_low_h=5.0,
            rul_high_h=60.0,
            confidence=0.8,
            criticality=criticality_of(model, info),
            crew_hourly_cost=50.0,
        )
        for mode in info.equipment_class.failure_modes
    ]


def _proposals(app: MaintenanceApp, model: Model, p: float, now: int) -> list:  # type: ignore[type-arg]
    stock = {("lyon", part.id): 10 for part in model.plant.parts}
    plan = app.plan_risks(model, _risks(model, p), stock, now=now)
    return app.proposals_of(plan, model, now=now)


def test_two_modes_with_the_same_action_are_two_open_decisions(example_model: Model) -> None:
    app = MaintenanceApp(settings=MaintenanceSettings())
    first = _proposals(app, example_model, 0.95, NOW)
    modes = {m.id for m in example_model.equipment[LATHE].equipment_class.failure_modes}
    assert len(modes) == 2
    assert {p.action.kind for p in first} == {"intervene"}
    assert {p.supersede_key for p in first} == {proposal_kind(m) for m in modes}
    store = DuckDBStore(None)
    ensure_schema(store)
    service = DecisionService(store=store)
    service.propose(first, now=NOW)
    open_ = service.list(DecisionFilter(app="maintenance", statuses=(Status.PROPOSED,)))
    assert len(open_) == 2  # neither mode replaced the other
    # A new plan for the same asset replaces each mode's open decision, whatever its action.
    later = NOW + 3_600_000_000
    again = _proposals(app, example_model, 0.06, later)
    assert {p.supersede_key for p in again} == {proposal_kind(m) for m in modes}
    service.propose(again, now=later)
    records = service.list(DecisionFilter(app="maintenance"), limit=10)
    statuses = sorted(r.status.value for r in records)
    assert statuses == ["proposed", "proposed", "superseded", "superseded"]
    store.close()
