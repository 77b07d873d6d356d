"""The upkeep: outcomes measured from later records, drift checked on schedule, escalations."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from andon import records
from andon.api import ApiSettings, create_app
from andon.decisions import DecisionService, Policy, Role, SettingsService, ShadowScope, Status
from andon.decisions._json import now_us
from andon.decisions.drift import DRIFT_APP, DriftInputs
from andon.decisions.upkeep import Upkeep, sample_drift_inputs
from andon.kpi import stored_elements
from andon.model import Model
from andon.proposals import Action, FitReport, Outcome, Proposal
from andon.records import RecordKind
from andon.runtime import Runtime, TickReport, WallClock
from andon.store.base import Store
from decisions.decision_helpers import HOUR, Clock, make_proposal, person

DAY = 24 * HOUR
LYON = "acme/lyon/machining/m1/milling/mill1"


class _App:
    """A decision app whose outcome is known one hour after the decision."""

    name = "maintenance"

    def __init__(self) -> None:
        self.measured: list[str] = []

    def fit(self, store: Store, model: Model, *, until: int) -> FitReport:
        return FitReport(app=self.name, version="maintenance@1", trained_until=until)

    def propose(self, store: Store, model: Model, *, now: int) -> list[Proposal]:
        return []

    def outcome(
        self, store: Store, model: Model, *, action: Action, decided_at: int, now: int
    ) -> Outcome | None:
        if now - decided_at < HOUR:
            return None
        self.measured.append(action.subject)
        return Outcome(measured_at=now, realised_value=100.0, success=True, detail={})


def _upkeep(
    dstore: Store, model: Model, service: DecisionService, app: _App, **kwargs: object
) -> Upkeep:
    return Upkeep(
        store=dstore,
        model=model,
        decisions=service,
        apps={app.name: app},
        **kwargs,  # type: ignore[arg-type]
    )


def test_outcomes_are_measured_once_when_the_app_can_tell(
    dstore: Store, example_model: Model, service: DecisionService, clock: Clock
) -> None:
    app = _App()
    upkeep = _upkeep(dstore, example_model, service, app)
    [live] = service.propose([make_proposal(created_at=clock.now)], now=clock.now)
    service.approve(live.id, who=person(), now=clock.now)
    service.execute(live.id, who=person(), now=clock.now)
    clock.now += HOUR // 2
    assert upkeep.run(now=clock.now).outcomes == 0  # too early: the app cannot tell yet
    clock.now += HOUR
    report = upkeep.run(now=clock.now)
    assert (report.outcomes, report.errors) == (1, [])
    measured = service.get(live.id)
    assert measured.outcome_success is True
    assert measured.realised_value == 100.0
    assert upkeep.run(now=clock.now + HOUR).outcomes == 0  # never measured twice
    assert app.measured == [LYON]


def test_a_shadow_decision_is_scored_once_it_expired(
    dstore: Store, example_model: Model, service: DecisionService, clock: Clock
) -> None:
    SettingsService(store=dstore).set_policy(
        Policy(shadow=(ShadowScope(app="maintenance", site="acme/lyon"),)), actor="t"
    )
    [shadow] = service.propose([make_proposal(created_at=clock.now, ttl=HOUR)], now=clock.now)
    assert shadow.shadow
    upkeep = _upkeep(dstore, example_model, service, _App())
    clock.now += 2 * HOUR
    report = upkeep.run(now=clock.now)
    assert (report.expired, report.outcomes) == (1, 1)
    scored = service.get(shadow.id)
    assert (scored.status, scored.outcome_success) == (Status.EXPIRED, True)


def test_drift_of_a_fitted_model_raises_one_escalation_per_interval(
    dstore: Store, example_model: Model, service: DecisionService, clock: Clock
) -> None:
    rng = np.random.default_rng(7)
    reference = {"vibration_rms": rng.normal(2.0, 0.3, 2000)}
    current = [{"vibration_rms": rng.normal(2.0, 0.3, 2000)}]
    asked: list[tuple[str, str, int, int]] = []

    def source(app: str, scope: str, first_used_at: int, now: int) -> DriftInputs:
        asked.append((app, scope, first_used_at, now))
        return reference, current[0], [], []

    upkeep = _upkeep(
        dstore, example_model, service, _App(), drift_every_s=3600.0, drift_source=source
    )
    first = clock.now
    service.propose([make_proposal(created_at=first)], now=first)
    quiet = upkeep.run(now=first + HOUR)
    assert [r.drifted for r in quiet.drift] == [False]
    assert asked == [("maintenance", "acme/lyon", first, first + HOUR)]
    current[0] = {"vibration_rms": rng.normal(3.0, 0.3, 2000)}
    assert upkeep.run(now=first + HOUR + 60_000_000).drift == []  # not due yet
    report = upkeep.run(now=first + 2 * HOUR)
    [escalation] = report.escalations
    assert escalation.app == DRIFT_APP
    assert escalation.subject == "acme/lyon"
    assert escalation.required_role is Role.ENGINEER
    assert escalation.action.kind == "review_model"
    assert "vibration_rms" in escalation.title
    assert service.get(escalation.id).status is Status.PROPOSED


def test_drift_inputs_come_from_the_site_samples_before_and_after_first_use(
    dstore: Store,
) -> None:
    rng = np.random.default_rng(8)
    first_used = 1_700_000_000_000_000
    now = first_used + 30 * DAY
    before = [first_used - DAY + i * 60_000_000 for i in range(600)]
    after = [now - DAY + i * 60_000_000 for i in range(600)]
    path = "acme/lyon/machining/m1/milling/mill1/vibration_rms"
    other = "acme/brno/machining/m1/milling/mill1/vibration_rms"
    dstore.write(
        RecordKind.SAMPLE,
        records.samples(
            ts=before + after + after,
            path=[path] * 1200 + [other] * 600,
            value=[*rng.normal(2.0, 0.3, 600), *rng.normal(3.0, 0.3, 600), *[9.0] * 600],
        ),
    )
    reference, current, baseline, recent = sample_drift_inputs(
        dstore, app="maintenance", scope="acme/lyon", first_used_at=first_used, now=now,
        window_us=2 * DAY,
    )  # fmt: skip
    assert set(reference) == set(current) == {"vibration_rms"}
    assert len(reference["vibration_rms"]) == len(current["vibration_rms"]) == 600
    assert float(np.mean(current["vibration_rms"])) == pytest.approx(3.0, abs=0.1)  # not brno
    assert (list(baseline), list(recent)) == ([], [])


def _served(store: Store, model: Model, on_tick: Callable[[TickReport], object]) -> FastAPI:
    """Return the API over a store with the decision loop ticking on the wall clock."""
    runtime = Runtime(store=store, model=model, apps={}, clock=now_us)
    return create_app(
        store=store,
        model=model,
        settings=ApiSettings(password_memory_kib=1024),
        runtime=runtime,
        wall_clock=WallClock(runtime=runtime, every_s=3600.0, on_tick=on_tick),
    )


def test_a_server_asked_to_runs_the_upkeep_on_the_wall_clock(
    dstore: Store, example_model: Model, service: DecisionService, clock: Clock
) -> None:
    past = clock.now  # the decision expired long before the wall clock's now
    [stale] = service.propose([make_proposal(created_at=past, ttl=HOUR)], now=past)
    rounds: list[TickReport] = []
    done = threading.Event()
    app = _served(dstore, example_model, lambda report: (rounds.append(report), done.set()))
    with TestClient(app):
        assert done.wait(120)  # the first round runs at start-up, not after an hour
    assert rounds[0].upkeep is not None
    assert rounds[0].upkeep.expired == 1
    assert DecisionService(store=dstore).get(stale.id).status is Status.EXPIRED


def test_a_served_store_keeps_its_day_kpis_current(dstore: Store, example_model: Model) -> None:
    path = sorted(example_model.equipment)[0]
    now = now_us()
    change = [now - (6 - i) * HOUR for i in range(6)]  # the last six hours of the wall clock
    dstore.write(
        RecordKind.STATE,
        records.states(ts=change, path=path, state=["running", "idle"] * 3, source="test"),
    )
    done = threading.Event()
    app = _served(dstore, example_model, lambda _report: done.set())
    with TestClient(app):
        assert done.wait(120)
    days = stored_elements(dstore)
    assert days.height > 0
    assert path in set(days["path"].to_list())
