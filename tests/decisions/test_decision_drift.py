"""Drift: PSI and KS per feature, outcome drift, and the escalation decision it raises."""

from __future__ import annotations

import numpy as np
import pytest

from andon.decisions import DecisionService, ForbiddenError, InvalidInputError, Role, Status
from andon.decisions.drift import DRIFT_APP, DriftMonitor, input_drift, ks, outcome_drift, psi
from decisions.decision_helpers import HOUR, Clock, person


def test_psi_and_ks_tell_a_shift_from_noise() -> None:
    rng = np.random.default_rng(3)
    reference = rng.normal(10.0, 2.0, 4000)
    assert psi(reference, rng.normal(10.0, 2.0, 4000)) < 0.05
    assert psi(reference, rng.normal(12.0, 2.0, 4000)) > 0.25
    assert ks(reference, rng.normal(10.0, 2.0, 4000))[1] > 0.001
    assert ks(reference, rng.normal(11.0, 2.0, 4000))[1] < 1e-6
    with pytest.raises(InvalidInputError):
        psi([1.0, 2.0], [1.0])
    assert psi(np.full(100, 5.0), np.full(10, 5.0)) == 0.0


def test_input_drift_flags_only_the_moved_feature() -> None:
    rng = np.random.default_rng(4)
    reference = {"vibration": rng.normal(2, 0.3, 3000), "temperature": rng.normal(60, 5, 3000)}
    current = {"vibration": rng.normal(3, 0.3, 3000), "temperature": rng.normal(60, 5, 3000)}
    report = {f.feature: f for f in input_drift(reference, current)}
    assert report["vibration"].drifted
    assert not report["temperature"].drifted


def test_outcome_drift_needs_enough_outcomes_and_a_real_change() -> None:
    good, bad = [True] * 45 + [False] * 5, [True] * 20 + [False] * 30
    assert outcome_drift(good, bad).drifted
    assert not outcome_drift(good, good).drifted
    assert not outcome_drift(good[:5], bad[:5]).drifted


def test_drift_raises_an_escalation_for_an_engineer_on_schedule(
    service: DecisionService, clock: Clock
) -> None:
    rng = np.random.default_rng(5)
    shifted = {"vibration": rng.normal(3, 0.3, 2000)}
    stable = {"vibration": rng.normal(2, 0.3, 2000)}
    reference = {"vibration": rng.normal(2, 0.3, 2000)}
    current = [stable]
    monitor = DriftMonitor(decisions=service, interval_s=3600, clock=clock)
    monitor.register(
        app="maintenance",
        model_version="maintenance@3",
        scope="acme/lyon",
        source=lambda: (reference, current[0], [], []),
    )
    [quiet] = monitor.run_due()
    assert not quiet.drifted
    assert quiet.escalation is None
    current[0] = shifted
    assert monitor.run_due() == []  # not due yet
    clock.now += HOUR
    [loud] = monitor.run_due()
    assert loud.drifted
    record = loud.escalation
    assert record is not None
    assert (record.app, record.subject, record.required_role) == (
        DRIFT_APP,
        "acme/lyon",
        Role.ENGINEER,
    )
    assert record.factors[0].name == "vibration"
    with pytest.raises(ForbiddenError):
        service.approve(record.id, who=person(Role.OPERATOR))
    clock.now += HOUR
    [again] = monitor.run_due()
    assert again.escalation is not None
    # The same escalation again keeps its decision open (same id, later expiry): an
    # engineer's link to it stays valid.
    assert again.escalation.id == record.id
    kept = service.get(record.id)
    assert kept.status is Status.PROPOSED
    assert kept.version > record.version
