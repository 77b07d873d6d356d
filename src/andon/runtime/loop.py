"""The one decision loop: apps fitted and proposing on a schedule, upkeep, execution, KPIs.

:class:`Runtime` composes a store, the plant model, decision apps, the decision service,
an executor (``None``: shadow mode) and a clock. Each :meth:`Runtime.tick` does what is due
at ``now``: fit an app (default nightly), expire decisions and measure outcomes (the
upkeep), collect each app's proposals (default hourly), hand approved decisions to the
executor and hear the plant's acknowledgements, and refresh the stored day KPIs. The same
loop runs under every surface: ``andon serve`` ticks it on the wall clock
(:class:`andon.runtime.wallclock.WallClock`), ``andon demo`` from the simulator's chunks on
a simulated clock, ``andon decide`` for one round.

An app that fails (fitting, proposing, measuring) is recorded on its status with the reason
and does not stop the other apps or the loop. Time is UTC microseconds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Final

from andon.apps import known_action_kind
from andon.decisions import (
    DecisionFilter,
    DecisionService,
    Principal,
    Role,
    Status,
    ensure_schema,
)
from andon.decisions.executions import ExecutionRow, ExecutionState
from andon.decisions.upkeep import Upkeep, UpkeepReport
from andon.errors import AndonError
from andon.kpi import KpiSettings, StateRefresher
from andon.kpi._freshness import newest_by_equipment, stopped_feeds
from andon.model import Model
from andon.proposals import (
    DecisionApp,
    Execution,
    ExecutionStatus,
    Executor,
    Proposal,
)
from andon.store.base import Store
from andon.time import from_seconds

__all__ = ["RUNTIME_ACTOR", "AppStatus", "Runtime", "Schedule", "TickReport"]

_log: Final = logging.getLogger(__name__)

RUNTIME_ACTOR = "runtime"
"""The name the loop acts under in the audit chain."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """How often the loop does each thing, in seconds of its clock; 0 turns a thing off.

    >>> Schedule().propose_every_s, Schedule().fit_every_s
    (3600.0, 86400.0)
    """

    fit_every_s: float = 86_400.0
    """Refit every app (nightly by default); the first tick fits an app not yet fitted."""
    propose_every_s: float = 3_600.0
    """Collect every app's proposals (hourly by default)."""
    upkeep_every_s: float = 300.0
    """Expire due decisions, measure outcomes, check drift."""
    execute_every_s: float = 60.0
    """Hand approved decisions to the executor and hear acknowledgements."""
    kpi_every_s: float = 3_600.0
    """Refresh the stored day KPIs (the last two days, late records included)."""
    ack_timeout_s: float = 3_600.0
    """A dispatched work request with no answer after this long is flagged unacknowledged."""

    def __post_init__(self) -> None:
        for item in fields(self):
            name = item.name
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                msg = f"Schedule.{name} must be 0 or a positive number of seconds, got {value}"
                raise ValueError(msg)


@dataclass(slots=True)
class AppStatus:
    """What the loop knows of one app: its last fit, its rounds and its last failure."""

    name: str
    fitted_at: int | None = None
    fit_version: str | None = None
    fit_rows: int = 0
    fit_metrics: dict[str, float] = field(default_factory=dict)
    fit_notes: list[str] = field(default_factory=list)
    next_fit_at: int | None = None
    last_round_at: int | None = None
    next_round_at: int | None = None
    last_proposals: int = 0
    proposals_total: int = 0
    fit_failed_at: int | None = None
    fit_failure: str | None = None
    """Why the last fit failed (cleared by a fit that goes through)."""
    failed_at: int | None = None
    failed_stage: str | None = None
    failure: str | None = None
    """The last failure of any stage that has not gone through since, and why."""
    stopped_inputs: int = 0
    """Equipment whose data had stopped at the last round (no record of its own feed for
    longer than ``KpiSettings.silent_after_s``): the round judged them on old data."""
    stopped_note: str | None = None
    """What the last round said of them: ``inputs stopped for N equipment: no data from
    ... since ...`` (``None`` when every feed was live)."""

    @property
    def healthy(self) -> bool:
        """Whether the app's last fit and round went through."""
        return self.failure is None and self.fit_failure is None

    def cleared(self, stage: str) -> None:
        """Forget the last failure if ``stage`` was where it happened (it went through)."""
        if self.failed_stage == stage:
            self.failed_at = self.failed_stage = self.failure = None

    def to_json(self) -> dict[str, Any]:
        """Return the status as a JSON object."""
        return asdict(self)


