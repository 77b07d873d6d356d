"""Each app's record: counts, realised against expected value, calibration."""

from __future__ import annotations

import pytest

from andon.decisions import DecisionService, Role
from andon.decisions.outcomes import summarise
from andon.proposals import Outcome
from decisions.decision_helpers import HOUR, Clock, make_proposal, person


def test_summary_counts_value_and_calibration(service: DecisionService, clock: Clock) -> None:
    boss = person(Role.ADMIN, ("*",))
    made = service.propose(
        [
            make_proposal(subject=f"acme/lyon/a/{i}", value=1000.0, confidence=c,
                          created_at=clock.now)
            for i, c in enumerate([0.9, 0.9, 0.1, 0.1])
        ]
    )  # fmt: skip
    [energy] = service.propose(
        [make_proposal(app="energy", subject="acme/lyon/e", created_at=clock.now)]
    )
    service.reject(energy.id, who=boss, reason="not now")
    successes = [True, False, False, False]
    for record, success in zip(made, successes, strict=True):
        service.approve(record.id, who=boss)
        service.execute(record.id, who=boss)
        service.record_outcome(
            record.id,
            outcome=Outcome(measured_at=clock.now + HOUR, realised_value=500.0, success=success),
        )
    summary = {r.app: r for r in summarise(service.repository.outcome_table(sites=None, app=None))}
    record = summary["maintenance"]
    assert (record.proposals, record.approved, record.executed, record.with_outcome) == (4, 4, 4, 4)
    assert record.expected_value == 4000.0
    assert record.realised_value == 2000.0
    assert record.realisation == pytest.approx(0.5)
    # Brier: ((0.9-1)^2 + (0.9-0)^2 + 0.1^2 + 0.1^2) / 4
    assert record.brier == pytest.approx((0.01 + 0.81 + 0.01 + 0.01) / 4)
    assert [(b.low, b.count, b.success_rate) for b in record.bins] == [(0.0, 2, 0.0), (0.8, 2, 0.5)]
    assert record.calibration_error == pytest.approx((2 * 0.1 + 2 * 0.4) / 4)
    assert (summary["energy"].proposals, summary["energy"].rejected) == (1, 1)
    assert summary["energy"].brier is None
    lyon_only = summarise(service.repository.outcome_table(sites=("acme/brno",), app=None))
    assert lyon_only == []
