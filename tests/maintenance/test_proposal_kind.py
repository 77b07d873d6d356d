"""One decision per asset and round: two modes with work in one slot are one decision."""

from __future__ import annotations

from andon.apps.maintenance import MaintenanceApp, MaintenanceSettings, proposal_kind
from andon.apps.maintenance.criticality import criticality_of
from andon.apps.maintenance.plan import AssetRisk
from andon.decisions import DecisionFilter, DecisionService, Status, ensure_schema
from andon.model import Model
from andon.proposals import Proposal
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


def _proposals(app: MaintenanceApp, model: Model, p: float, now: int) -> list[Proposal]:
    stock = {("lyon", part.id): 10 for part in model.plant.parts}
    plan = app.plan_risks(model, _risks(model, p), stock, now=now)
    return app.proposals_of(plan, model, now=now)


def test_two_modes_with_the_same_action_are_one_decision(example_model: Model) -> None:
    app = MaintenanceApp(settings=MaintenanceSettings())
    first = _proposals(app, example_model, 0.95, NOW)
    modes = {m.id for m in example_model.equipment[LATHE].equipment_class.failure_modes}
    assert len(modes) == 2
    [only] = first  # before: one proposal per mode
    assert only.action.kind == "intervene"
    assert set(only.action.failure_modes) == modes
    assert only.supersede_key == proposal_kind()
    assert {m["failure_mode"] for m in only.evidence["failure_modes"]} == modes
    store = DuckDBStore(None)
    ensure_schema(store)
    service = DecisionService(store=store)
    [made] = service.propose(first, now=NOW)
    # The same plan an hour later keeps the decision (no new id for a planner's page).
    later = NOW + 3_600_000_000
    [again] = service.propose(_proposals(app, example_model, 0.95, later), now=later)
    assert again.id == made.id
    open_ = service.list(DecisionFilter(app="maintenance", statuses=(Status.PROPOSED,)))
    assert [r.id for r in open_] == [made.id]
    store.close()


def test_a_proposal_below_the_threshold_asks_nobody(example_model: Model) -> None:
    app = MaintenanceApp(settings=MaintenanceSettings())
    threshold = 1e9
    for proposal in _proposals(app, example_model, 0.02, NOW):
        assert proposal.expected_value < threshold
        # lyon's threshold: one hour of its median production downtime cost
        assert proposal.asks == (
            proposal.expected_value > proposal.evidence["inbox"]["threshold"]
            or proposal.evidence["inbox"]["reason"].startswith("urgent")
        )
