"""The quality app on a simulated SMT plant: fit, propose, the typed actions, determinism.

Eight simulated days of the SMT example (``examples/smt``) give the app units with their
signatures, inspections that failed and passed, and latent defects the simulator knows.
Seed 1 is one where a reflow oven's blower bearing enters its P-F interval within the eight
days, so the interaction defect mechanism shows; on most seeds it does not yet, the model
learns nothing and the app proposes on the test values alone or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from andon.apps.quality import QualityApp
from andon.apps.quality.risk import average_precision
from andon.errors import InsufficientHistoryError
from andon.model import Model, load_model
from andon.proposals import DecisionApp, Proposal, action_kinds, validate_action
from andon.records import RecordKind
from andon.sim import simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore

SMT = Path(__file__).resolve().parents[2] / "examples" / "smt"
DAYS = 8.0


@dataclass(frozen=True, slots=True)
class Plant:
    model: Model
    store: DuckDBStore
    now: int


@pytest.fixture(scope="module")
def plant() -> Iterator[Plant]:
    model = load_model(SMT)
    store = DuckDBStore(None)
    result = simulate(model, days=DAYS, seed=1, sink=PipelineSink.into(store, model=model))
    try:
        yield Plant(model=model, store=store, now=result.end_us)
    finally:
        store.close()


@pytest.fixture(scope="module")
def fitted(plant: Plant) -> tuple[QualityApp, list[Proposal]]:
    app = QualityApp()
    app.fit(plant.store, plant.model, until=plant.now)
    return app, app.propose(plant.store, plant.model, now=plant.now)


def _copy(source: DuckDBStore, seed: int | None) -> DuckDBStore:
    target = DuckDBStore(None)
    rng = np.random.default_rng(seed) if seed is not None else None
    for kind in RecordKind:
        table = source.records(kind)
        if table.num_rows == 0:
            continue
        if rng is not None:
            table = table.take(pa.array(rng.permutation(table.num_rows)))
        target.write(kind, table, batch_id=f"copy:{kind.value}")
    return target


def test_the_app_offers_the_protocol_and_its_vocabulary() -> None:
    assert isinstance(QualityApp(), DecisionApp)
    kinds = {k.name for k in action_kinds("quality")}
    assert kinds == {"hold", "extra_test", "release", "real_time_release"}


def test_fit_reports_calibration_and_a_version(plant: Plant) -> None:
    report = QualityApp().fit(plant.store, plant.model, until=plant.now)
    assert report.version.startswith("quality-")
    assert report.rows > 1000
    assert report.metrics["failed"] >= 10
    assert 0.5 < report.metrics["held_out_roc_auc_fail"] <= 1.0
    assert 0.0 < report.metrics["test_sensitivity"] <= 1.0
    assert report.metrics["test_false_alarm"] < report.metrics["test_sensitivity"]
    assert any(note.startswith("reliability on held-out units") for note in report.notes)


def test_proposals_are_valid_material_and_within_capacity(
    plant: Plant, fitted: tuple[QualityApp, list[Proposal]]
) -> None:
    app, proposals = fitted
    assert proposals, "the SMT plant has risky units worth an extra test"
    scored = app.score(plant.store, plant.model, now=plant.now)
    assert scored is not None
    tested = scored.frame.filter(scored.frame["decision"] == "extra_test")
    per_site = scored.frame.group_by("pool").len()  # a site's test stations share capacity
    for site, count in per_site.iter_rows():
        assert tested.filter(tested["pool"] == site).height <= 0.05 * count
    for proposal in proposals:
        kind = validate_action(proposal.action)
        assert kind.app == "quality"
        assert proposal.subject in plant.model.equipment
        assert proposal.expected_value >= app.settings.min_value
        assert proposal.value_low is not None
        assert proposal.value_high is not None
        assert proposal.value_low <= proposal.expected_value <= proposal.value_high
        assert proposal.action.units
        assert proposal.action.lots
        assert proposal.factors
        assert all(f.text for f in proposal.factors)
        assert proposal.created_at == plant.now < proposal.expires_at


def test_risk_ranks_the_latent_defects_first(
    plant: Plant, fitted: tuple[QualityApp, list[Proposal]]
) -> None:
    app, _ = fitted
    scored = app.score(plant.store, plant.model, now=plant.now)
    assert scored is not None
    truth = plant.store.read_table("truth_units")
    latent = {
        s
        for s, x in zip(truth["serial"].to_pylist(), truth["latent"].to_pylist(), strict=False)
        if x
    }
    label = np.array([s in latent for s in scored.frame["serial"].to_list()])
    assert label.sum() > 0
    p = scored.frame["p"].to_numpy()
    # far above the base rate: a ranking that knows nothing scores about label.mean()
    assert average_precision(p, label) > 5 * label.mean()


def test_same_facts_in_any_order_give_the_same_proposals(
    plant: Plant, fitted: tuple[QualityApp, list[Proposal]]
) -> None:
    _, proposals = fitted
    for seed in (None, 11):
        copy = _copy(plant.store, seed)
        try:
            app = QualityApp()
            app.fit(copy, plant.model, until=plant.now)
            again = app.propose(copy, plant.model, now=plant.now)
        finally:
            copy.close()
        assert again == proposals


def test_a_new_instance_proposes_from_the_stored_model(
    plant: Plant, fitted: tuple[QualityApp, list[Proposal]]
) -> None:
    app, proposals = fitted
    fresh = QualityApp().propose(plant.store, plant.model, now=plant.now)
    assert fresh == proposals
    scored = app.score(plant.store, plant.model, now=plant.now)
    assert scored is not None
    assert {p.model_version for p in fresh} <= {scored.version}


def test_without_inspections_the_app_says_it_cannot_judge(plant: Plant) -> None:
    empty = DuckDBStore(None)
    try:
        empty.write(RecordKind.UNIT, plant.store.records(RecordKind.UNIT), batch_id="u")
        with pytest.raises(InsufficientHistoryError, match="too little inspection history"):
            QualityApp().fit(empty, plant.model, until=plant.now)
        assert QualityApp().propose(empty, plant.model, now=plant.now) == []
    finally:
        empty.close()


def test_the_outcome_is_read_from_later_inspections(
    plant: Plant, fitted: tuple[QualityApp, list[Proposal]]
) -> None:
    app, proposals = fitted
    action = proposals[0].action
    # Too early: nothing inspected after the decision and the wait not over.
    assert (
        app.outcome(
            plant.store, plant.model, action=action, decided_at=plant.now, now=plant.now + 1
        )
        is None
    )
    # Decided before the units were inspected: their inspections are the outcome.
    decided = plant.now - 4 * 86_400_000_000
    outcome = app.outcome(
        plant.store, plant.model, action=action, decided_at=decided, now=plant.now
    )
    assert outcome is not None
    assert outcome.detail["units"] == len(action.units)
    assert 0 < outcome.detail["inspected_after"] <= len(action.units)
    assert outcome.success is (outcome.detail["failed_after"] > 0)


def test_one_unit_is_assessed_with_its_lot(
    plant: Plant, fitted: tuple[QualityApp, list[Proposal]]
) -> None:
    app, _ = fitted
    scored = app.score(plant.store, plant.model, now=plant.now)
    assert scored is not None
    riskiest = scored.frame.sort(["p", "serial"], descending=[True, False]).row(0, named=True)
    unit = app.assess_unit(plant.store, plant.model, serial=riskiest["serial"], now=plant.now)
    assert unit is not None
    assert unit.serial == riskiest["serial"]
    assert unit.lot == riskiest["lot"]
    assert unit.inspected
    assert not unit.failed
    assert unit.stations
    assert unit.stations[-1].endswith("/ict/ict1")
    assert unit.factors
    assert unit.p_latent > 0.5 * riskiest["p"]  # its lot-mates in the window may differ
    assert app.assess_unit(plant.store, plant.model, serial="no-such-unit", now=plant.now) is None
