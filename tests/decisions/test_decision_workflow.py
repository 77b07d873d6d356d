"""The workflow's state machine: every legal move works, every other move is refused."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from andon.decisions import (
    AuditLog,
    DecisionConflictError,
    DecisionExpiredError,
    DecisionFilter,
    DecisionService,
    EscalationRule,
    ForbiddenError,
    IllegalTransitionError,
    InvalidInputError,
    Policy,
    Principal,
    Role,
    SettingsService,
    ShadowScope,
    Status,
    from_proposal,
    workflow,
)
from andon.proposals import Outcome
from andon.store.base import Store
from decisions.decision_helpers import HOUR, Clock, make_proposal, person

NOW = 1_700_000_000_000_000
OUTCOME = Outcome(measured_at=NOW + HOUR, realised_value=3000.0, success=True)


def _record(status: Status, *, shadow: bool = False):
    base = from_proposal(make_proposal(created_at=NOW), now=NOW, shadow=shadow)
    return replace(base, status=status)


ACTIONS = {
    "approve": lambda r: workflow.approve(r, who=person(Role.ADMIN, ("*",)), now=NOW + 1),
    "reject": lambda r: workflow.reject(
        r, who=person(Role.ADMIN, ("*",)), now=NOW + 1, reason="no"
    ),
    "execute": lambda r: workflow.execute(r, who=person(Role.ADMIN, ("*",)), now=NOW + 1),
    "expire": lambda r: workflow.expire(r, now=NOW + 25 * HOUR),
    "supersede": lambda r: workflow.supersede(r, by="other", now=NOW + 1),
    "outcome": lambda r: workflow.record_outcome(r, outcome=OUTCOME, now=NOW + 2 * HOUR),
}

LEGAL = {
    ("approve", Status.PROPOSED): Status.APPROVED,
    ("reject", Status.PROPOSED): Status.REJECTED,
    ("expire", Status.PROPOSED): Status.EXPIRED,
    ("supersede", Status.PROPOSED): Status.SUPERSEDED,
    ("execute", Status.APPROVED): Status.EXECUTED,
    ("outcome", Status.EXECUTED): Status.EXECUTED,
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_transition_is_legal_or_refused(action: str, status: Status) -> None:
    record = _record(status)
    expected = LEGAL.get((action, status))
    if expected is None:
        with pytest.raises(IllegalTransitionError):
            ACTIONS[action](record)
        return
    changed = ACTIONS[action](record)
    assert changed.status is expected
    assert changed.version == record.version + 1


@pytest.mark.parametrize("status", list(Status))
def test_shadow_decisions_are_scored_never_executed(status: Status) -> None:
    record = _record(status, shadow=True)
    with pytest.raises(IllegalTransitionError, match="shadow"):
        ACTIONS["execute"](record)
    if status is not Status.SUPERSEDED:
        scored = ACTIONS["outcome"](record)
        assert scored.realised_value == 3000.0
        assert scored.status is status
    else:
        with pytest.raises(IllegalTransitionError):
            ACTIONS["outcome"](record)


def test_an_outcome_is_recorded_once() -> None:
    record = ACTIONS["outcome"](_record(Status.EXECUTED))
    with pytest.raises(IllegalTransitionError, match="already has an outcome"):
        ACTIONS["outcome"](record)


def test_an_expired_decision_cannot_be_approved_or_rejected() -> None:
    record = _record(Status.PROPOSED)
    late = NOW + 24 * HOUR
    with pytest.raises(DecisionExpiredError):
        workflow.approve(record, who=person(), now=late)
    with pytest.raises(DecisionExpiredError):
        workflow.reject(record, who=person(), now=late, reason="too late")
    with pytest.raises(IllegalTransitionError):
        workflow.expire(record, now=late - 1)


def test_rejection_needs_a_reason() -> None:
    with pytest.raises(InvalidInputError, match="reason"):
        workflow.reject(_record(Status.PROPOSED), who=person(), now=NOW, reason="   ")


def test_escalated_decision_needs_the_named_role() -> None:
    record = replace(_record(Status.PROPOSED), required_role=Role.ENGINEER, escalation="big")
    with pytest.raises(ForbiddenError, match="engineer"):
        workflow.approve(record, who=person(Role.OPERATOR), now=NOW)
    assert workflow.approve(record, who=person(Role.ENGINEER), now=NOW).status is Status.APPROVED


def test_a_user_cannot_act_on_another_site() -> None:
    record = _record(Status.PROPOSED)
    with pytest.raises(ForbiddenError):
        workflow.approve(record, who=person(Role.ADMIN, ("acme/brno",)), now=NOW)


def test_supersession_replaces_the_open_decision_of_the_same_subject(
    service: DecisionService,
) -> None:
    [first] = service.propose([make_proposal()])
    [other] = service.propose([make_proposal(subject="acme/lyon/machining/m1/milling/mill2")])
    # 9000 lies outside the first proposal's band (825 to 4950): a material change.
    [second] = service.propose([make_proposal(value=9000.0)])
    assert service.get(first.id).status is Status.SUPERSEDED
    assert service.get(first.id).superseded_by == second.id
    assert service.get(other.id).status is Status.PROPOSED
    # a decided decision is not superseded
    service.approve(second.id, who=person())
    [third] = service.propose([make_proposal(value=5000.0)])
    assert service.get(second.id).status is Status.APPROVED
    assert service.get(third.id).status is Status.PROPOSED


def test_an_unchanged_proposal_keeps_its_decision_open(
    service: DecisionService, clock: Clock
) -> None:
    [first] = service.propose([make_proposal()])
    clock.now += HOUR
    # The same action an hour later, its slot an hour later, its value within the band.
    [again] = service.propose([make_proposal(value=3500.0, created_at=clock.now)])
    assert again.id == first.id
    kept = service.get(first.id)
    assert kept.status is Status.PROPOSED
    assert kept.expires_at == clock.now + 24 * HOUR
    assert len(service.list(DecisionFilter())) == 1
    # Another slot (two days on) is a material change: superseded by a new decision.
    clock.now += HOUR
    moved = make_proposal(created_at=clock.now + 48 * HOUR)
    moved = replace(moved, created_at=clock.now, expires_at=clock.now + 24 * HOUR)
    [third] = service.propose([moved])
    assert third.id != first.id
    assert service.get(first.id).status is Status.SUPERSEDED


def test_a_proposal_that_does_not_ask_is_recorded_in_shadow(service: DecisionService) -> None:
    [quiet] = service.propose([replace(make_proposal(value=3.0), asks=False)])
    assert quiet.shadow
    assert quiet.status is Status.PROPOSED
    with pytest.raises(IllegalTransitionError, match="shadow"):
        workflow.execute(quiet, who=person(Role.ADMIN, ("*",)), now=NOW)
    # Once worth asking, the decision is shown: another decision, not a renewal.
    [loud] = service.propose([make_proposal(value=3.0)])
    assert not loud.shadow
    assert loud.id != quiet.id


def test_expiry_sweep_marks_overdue_decisions(service: DecisionService, clock: Clock) -> None:
    [short] = service.propose([make_proposal(ttl=HOUR)])
    [long] = service.propose([make_proposal(subject="acme/lyon/x/y", ttl=48 * HOUR)])
    clock.now += 2 * HOUR
    assert service.expire_due() == 1
    assert service.get(short.id).status is Status.EXPIRED
    assert service.get(long.id).status is Status.PROPOSED
    with pytest.raises(IllegalTransitionError):
        service.approve(short.id, who=person())


def test_policy_escalates_and_shadows(dstore: Store, service: DecisionService) -> None:
    SettingsService(store=dstore).set_policy(
        Policy(
            rules=(
                EscalationRule(name="big", min_value=10_000.0, role=Role.ENGINEER),
                EscalationRule(name="unsure", max_confidence=0.5, role=Role.ADMIN),
            ),
            shadow=(ShadowScope(app="energy", site="acme/brno"),),
        ),
        actor="admin",
    )
    big, unsure, plain, shadow = service.propose(
        [
            make_proposal(subject="acme/lyon/a/1", value=20_000.0),
            make_proposal(subject="acme/lyon/a/2", confidence=0.3),
            make_proposal(subject="acme/lyon/a/3"),
            make_proposal(subject="acme/brno/a/4", app="energy"),
        ]
    )
    assert (big.required_role, big.escalation) == (Role.ENGINEER, "big")
    assert (unsure.required_role, unsure.escalation) == (Role.ADMIN, "unsure")
    assert (plain.required_role, plain.escalation) == (Role.OPERATOR, "")
    assert shadow.shadow
    assert not plain.shadow
    with pytest.raises(ForbiddenError):
        service.approve(big.id, who=person(Role.OPERATOR))
    assert service.get(big.id).status is Status.PROPOSED


def test_a_stale_write_is_refused(dstore: Store, service: DecisionService) -> None:
    [record] = service.propose([make_proposal()])
    approved = workflow.approve(record, who=person(), now=NOW + 1)
    assert service.repository.update_decision(approved, expected_version=record.version)
    with pytest.raises(DecisionConflictError):
        service._write(approved, record.version)


def test_a_change_judged_on_a_record_that_changed_meanwhile_is_refused(
    dstore: Store, service: DecisionService
) -> None:
    [record] = service.propose([make_proposal()])
    other = DecisionService(store=dstore)
    read = service.get

    def read_then_lose_the_race(decision_id: str, *, who: Principal | None = None) -> Any:
        found = read(decision_id, who=who)
        other.reject(decision_id, who=person(), reason="someone else was first", now=NOW + 1)
        return found

    service.get = read_then_lose_the_race  # type: ignore[method-assign]
    with pytest.raises(DecisionConflictError):
        service.approve(record.id, who=person(), now=NOW + 2)
    stored = other.get(record.id)
    assert stored.status is Status.REJECTED
    actions = [e.action for e in AuditLog(store=dstore).entries(entity_id=record.id)]
    assert actions.count("decision.approved") == 0
    assert actions.count("decision.rejected") == 1
