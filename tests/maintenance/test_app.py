"""The maintenance app end to end on synthetic history, and what it says on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from andon import records
from andon.apps import get_app
from andon.apps.maintenance import ARTIFACT_TABLE, MaintenanceApp, MaintenanceSettings
from andon.errors import InsufficientHistoryError
from andon.model import Model, load_model
from andon.proposals import Action, DecisionApp, Proposal
from conftest import HOUR, PLANT, Synthetic, synthesise

SETTINGS = MaintenanceSettings(rounds=40)
PRESS3 = "tiny/s1/area/l1/pressing/press3"
MILL1 = "tiny/s1/area/l1/milling/mill1"


def _quality(proposals: list[Proposal], subject: str) -> list[str]:
    return [
        f.text
        for p in proposals
        if p.subject == subject
        for f in p.factors
        if f.name == "data_quality"
    ]


@pytest.fixture(scope="module")
def fitted(synthetic: Synthetic) -> tuple[MaintenanceApp, list[Proposal]]:
    app = MaintenanceApp(settings=SETTINGS)
    report = app.fit(synthetic.store, synthetic.model, until=synthetic.until - 24 * HOUR)
    assert report.metrics["models_fitted"] == 1  # one pooled model for every class and mode
    return app, app.propose(synthetic.store, synthetic.model, now=synthetic.until)


def test_the_app_is_registered_and_offers_the_protocol() -> None:
    app = get_app("maintenance")
    assert isinstance(app, DecisionApp)
    assert app.name == "maintenance"


def test_fit_stores_versioned_models(
    synthetic: Synthetic, fitted: tuple[MaintenanceApp, list[Proposal]]
) -> None:
    table = synthetic.store.read_table(ARTIFACT_TABLE).to_pylist()
    ok = [row for row in table if row["status"] == "ok"]
    assert {(r["equipment_class"], r["failure_mode"]) for r in ok} == {("*", "*")}
    assert all(len(r["version"]) == 16 and r["artifact"].startswith("{") for r in ok)
    versions = {p.model_version for p in fitted[1]}
    assert versions <= {r["version"] for r in ok}


def test_proposals_weigh_options_and_price_the_saving(
    fitted: tuple[MaintenanceApp, list[Proposal]],
) -> None:
    _, proposals = fitted
    assert proposals
    acted = [p for p in proposals if p.action.kind != "watch"]
    assert acted, "with wear this advanced, some asset must be worth an intervention"
    for p in proposals:
        costs = {o.action: o.expected_cost for o in p.options}
        nothing = next(c for a, c in costs.items() if a.startswith("defer and watch"))
        assert p.expected_value == pytest.approx(nothing - costs[p.title], abs=0.05)
        assert p.value_low is not None
        assert p.value_high is not None
        assert p.value_low <= p.expected_value <= p.value_high
        assert 0.0 <= p.confidence <= 1.0
        assert any(f.name == "failure_risk" for f in p.factors)
        assert p.expires_at > p.created_at
    assert all(p.confidence >= 0.5 for p in acted)


def test_a_fresh_app_reads_the_stored_models(
    synthetic: Synthetic, fitted: tuple[MaintenanceApp, list[Proposal]]
) -> None:
    again = MaintenanceApp(settings=SETTINGS).propose(
        synthetic.store, synthetic.model, now=synthetic.until
    )
    assert [(p.subject, p.action, p.expected_value) for p in again] == [
        (p.subject, p.action, p.expected_value) for p in fitted[1]
    ]


def test_outcome_sees_a_later_failure(
    synthetic: Synthetic, fitted: tuple[MaintenanceApp, list[Proposal]]
) -> None:
    app = fitted[0]
    later = synthetic.until + 2 * HOUR
    synthetic.store.write(
        records.RecordKind.MAINTENANCE,
        records.maintenance(
            ts=[later],
            work_order="wo-late",
            path=PRESS3,
            kind="failure",
            event="opened",
            failure_mode="wear",
        ),
    )
    outcome = app.outcome(
        synthetic.store,
        synthetic.model,
        action=Action(
            kind="intervene", subject=PRESS3, failure_modes=("wear",), slot_start=synthetic.until
        ),
        decided_at=synthetic.until,
        now=later + HOUR,
    )
    assert outcome is not None
    assert outcome.success is False
    assert outcome.detail["failures"] == 1
    assert (
        app.outcome(
            synthetic.store,
            synthetic.model,
            action=Action(kind="watch", subject=PRESS3, failure_modes=("wear",)),
            decided_at=synthetic.until,
            now=synthetic.until + 10,
        )
        is None
    )


def test_asset_without_tags_and_asset_with_silent_tags_say_so(tiny_model: Model) -> None:
    syn = synthesise(
        tiny_model, seed=2, skip_samples_of=(PRESS3,), silent_from_h={MILL1: 60 * 24 - 80}
    )
    app = MaintenanceApp(settings=SETTINGS)
    app.fit(syn.store, tiny_model, until=syn.until - 24 * HOUR)
    proposals = app.propose(syn.store, tiny_model, now=syn.until)
    no_tags = _quality(proposals, PRESS3)
    assert any("no condition data" in q for q in no_tags)
    silent = _quality(proposals, MILL1)
    assert any("silent for 3." in q for q in silent), silent
    press3 = next(p for p in proposals if p.subject == PRESS3)
    assert press3.confidence <= 0.3
    fresh = [p for p in proposals if p.subject not in {PRESS3, MILL1}]
    assert all(p.confidence > press3.confidence for p in fresh)


def test_too_little_history_falls_back_to_the_prior_with_low_confidence(tiny_model: Model) -> None:
    syn = synthesise(tiny_model, days=6, seed=3)
    app = MaintenanceApp(settings=SETTINGS)
    with pytest.raises(InsufficientHistoryError, match="too little history") as raised:
        app.fit(syn.store, tiny_model, until=syn.until)
    assert raised.value.app == "maintenance"
    proposals = app.propose(syn.store, tiny_model, now=syn.until)
    assert proposals
    for p in proposals:
        if p.evidence["kind"] == "recovery":  # a down asset: its repair, not a forecast
            continue
        assert p.confidence <= 0.3
        assert p.model_version == "none-" + str(syn.until) or p.model_version == "prior"
        assert any("risk model not fitted" in q for q in _quality([p], p.subject))


def test_no_maintenance_history_and_no_store_data(tiny_model: Model) -> None:
    syn = synthesise(tiny_model, days=10, seed=4, with_history=False)
    proposals = MaintenanceApp(settings=SETTINGS).propose(syn.store, tiny_model, now=syn.until)
    assert len({p.subject for p in proposals}) == 5
    for p in proposals:
        quality = _quality([p], p.subject)
        assert any("no maintenance history" in q for q in quality)
        assert any("no risk model fitted yet" in q for q in quality)
        assert p.confidence <= 0.15


def test_a_part_without_lead_time_cannot_be_judged(tmp_path: Path) -> None:
    text = (
        PLANT.read_text()
        .replace(
            "{id: P1, unit_cost: 200, lead_time_days: 3",
            "{id: P1, unit_cost: 200, lead_time_days: 0",
        )
        .replace("expedite_lead_time_days: 1, expedite_cost: 150", "expedite_cost: 150")
    )
    (tmp_path / "plant.yaml").write_text(text)
    model = load_model(tmp_path / "plant.yaml")
    syn = synthesise(model, days=10, seed=5)
    proposals = MaintenanceApp(settings=SETTINGS).propose(syn.store, model, now=syn.until)
    press = [p for p in proposals if "/pressing/" in p.subject]
    assert press
    assert all(any("no lead time for P1" in q for q in _quality([p], p.subject)) for p in press)
