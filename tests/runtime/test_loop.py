"""The one decision loop: schedule, app failures kept apart, and honest execution.

Each test runs on both stores. The apps and executors here are small stand-ins with the
protocols' shapes, so each path of the loop (fit failure, an executor that fails, a plant
that refuses or never answers) can be driven on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

import andon.apps.maintenance.actions  # noqa: F401 - registers the maintenance vocabulary
from andon.decisions import DecisionFilter, Principal, Role, Status
from andon.decisions.executions import ExecutionState
from andon.errors import InsufficientHistoryError
from andon.model import Model
from andon.proposals import (
    Action,
    Execution,
    ExecutionStatus,
    FitReport,
    Outcome,
    PartQuantity,
    Proposal,
)
from andon.runtime import Runtime, Schedule
from andon.store.base import Store

HOUR = 3_600_000_000
T0 = 1_800_000_000_000_000
SUBJECT = "acme/lyon/machining/m1/milling/mill1"
PLANNER = Principal(username="planner", role=Role.ENGINEER, sites=("*",))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


@dataclass
class _App:
    """An app that proposes one intervention per round, and can be told to fail."""

    name: str = "maintenance"
    fail_fit: bool = False
    fail_propose: bool = False
    kind: str = "intervene"
    fits: int = 0
    rounds: int = 0

    def fit(self, store: Store, model: Model, *, until: int) -> FitReport:
        self.fits += 1
        if self.fail_fit:
            msg = "a tag silent for 21 days: vibration_rms"
            raise InsufficientHistoryError(msg, app=self.name)
        return FitReport(app=self.name, version=f"v{self.fits}", trained_until=until, rows=42)

    def propose(self, store: Store, model: Model, *, now: int) -> list[Proposal]:
        self.rounds += 1
        if self.fail_propose:
            msg = "solver crashed"
            raise RuntimeError(msg)
        action = Action(
            kind=self.kind,
            subject=SUBJECT,
            failure_modes=("spindle_bearing",),
            slot_start=now + HOUR,
            parts=(PartQuantity("BRG-7014", 2),),
            label="replace the spindle bearing",
        )
        return [
            Proposal(
                app=self.name,
                subject=SUBJECT,
                action=action,
                expected_value=500.0,
                confidence=0.8,
                explanation="test",
                created_at=now,
                expires_at=now + 24 * HOUR,
                supersede_key="failure_mode:spindle_bearing",
            )
        ]

    def outcome(
        self, store: Store, model: Model, *, action: Action, decided_at: int, now: int
    ) -> Outcome | None:
        return None


@dataclass
class _Executor:
    """Does what it is told: ``done``, ``dispatch``, ``fail`` or ``raise``."""

    mode: str = "done"
    name: str = "test"
    calls: list[Action] = field(default_factory=list)
    answers: list[Execution] = field(default_factory=list)

    def execute(self, *, decision_id: str, action: Action, now: int) -> Execution:
        self.calls.append(action)
        if self.mode == "raise":
            msg = "connection refused"
            raise OSError(msg)
        status = {
            "done": ExecutionStatus.DONE,
            "dispatch": ExecutionStatus.DISPATCHED,
            "fail": ExecutionStatus.FAILED,
        }[self.mode]
        return Execution(decision_id=decision_id, status=status, detail=self.mode, reference="r1")

    def acknowledgements(self, *, now: int) -> list[Execution]:
        out, self.answers = self.answers, []
        return out


def _runtime(store: Store, model: Model, app: _App, executor: _Executor | None) -> Runtime:
    return Runtime(
        store=store,
        model=model,
        apps={app.name: app},
        executor=executor,
        clock=Clock(),
        schedule=Schedule(
            fit_every_s=86_400, propose_every_s=3_600, upkeep_every_s=0, kpi_every_s=0,
            execute_every_s=60, ack_timeout_s=7_200,
        ),
    )  # fmt: skip


def _approve_first(runtime: Runtime, now: int) -> str:
    [record] = runtime.decisions.list(_proposed(), limit=10)
    runtime.decisions.approve(record.id, who=PLANNER, now=now)
    return record.id


def _proposed() -> DecisionFilter:
    return DecisionFilter(statuses=(Status.PROPOSED,))


def test_the_loop_fits_proposes_and_executes_on_its_schedule(
    store: Store, example_model: Model
) -> None:
    app, executor = _App(), _Executor()
    runtime = _runtime(store, example_model, app, executor)
    report = runtime.tick(T0)
    assert report.fitted == ["maintenance"]
    assert report.proposals == 1
    [status] = runtime.status()
    assert (status.fit_version, status.fit_rows, status.failure) == ("v1", 42, None)
    assert status.next_round_at == T0 + HOUR
    assert runtime.tick(T0 + 60_000_000).proposals == 0  # not due yet
    decision = _approve_first(runtime, T0 + 120_000_000)
    assert runtime.tick(T0 + 120_000_000).executed == 1
    assert runtime.decisions.get(decision).status is Status.EXECUTED
    assert [a.kind for a in executor.calls] == ["intervene"]
    row = runtime.decisions.executions.get(decision)
    assert row is not None
    assert (row.state, row.reference, row.attempts) == (ExecutionState.DONE, "r1", 1)
    runtime.tick(T0 + HOUR)
    assert app.fits == 1  # nightly, not hourly
    assert app.rounds == 2


def test_an_app_that_cannot_be_fitted_or_fails_leaves_the_loop_running(
    store: Store, example_model: Model
) -> None:
    broken = _App(name="maintenance", fail_fit=True, fail_propose=True)
    runtime = _runtime(store, example_model, broken, _Executor())
    report = runtime.tick(T0)
    [status] = runtime.status()
    assert status.fitted_at is None
    assert status.failed_stage == "propose"
    assert "solver crashed" in (status.failure or "")
    assert any("fit failed" in e and "silent for 21 days" in e for e in report.errors)
    broken.fail_propose = False
    runtime.tick(T0 + HOUR)
    [status] = runtime.status()
    assert status.failure is None  # the round went through
    assert status.last_proposals == 1
    assert status.fit_failure is not None
    assert "silent for 21 days" in status.fit_failure  # still said on the status
    assert not status.healthy
    assert broken.fits == 1  # retried after a day, not every tick
    broken.fail_fit = False
    runtime.tick(T0 + 25 * HOUR)
    [status] = runtime.status()
    assert (broken.fits, status.fit_failure, status.healthy) == (2, None, True)


def test_an_executor_failure_leaves_the_decision_approved_and_retries_later(
    store: Store, example_model: Model
) -> None:
    executor = _Executor(mode="raise")
    runtime = _runtime(store, example_model, _App(), executor)
    runtime.tick(T0)
    decision = _approve_first(runtime, T0)
    report = runtime.tick(T0 + 60_000_000)
    assert report.execution_failures == 1
    assert runtime.decisions.get(decision).status is Status.APPROVED
    row = runtime.decisions.executions.get(decision)
    assert row is not None
    assert row.state is ExecutionState.FAILED
    assert "connection refused" in row.detail
    minute = 60_000_000
    runtime.tick(T0 + 2 * minute)  # the first retry comes a minute later ...
    assert len(executor.calls) == 2
    runtime.tick(T0 + 3 * minute)  # ... the next one two minutes after that
    assert len(executor.calls) == 2
    executor.mode = "done"
    runtime.tick(T0 + 4 * minute)
    assert runtime.decisions.get(decision).status is Status.EXECUTED
    row = runtime.decisions.executions.get(decision)
    assert row is not None
    assert row.attempts == 3


def test_dispatched_work_waits_for_the_plant_and_a_refusal_is_shown(
    store: Store, example_model: Model
) -> None:
    executor = _Executor(mode="dispatch")
    runtime = _runtime(store, example_model, _App(), executor)
    runtime.tick(T0)
    decision = _approve_first(runtime, T0)
    assert runtime.tick(T0 + 60_000_000).dispatched == 1
    assert runtime.decisions.get(decision).status is Status.APPROVED
    runtime.tick(T0 + 2 * 60_000_000)
    assert len(executor.calls) == 1  # sent once, not again while it waits
    executor.answers.append(
        Execution(
            decision_id=decision,
            status=ExecutionStatus.REJECTED,
            detail="refused by the plant: no crew",
        )
    )
    runtime.tick(T0 + 3 * 60_000_000)
    row = runtime.decisions.executions.get(decision)
    assert row is not None
    assert row.state is ExecutionState.REJECTED
    assert row.state.waits_for_person
    assert runtime.decisions.get(decision).status is Status.APPROVED
    runtime.decisions.executions.retry(decision, actor="planner", now=T0 + 4 * 60_000_000)
    executor.answers.append(
        Execution(decision_id=decision, status=ExecutionStatus.DONE, detail="accepted")
    )
    runtime.tick(T0 + 5 * 60_000_000)
    assert runtime.decisions.get(decision).status is Status.EXECUTED
    row = runtime.decisions.executions.get(decision)
    assert row is not None
    assert (row.state, row.attempts) == (ExecutionState.DONE, 2)  # sent twice, answered twice


def test_work_the_plant_never_acknowledges_is_flagged_not_dropped(
    store: Store, example_model: Model
) -> None:
    runtime = _runtime(store, example_model, _App(), _Executor(mode="dispatch"))
    runtime.tick(T0)
    decision = _approve_first(runtime, T0)
    runtime.tick(T0 + 60_000_000)
    runtime.tick(T0 + 3 * HOUR)
    row = runtime.decisions.executions.get(decision)
    assert row is not None
    assert row.state is ExecutionState.UNACKNOWLEDGED
    assert "no acknowledgement" in row.detail
    assert runtime.decisions.get(decision).status is Status.APPROVED


def test_shadow_mode_executes_nothing_and_a_watch_needs_no_executor_call(
    store: Store, example_model: Model
) -> None:
    shadow = _runtime(store, example_model, _App(), None)
    shadow.tick(T0)
    decision = _approve_first(shadow, T0)
    shadow.tick(T0 + HOUR)
    assert shadow.decisions.get(decision).status is Status.APPROVED
    assert shadow.decisions.executions.get(decision) is None


def test_an_approved_watch_is_recorded_as_done_without_the_plant(
    store: Store, example_model: Model
) -> None:
    executor = _Executor()
    app = _App(kind="watch")
    runtime = _runtime(store, example_model, app, executor)
    runtime.tick(T0)
    decision = _approve_first(runtime, T0)
    runtime.tick(T0 + 60_000_000)
    assert executor.calls == []
    assert runtime.decisions.get(decision).status is Status.EXECUTED
    row = runtime.decisions.executions.get(decision)
    assert row is not None
    assert "nothing to carry out" in row.detail


@pytest.mark.parametrize("every", [-1.0, float("nan")])
def test_a_schedule_refuses_nonsense(every: float) -> None:
    with pytest.raises(ValueError, match="propose_every_s"):
        Schedule(propose_every_s=every)
