"""Every registered decision app under the same generic checks.

The apps are found through :func:`andon.apps.app_names`, so a new app gets these checks as
new test ids without writing them: deterministic fits, input order that does not matter,
valid typed actions from the app's own vocabulary, the closed loop (fit, propose, approve,
execute in the simulated plant, measure the outcome) and artifacts reloaded from the store.
Each app fits on the conformance plant's five simulated weeks (``conformance_plant.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from andon.apps import app_names, get_app
from andon.decisions import DecisionRecord, Status
from andon.decisions.executions import ExecutionState
from andon.model import Model
from andon.proposals import DecisionApp, FitReport, Outcome, Proposal, action_kinds, validate_action
from andon.sim import SimResult
from andon.store import DuckDBStore
from conformance.conformance_plant import ClosedLoop, History, copy_records, run_closed_loop

APPS = app_names()


def test_the_app_registry_is_not_empty() -> None:
    assert APPS, "no decision app is registered in andon.apps"


@dataclass(frozen=True, slots=True)
class Fitted:
    """An app fitted on the conformance history, and what it proposed at its end."""

    name: str
    app: DecisionApp
    report: FitReport
    proposals: list[Proposal]


@pytest.fixture(scope="module", params=APPS)
def fitted(request: pytest.FixtureRequest, history: History) -> Fitted:
    name: str = request.param
    app = get_app(name)
    report = app.fit(history.store, history.model, until=history.now)
    proposals = app.propose(history.store, history.model, now=history.now)
    return Fitted(name=name, app=app, report=report, proposals=proposals)


@pytest.fixture(scope="module", params=APPS)
def closed_loop(request: pytest.FixtureRequest, plant_model: Model) -> tuple[ClosedLoop, SimResult]:
    return run_closed_loop(plant_model, request.param)


def _same(first: Sequence[Proposal], second: Sequence[Proposal]) -> None:
    """Assert two lists of proposals are equal, naming the first that differs."""
    assert len(second) == len(first), (
        f"{len(first)} proposals, then {len(second)}: "
        f"{[(p.subject, p.action.kind) for p in first]} vs "
        f"{[(p.subject, p.action.kind) for p in second]}"
    )
    for one, other in zip(first, second, strict=True):
        assert other == one, f"the proposal on {one.subject} ({one.action.kind}) differs"


def _fit_and_propose(name: str, history: History, *, shuffle_seed: int | None) -> Fitted:
    store = DuckDBStore(None)
    try:
        copied = copy_records(history.store, store, seed=shuffle_seed)
        assert copied > 0
        app = get_app(name)
        report = app.fit(store, history.model, until=history.now)
        proposals = app.propose(store, history.model, now=history.now)
    finally:
        store.close()
    return Fitted(name=name, app=app, report=report, proposals=proposals)


def test_fit_reports_a_version_of_the_app(fitted: Fitted, history: History) -> None:
    report = fitted.report
    assert report.app == fitted.name
    assert report.version
    assert report.trained_until <= history.now
    assert report.rows > 0
    assert all(math.isfinite(value) for value in report.metrics.values()), report.metrics


def test_the_app_proposes_on_the_conformance_plant(fitted: Fitted) -> None:
    # Without proposals the checks on them would pass for nothing: the conformance plant
    # (plant.yaml) must hold what the app needs to propose.
    assert fitted.proposals, f"{fitted.name} proposed nothing on the conformance plant"


def test_two_fits_on_the_same_data_agree(fitted: Fitted, history: History) -> None:
    again = _fit_and_propose(fitted.name, history, shuffle_seed=None)
    assert again.report.version == fitted.report.version
    _same(fitted.proposals, again.proposals)


def test_the_order_of_input_rows_does_not_matter(fitted: Fitted, history: History) -> None:
    shuffled = _fit_and_propose(fitted.name, history, shuffle_seed=11)
    assert shuffled.report.version == fitted.report.version
    _same(fitted.proposals, shuffled.proposals)


def test_every_proposal_carries_a_valid_typed_action(fitted: Fitted, history: History) -> None:
    model = history.model
    vocabulary = {kind.name: kind for kind in action_kinds(fitted.name)}
    assert vocabulary, f"{fitted.name} registers no action kinds"
    paths = {*model.elements, *model.equipment, *model.tags, *model.meters}
    for proposal in fitted.proposals:
        action = proposal.action
        where = f"{proposal.subject} ({action.kind})"
        assert proposal.app == fitted.name, where
        kind = validate_action(action)
        assert kind.name in vocabulary, f"{where}: a kind of another app's vocabulary"
        assert kind.app == fitted.name, where
        assert action.subject == proposal.subject, where
        assert action.subject in paths, f"{where}: the subject is no path of the model"
        assert 0.0 <= proposal.confidence <= 1.0, where
        assert proposal.created_at <= history.now < proposal.expires_at, where
        assert math.isfinite(proposal.expected_value), where
        for bound in (proposal.value_low, proposal.value_high):
            assert bound is None or math.isfinite(bound), where
        if proposal.value_low is not None and proposal.value_high is not None:
            assert proposal.value_low <= proposal.value_high, where


def test_a_new_instance_proposes_from_the_stored_artifact(fitted: Fitted, history: History) -> None:
    fresh = get_app(fitted.name)  # not fitted: it must load what the first one stored
    proposals = fresh.propose(history.store, history.model, now=history.now)
    _same(fitted.proposals, proposals)
    for proposal in proposals:
        assert proposal.model_version == fitted.report.version, proposal.subject


KNOWN_DEFECTS: dict[tuple[str, str], str] = {}
"""Checks that fail for a known defect outside this suite, with the reason; meant to shrink.
Each is a strict xfail: the fix turns it into a failure that asks to strike the line."""


def _known_defect(request: pytest.FixtureRequest, name: str) -> None:
    reason = KNOWN_DEFECTS.get((name, request.function.__name__))
    if reason is not None:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


def _executable(loop: ClosedLoop) -> None:
    if not any(kind.executable for kind in action_kinds(loop.app_name)):
        pytest.skip(f"{loop.app_name} has no executable action kind: nothing to carry out")


def _executed(loop: ClosedLoop) -> list[DecisionRecord]:
    decisions = loop.runtime.decisions
    return [
        record
        for record in (decisions.get(i) for i in loop.approved)
        if record.status is Status.EXECUTED
    ]


def test_the_loop_fits_and_proposes_executable_actions(
    closed_loop: tuple[ClosedLoop, SimResult],
) -> None:
    loop, _ = closed_loop
    _executable(loop)
    [status] = loop.runtime.status()
    assert loop.fitted, f"{loop.app_name} did not fit in the loop: {status.fit_failure}"
    assert status.healthy, status.failure
    assert loop.proposals
    assert loop.approved, f"{loop.app_name} proposed no executable action in the loop's epochs"


def test_every_approved_action_is_executed(closed_loop: tuple[ClosedLoop, SimResult]) -> None:
    loop, _ = closed_loop
    _executable(loop)
    assert loop.approved
    decisions = loop.runtime.decisions
    ledger = decisions.executions.of_decisions(loop.approved)
    for decision_id in loop.approved:
        record = decisions.get(decision_id)
        row = ledger.get(decision_id)
        assert row is not None, f"{record.action.kind} on {record.subject}: never tried"
        if row.state is ExecutionState.REJECTED:
            # The simulated plant refused it because it would change nothing: the decision
            # stays approved with the reason, never marked executed for nothing.
            assert record.status is Status.APPROVED
            assert row.detail.startswith("nothing to do in the simulated plant: ")
            continue
        assert record.status is Status.EXECUTED, f"{record.action.kind}: {row.detail}"
        assert record.executed_at == loop.executed_at


def test_executed_work_reaches_the_simulated_plant(
    request: pytest.FixtureRequest, closed_loop: tuple[ClosedLoop, SimResult]
) -> None:
    loop, _ = closed_loop
    _executable(loop)
    _known_defect(request, loop.app_name)
    executed = _executed(loop)
    assert executed
    plan = loop.plan
    assert plan is not None
    taken = [(r.action.kind, r.subject) for r in executed]
    assert plan.preventive or plan.part_orders or plan.energy or plan.flow, (
        f"{taken} gave the simulated plant no orders"
    )
    assert {order.equipment for order in plan.preventive} <= {r.subject for r in executed}


def test_the_outcome_of_an_executed_decision_is_measured(
    closed_loop: tuple[ClosedLoop, SimResult],
) -> None:
    loop, result = closed_loop
    _executable(loop)
    executed = _executed(loop)
    assert executed
    app = loop.runtime.apps[loop.app_name]
    for record in executed:
        assert record.decided_at is not None
        outcome = app.outcome(
            loop.store, loop.model, action=record.action, decided_at=record.decided_at,
            now=result.end_us,
        )  # fmt: skip
        assert isinstance(outcome, Outcome), f"no outcome days after {record.subject}"
        assert record.decided_at <= outcome.measured_at <= result.end_us
    # The runtime's own upkeep measures the same decisions and records their outcomes.
    upkeep = loop.runtime.upkeep.run(now=result.end_us)
    assert not upkeep.errors, upkeep.errors
    for record in executed:
        assert loop.runtime.decisions.get(record.id).outcome_at == result.end_us