@dataclass(slots=True)
class TickReport:
    """What one tick did."""

    now: int
    fitted: list[str] = field(default_factory=list)
    proposals: int = 0
    executed: int = 0
    dispatched: int = 0
    execution_failures: int = 0
    upkeep: UpkeepReport | None = None
    kpi_refreshed: bool = False
    errors: list[str] = field(default_factory=list)


def _next(now: int, every_s: float) -> int | None:
    """Return when something done every ``every_s`` seconds comes next (``None``: never)."""
    return now + from_seconds(every_s) if every_s > 0 else None


_SYSTEM = Principal(username=RUNTIME_ACTOR, role=Role.ADMIN, sites=("*",))


class Runtime:
    """The composition root: store, model, apps, decisions, executor, clock and schedule.

    >>> from andon.store import open_store
    >>> from andon.model import load_model
    >>> store = open_store("duckdb://:memory:")
    >>> runtime = Runtime(store=store, model=load_model("examples/discrete"), apps={},
    ...                   clock=lambda: 0)
    >>> runtime.tick().errors
    []
    """

    def __init__(
        self,
        *,
        store: Store,
        model: Model,
        apps: Mapping[str, DecisionApp],
        executor: Executor | None = None,
        clock: Callable[[], int],
        schedule: Schedule | None = None,
        decisions: DecisionService | None = None,
        kpi_since: int | None = None,
        drift_every_s: float = 86_400.0,
        drift_window_s: float = 7 * 86_400.0,
    ) -> None:
        ensure_schema(store)
        self.store: Final = store
        self.model: Final = model
        self.apps: Final = dict(apps)
        self.executor: Final = executor
        self.clock: Final = clock
        self.schedule: Final = schedule or Schedule()
        self.decisions: Final = decisions or DecisionService(store=store, clock=clock)
        self.upkeep: Final = Upkeep(
            store=store,
            model=model,
            decisions=self.decisions,
            apps=self.apps,
            drift_every_s=drift_every_s,
            drift_window_s=drift_window_s,
        )
        self.kpi_state: Final = StateRefresher()
        self._kpi_since = kpi_since
        self._status = {name: AppStatus(name=name) for name in self.apps}
        self._last: dict[str, int] = {}
        self._lock = threading.RLock()
        self._newest: dict[str, int] = {}
        self._newest_read: int | None = None

    # status ------------------------------------------------------------------------------

    def status(self) -> list[AppStatus]:
        """Return a copy of every app's status, by name."""
        with self._lock:
            return [replace(self._status[name]) for name in sorted(self._status)]

    # the loop ----------------------------------------------------------------------------

    def _due(self, what: str, every_s: float, now: int) -> bool:
        if every_s <= 0:
            return False
        last = self._last.get(what)
        return last is None or now - last >= from_seconds(every_s)

    def tick(self, now: int | None = None) -> TickReport:
        """Do everything that is due at ``now`` (default: the clock)."""
        when = self.clock() if now is None else now
        report = TickReport(now=when)
        with self._lock:
            for name in self.apps:
                if self._fit_due(name, when):
                    self.fit(name, now=when, report=report)
            if self._due("upkeep", self.schedule.upkeep_every_s, when):
                self._last["upkeep"] = when
                report.upkeep = self._run_upkeep(when, report)
            if self._due("propose", self.schedule.propose_every_s, when):
                self._last["propose"] = when
                self.propose(now=when, report=report)
            if self.executor is not None and self._due(
                "execute", self.schedule.execute_every_s, when
            ):
                self._last["execute"] = when
                self.execute_approved(now=when, report=report)
            if self._due("kpi", self.schedule.kpi_every_s, when):
                self._last["kpi"] = when
                report.kpi_refreshed = self.refresh_kpis(now=when, report=report)
        return report

    def _fit_due(self, name: str, now: int) -> bool:
        status = self._status[name]
        if status.fitted_at is None and status.fit_failed_at is None:
            return True  # never tried: fit at the first tick
        if self.schedule.fit_every_s <= 0:
            return False
        tried = max(t for t in (status.fitted_at, status.fit_failed_at) if t is not None)
        return now - tried >= from_seconds(self.schedule.fit_every_s)

    def fit(self, name: str, *, now: int, report: TickReport | None = None) -> bool:
        """Fit one app on the history up to ``now``; return whether it went through."""
        app = self.apps[name]
        status = self._status[name]
        started = time.perf_counter()
        try:
            fitted = app.fit(self.store, self.model, until=now)
        except Exception as exc:  # noqa: BLE001 - one app's failure must not stop the loop
            self._failed(name, "fit", now, exc, report)
            status.fit_failed_at, status.fit_failure = now, status.failure
            status.next_fit_at = _next(now, self.schedule.fit_every_s)
            return False
        status.fitted_at = now
        status.fit_version = fitted.version
        status.fit_rows = fitted.rows
        status.fit_metrics = {k: float(v) for k, v in fitted.metrics.items()}
        status.fit_notes = list(fitted.notes)
        status.next_fit_at = _next(now, self.schedule.fit_every_s)
        status.fit_failed_at = status.fit_failure = None
        status.cleared("fit")
        if report is not None:
            report.fitted.append(name)
        _log.info("fitted %s as %s in %.1f s", name, fitted.version, time.perf_counter() - started)
        return True

    def propose(
        self, *, now: int, report: TickReport | None = None, record: bool = True
    ) -> dict[str, list[Proposal]]:
        """Collect every app's proposals at ``now`` and, with ``record``, turn them into
        decisions; return them by app (an app that failed has none)."""
        made: dict[str, list[Proposal]] = {}
        stopped = self._stopped_inputs(now) if self.apps else []
        note = _stopped_note(stopped)
        for name, app in self.apps.items():
            status = self._status[name]
            status.last_round_at = now
            status.next_round_at = _next(now, self.schedule.propose_every_s)
            status.stopped_inputs = len(stopped)
            status.stopped_note = note
            try:
                proposals = app.propose(self.store, self.model, now=now)
                if proposals and record:
                    self.decisions.propose(proposals, now=now, actor=RUNTIME_ACTOR)
            except Exception as exc:  # noqa: BLE001 - one app's failure must not stop the loop
                self._failed(name, "propose", now, exc, report)
                status.last_proposals = 0
                made[name] = []
                continue
            status.last_proposals = len(proposals)
            status.proposals_total += len(proposals)
            status.cleared("propose")
            made[name] = proposals
            if report is not None:
                report.proposals += len(proposals)
        return made

    def _stopped_inputs(self, now: int) -> list[str]:
        """Return the ``no data from ... since ...`` of each equipment whose feed stopped.

        Each equipment's newest record is kept between rounds, so a round reads only the
        records since the one before (a day of margin for late records); the first reads
        the whole history once.
        """
        since = None if self._newest_read is None else self._newest_read - from_seconds(86_400)
        try:
            fresh = newest_by_equipment(self.store, self.model, prefix=self.model.root, since=since)
        except AndonError as exc:
            _log.warning("cannot tell which feeds stopped at %s: %s", now, exc)
            return []
        for path, ts in fresh.items():
            if ts > self._newest.get(path, -(2**62)):
                self._newest[path] = ts
        self._newest_read = now if self._newest_read is None else max(self._newest_read, now)
        silent_us = from_seconds(KpiSettings().silent_after_s)
        issues = stopped_feeds(
            self._newest, sorted(self.model.equipment), end=now, silent_us=silent_us
        )
        return [str(m) for m in issues["message"].to_list()]

    def _run_upkeep(self, now: int, report: TickReport) -> UpkeepReport | None:
        try:
            upkeep = self.upkeep.run(now=now)
        except Exception as exc:  # noqa: BLE001 - the loop goes on; the reason is kept
            report.errors.append(f"upkeep failed: {exc}")
            _log.exception("upkeep failed at %s", now)
            return None
        report.errors.extend(upkeep.errors)
        return upkeep

    def refresh_kpis(self, *, now: int, report: TickReport | None = None) -> bool:
        """Refresh the stored day KPIs when due; return whether it ran."""
        if not self.kpi_state.due(now=now):
            return False
        try:
            self.kpi_state.run(self.store, self.model, now=now, since=self._kpi_since)
        except AndonError as exc:
            if report is not None:
                report.errors.append(f"KPI refresh failed: {exc}")
            _log.warning("KPI refresh failed at %s: %s", now, exc)
            return False
        return True

    def _failed(
        self, name: str, stage: str, now: int, exc: BaseException, report: TickReport | None
    ) -> None:
        status = self._status[name]
        status.failed_at = now
        status.failed_stage = stage
        status.failure = (
            f"{type(exc).__name__}: {exc}" if not isinstance(exc, AndonError) else (str(exc))
        )
        text = f"{name}: {stage} failed: {status.failure}"
        if report is not None:
            report.errors.append(text)
        if isinstance(exc, AndonError):
            _log.warning(text)
        else:
            _log.error(text, exc_info=exc)

    # execution ---------------------------------------------------------------------------

    def execute_approved(self, *, now: int, report: TickReport | None = None) -> int:
        """Hand approved decisions to the executor, hear acknowledgements, flag silence;
        return how many decisions became executed."""
        executor = self.executor
        if executor is None:
            return 0
        ledger = self.decisions.executions
        approved = self.decisions.list(
            DecisionFilter(statuses=(Status.APPROVED,), shadow=False), limit=500
        )
        rows = ledger.of_decisions([r.id for r in approved])
        done = 0
        for record in approved:
            row = rows.get(record.id)
            if row is None:
                row = ledger.open(record, executor=executor.name, now=now)
            if not row.due(now):
                continue
            try:
                kind = known_action_kind(record.action.kind)
            except AndonError as exc:
                self._apply(
                    row,
                    Execution(
                        decision_id=record.id, status=ExecutionStatus.FAILED, detail=str(exc)
                    ),
                    now,
                    report,
                )
                continue
            if not kind.executable:
                execution = Execution(
                    decision_id=record.id,
                    status=ExecutionStatus.DONE,
                    detail=f"{kind.name}: nothing to carry out in the plant",
                )
            else:
                try:
                    execution = executor.execute(
                        decision_id=record.id, action=record.action, now=now
                    )
                except Exception as exc:  # noqa: BLE001 - shown on the decision, retried
                    execution = Execution(
                        decision_id=record.id,
                        status=ExecutionStatus.FAILED,
                        detail=f"{executor.name} executor failed: {type(exc).__name__}: {exc}",
                    )
            done += self._apply(row, execution, now, report)
        try:
            answers = executor.acknowledgements(now=now)
        except Exception as exc:  # noqa: BLE001 - heard again at the next round
            answers = []
            if report is not None:
                report.errors.append(f"acknowledgements failed: {exc}")
        if answers:
            known = ledger.of_decisions([a.decision_id for a in answers])
            for answer in answers:
                row = known.get(answer.decision_id)
                if row is None or row.state is not ExecutionState.DISPATCHED:
                    _log.warning(
                        "acknowledgement for %s, which awaits none; ignored", answer.decision_id
                    )
                    continue
                done += self._apply(row, answer, now, report, attempted=False)
        timeout = from_seconds(self.schedule.ack_timeout_s)
        for row in ledger.in_state(ExecutionState.DISPATCHED):
            if timeout > 0 and now - row.updated_at >= timeout:
                ledger.change(
                    row,
                    state=ExecutionState.UNACKNOWLEDGED,
                    now=now,
                    detail=f"no acknowledgement from the plant within "
                    f"{self.schedule.ack_timeout_s / 3600:g} h of {row.detail or 'dispatch'}",
                )
        return done

    def _apply(
        self,
        row: ExecutionRow,
        execution: Execution,
        now: int,
        report: TickReport | None,
        *,
        attempted: bool = True,
    ) -> int:
        """Record what an executor did (``attempted``) or the plant answered; return 1 when
        the decision became executed."""
        state = _STATES[execution.status]
        self.decisions.executions.change(
            row,
            state=state,
            now=now,
            detail=execution.detail,
            reference=execution.reference,
            attempted=attempted,
        )
        if state is ExecutionState.DISPATCHED:
            if report is not None:
                report.dispatched += 1
            return 0
        if state is not ExecutionState.DONE:
            if report is not None:
                report.execution_failures += 1
                report.errors.append(f"executing {row.decision_id}: {execution.detail}")
            return 0
        try:
            self.decisions.execute(row.decision_id, who=_SYSTEM, now=now)
        except AndonError as exc:
            if report is not None:
                report.errors.append(f"marking {row.decision_id} executed failed: {exc}")
            return 0
        if report is not None:
            report.executed += 1
        return 1


def _stopped_note(messages: list[str], *, shown: int = 3) -> str | None:
    """Return what an app's status says of feeds that stopped, ``None`` when none did.

    >>> _stopped_note(["no data from acme/lyon/m1 since 2026-03-01T00:00:00Z"])
    'inputs stopped for 1 equipment: no data from acme/lyon/m1 since 2026-03-01T00:00:00Z'
    >>> _stopped_note([f"no data from m{i} since t" for i in range(5)], shown=2)
    'inputs stopped for 5 equipment: no data from m0 since t; no data from m1 since t; and 3 more'
    """
    if not messages:
        return None
    more = len(messages) - shown
    listed = "; ".join(messages[:shown]) + (f"; and {more} more" if more > 0 else "")
    return f"inputs stopped for {len(messages)} equipment: {listed}"


_STATES = {
    ExecutionStatus.DONE: ExecutionState.DONE,
    ExecutionStatus.DISPATCHED: ExecutionState.DISPATCHED,
    ExecutionStatus.FAILED: ExecutionState.FAILED,
    ExecutionStatus.REJECTED: ExecutionState.REJECTED,
}
"""The ledger's state for what an executor reports."""
