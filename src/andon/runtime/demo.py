"""``andon demo``: the one loop with the simulator as source and executor, on simulated time.

The simulator generates the history of the example enterprise as fast as it can, its
records passing the contracts like any connector's (:class:`andon.sim.sinks.PipelineSink`);
the decision apps are fitted on it and propose; then the simulation streams on at a chosen
multiple of real time while the same :class:`~andon.runtime.loop.Runtime` as ``andon serve``
proposes on its schedule, expires decisions, measures outcomes and checks drift. Approved
decisions are carried out by :class:`andon.sim.executor.SimulatorExecutor`, the code every
closed-loop benchmark uses, so the loop is closed: what a person approves in the console
changes what the simulated plant does next.

The simulator runs in one background thread and calls back after every chunk of simulated
time; everything the loop does happens in that callback, so the store sees one writer.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from andon.apps import app_names, get_app
from andon.decisions import DecisionFilter, DecisionService, PasswordPolicy, Status, UserService
from andon.errors import AndonError, UsageError
from andon.kpi import Grain, aggregate, compute, kpis
from andon.model import Model, load_model
from andon.proposals import DecisionApp
from andon.records import TS_TYPE, RecordKind
from andon.runtime.loop import RUNTIME_ACTOR, Runtime, Schedule, TickReport
from andon.sim import MaintenancePlan, PlantView, Scenario, load_scenario, simulate
from andon.sim.examples import find_model
from andon.sim.executor import SimulatorExecutor
from andon.sim.pacer import Pacer
from andon.sim.sinks import PipelineSink
from andon.store import Store, open_store
from andon.time import DAY_US

__all__ = ["DEMO_USERS", "SimulatedRun", "SimulatedRunSettings", "Summary", "demo_users"]

DEMO_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("admin", "admin", ("*",)),
    ("planner", "engineer", ("*",)),
    ("viewer", "viewer", ("*",)),
)
"""The demo's users of every site: name, role, sites; all share the demo password. Each
site of the model adds an operator of its own (:func:`demo_users`)."""


def demo_users(model: Model) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Return the demo's users for ``model``: :data:`DEMO_USERS` and, per site, an operator
    named by the site's id (``-operator`` added if that name is taken) scoped to the site.

    >>> from andon.model import load_model
    >>> [u for u in demo_users(load_model("examples/discrete")) if u[1] == "operator"]
    [('lyon', 'operator', ('acme/lyon',)), ('brno', 'operator', ('acme/brno',))]
    """
    taken = {name for name, _, _ in DEMO_USERS}
    operators = []
    for path, site in model.sites.items():
        name = site.id if site.id not in taken else f"{site.id}-operator"
        taken.add(name)
        operators.append((name, "operator", (path,)))
    return (*DEMO_USERS, *operators)


class SimulatedRunSettings(BaseSettings):
    """What the demo runs: which model and store, how much history, how fast, which apps."""

    model_config = SettingsConfigDict(env_prefix="ANDON_RUNTIME_", frozen=True, extra="forbid")

    model: Path = Path("examples/discrete")
    """The plant model (a YAML file or a folder of them); ``examples/NAME`` names a shipped
    example from any folder."""
    workdir: Path = Path("andon-demo")
    """Folder for the demo's DuckDB file."""
    store_url: str | None = None
    """Store URL; ``None`` means ``<workdir>/andon.duckdb``."""
    history_days: float = Field(default=60.0, gt=0)
    """Days of history generated before the console opens."""
    stream_days: float = Field(default=365.0, ge=0)
    """Simulated days that stream on after the history (the run stops after them)."""
    speed: float = Field(default=60.0, ge=0)
    """Multiple of real time while streaming; 0 runs as fast as possible."""
    seed: int = 1
    """Seed of the simulation; the same seed gives the same history."""
    epoch_h: float = Field(default=24.0, gt=0)
    """Simulated hours the simulator computes at a time (and between maintenance plans)."""
    slice_min: float = Field(default=15.0, gt=0)
    """While streaming, records reach the store in steps of this many simulated minutes."""
    propose_every_h: float = Field(default=24.0, gt=0)
    """Simulated hours between two rounds of proposals (and of the decision upkeep)."""
    fit_every_h: float = Field(default=0.0, ge=0)
    """Simulated hours between two fits of each app; 0 fits once, on the history."""
    apps: tuple[str, ...] = ("energy", "flow", "maintenance", "quality")
    """Decision apps to fit and run (every registered app)."""
    demo_password: str = "andon-demo"  # noqa: S105 - printed for the loopback demo
    """Password of the demo users (printed by ``andon demo``; loopback only)."""
    end_at_now: bool = True
    """Start the history so that it ends at the wall clock's current quarter hour."""
    password_memory_kib: int = Field(default=65_536, ge=8)
    """Argon2id memory per password hash for the demo users."""
    drift_every_h: float = Field(default=24.0, gt=0)
    """Simulated hours between two drift checks of each fitted model."""
    drift_window_days: float = Field(default=7.0, gt=0)
    """Days of inputs and outcomes a drift check compares with those before."""

    def store_location(self) -> str:
        """Return the store URL, defaulting to the DuckDB file in the working folder."""
        return self.store_url or f"duckdb://{(self.workdir / 'andon.duckdb').as_posix()}"

    def schedule(self) -> Schedule:
        """Return the loop's schedule on simulated time."""
        every_s = self.propose_every_h * 3600.0
        return Schedule(
            fit_every_s=self.fit_every_h * 3600.0,
            propose_every_s=every_s,
            upkeep_every_s=every_s,
            execute_every_s=0.0,  # the simulator takes approved work at each epoch
            kpi_every_s=3600.0,
        )


@dataclass(slots=True)
class Summary:
    """What a run did, for the command's summary and for tests."""

    history_days: float = 0.0
    streamed_days: float = 0.0
    records: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    proposals: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    executed: int = 0
    outcomes: int = 0
    escalations: int = 0
    fitted: dict[str, str] = field(default_factory=dict)
    apps: dict[str, dict[str, Any]] = field(default_factory=dict)
    oee: dict[str, float | None] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, report: TickReport) -> None:
        """Count what one tick of the loop did."""
        self.proposals += report.proposals
        self.executed += report.executed
        if report.upkeep is not None:
            self.outcomes += report.upkeep.outcomes
            self.escalations += len(report.upkeep.escalations)
        self.notes.extend(report.errors)

    def to_json(self) -> dict[str, Any]:
        """Return the summary as a JSON object."""
        return {
            "history_days": self.history_days,
            "streamed_days": round(self.streamed_days, 3),
            "records": self.records,
            "quarantined": self.quarantined,
            "proposals": self.proposals,
            "decisions": self.decisions,
            "executed": self.executed,
            "outcomes": self.outcomes,
            "escalations": self.escalations,
            "fitted": self.fitted,
            "apps": self.apps,
            "oee": self.oee,
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
            "notes": self.notes,
        }


class _StopError(Exception):
    """Raised inside the simulation's callback to end the run early."""


def _quarter_hour_floor(micros: int) -> int:
    quarter = 15 * 60 * 1_000_000
    return micros - micros % quarter


class _PacedSink:
    """The simulator's sink: through the contracts into the store; while streaming, each
    chunk is held and released slice by slice as the paced clock reaches it."""

    def __init__(self, run: SimulatedRun, inner: PipelineSink) -> None:
        self.run = run
        self.inner = inner
        self.pending: list[tuple[RecordKind, pa.Table, str]] = []

    def advance(self, now_us: int) -> None:
        self.inner.advance(now_us)

    def end_chunk(self) -> None:
        self.inner.end_chunk()

    def write(self, kind: RecordKind, table: pa.Table, *, batch_id: str) -> None:
        if self.run.streaming and self.run.settings.speed > 0:
            self.pending.append((kind, table, batch_id))
        else:
            self.inner.write(kind, table, batch_id=batch_id)

    def write_truth(self, name: str, table: pa.Table) -> None:
        self.inner.write_truth(name, table)

    def release(self, start_us: int | None, end_us: int | None, slice_no: int) -> None:
        """Write the held rows with ``start_us <= ts < end_us`` (``None``: unbounded)."""
        for kind, table, batch_id in self.pending:
            ts = table.column("ts")
            masks = []
            if start_us is not None:
                masks.append(pc.greater_equal(ts, pa.scalar(start_us, type=TS_TYPE)))
            if end_us is not None:
                masks.append(pc.less(ts, pa.scalar(end_us, type=TS_TYPE)))
            part = table
            if masks:
                mask = masks[0] if len(masks) == 1 else pc.and_(masks[0], masks[1])
                part = table.filter(mask)
            if part.num_rows:
                self.inner.write(kind, part, batch_id=f"{batch_id}:{slice_no:04d}")

    def close(self) -> None:
        self.pending.clear()


class _ApprovedWork:
    """The simulated plant's maintenance policy: do what people approved.

    At each epoch the loop hands approved decisions to the simulator executor, which turns
    them into this epoch's orders.
    """

    name = "approved-decisions"

    def __init__(self, run: SimulatedRun) -> None:
        self.run = run

    def decide(self, view: PlantView) -> MaintenancePlan:
        if not self.run.ready:
            return MaintenancePlan()
        report = TickReport(now=view.now_us)
        self.run.executor.observe(view)
        self.run.runtime.execute_approved(now=view.now_us, report=report)
        self.run.summary.add(report)
        return self.run.executor.plan(view)


class SimulatedRun:
    """The demo: the simulated enterprise, the one loop on its clock, the console's users.

    >>> settings = SimulatedRunSettings(history_days=1, stream_days=0)
    >>> settings.store_location()
    'duckdb://andon-demo/andon.duckdb'
    """

    def __init__(
        self,
        *,
        settings: SimulatedRunSettings,
        store: Store | None = None,
        model: Model | None = None,
        on_history: Callable[[float, float], None] | None = None,
    ) -> None:
        self.settings = settings
        self.model = model or load_model(find_model(settings.model))
        if store is None:
            settings.workdir.mkdir(parents=True, exist_ok=True)
            store = open_store(settings.store_location())
        self.store = store
        self.summary = Summary(history_days=settings.history_days)
        apps: dict[str, DecisionApp] = {}
        for name in settings.apps:
            if name in app_names():
                apps[name] = get_app(name)
            else:
                self.summary.notes.append(f"decision app {name!r} is not installed; skipped")
        wall = int(time.time() * 1_000_000)
        self.start_us = (
            _quarter_hour_floor(wall) - int(settings.history_days * DAY_US)
            if settings.end_at_now
            else 0
        )
        self._now_us = self.start_us
        self._lock = threading.RLock()
        self.executor = SimulatorExecutor()
        self.decisions = DecisionService(store=self.store, clock=self.now)
        self.runtime = Runtime(
            store=self.store,
            model=self.model,
            apps=apps,
            executor=self.executor,
            clock=self.now,
            schedule=settings.schedule(),
            decisions=self.decisions,
            kpi_since=self.start_us,
            drift_every_s=settings.drift_every_h * 3600.0,
            drift_window_s=settings.drift_window_days * 86_400.0,
        )
        # Sessions and users live on the wall clock: a demo streaming at 60 times real time
        # must not end a session eight times faster.
        self.users = UserService(store=self.store)
        self._on_history = on_history
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._pacer: Pacer | None = None
        self._stream_start_us = 0
        self.streaming = False
        self._sink = _PacedSink(self, PipelineSink.into(self.store, model=self.model))
        self._released_us = 0
        self._t_history = 0.0

    @property
    def apps(self) -> dict[str, DecisionApp]:
        """The decision apps the loop runs."""
        return self.runtime.apps

    # time ------------------------------------------------------------------------------

    def now(self) -> int:
        """Return the simulated now (UTC micros): the end of the last chunk written."""
        return self._now_us

    def _set_now(self, now: int) -> None:
        with self._lock:
            self._now_us = now

    # users -----------------------------------------------------------------------------

    def ensure_demo_users(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """Create the demo users unless users exist; return the demo users."""
        if self.users.count() == 0:
            self.users.passwords = PasswordPolicy(memory_kib=self.settings.password_memory_kib)
            for name, role, sites in demo_users(self.model):
                self.users.add(
                    name,
                    role=role,
                    sites=list(sites),
                    password=self.settings.demo_password,
                    actor=RUNTIME_ACTOR,
                )
        return list(demo_users(self.model))

    # the run ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the simulation thread: history first, then the stream."""
        if self._thread is not None:
            msg = "the simulated run is already running"
            raise UsageError(msg)
        self._thread = threading.Thread(target=self._run, name="andon-demo", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until the history is generated and the apps have proposed; re-raise errors."""
        while not self._ready.wait(0.1 if timeout is None else min(timeout, 0.1)):
            if self._error is not None:
                raise self._error
            if self._done.is_set():
                break
            if timeout is not None:
                timeout -= 0.1
                if timeout <= 0:
                    return False
        if self._error is not None:
            raise self._error
        return self._ready.is_set()

    def wait_done(self, timeout: float | None = None) -> bool:
        """Wait until the run has ended; re-raise its error."""
        finished = self._done.wait(timeout)
        if self._error is not None:
            raise self._error
        return finished

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the run to stop after the chunk in progress, and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def ready(self) -> bool:
        """Whether the history is there and the console may open."""
        return self._ready.is_set()

    def run_history(self) -> None:
        """Start the run and block until the history is there (fitted and proposed)."""
        self._t_history = time.perf_counter()
        self.start()
        self.wait_ready()

    def _scenario(self) -> Scenario:
        """Return the model's scenario (the ``*.scenario`` file beside it, as the simulator
        finds it), starting so that the history ends at the current quarter hour."""
        scenario = Scenario()
        for folder in dict.fromkeys(Path(file).parent for file in self.model.files):
            found = sorted(folder.glob("*.scenario"))
            if found:
                scenario = load_scenario(found[0])
                break
        if self.settings.end_at_now:
            start = dt.datetime.fromtimestamp(self.start_us / 1e6, tz=dt.UTC)
            scenario = scenario.model_copy(update={"start": start.isoformat()})
        return scenario

    def _run(self) -> None:
        settings = self.settings
        total_days = settings.history_days + settings.stream_days
        started = time.perf_counter()
        try:
            result = simulate(
                self.model,
                days=total_days,
                seed=settings.seed,
                policy=_ApprovedWork(self),
                sink=self._sink,
                scenario=self._scenario(),
                epoch_h=settings.epoch_h,
                source=f"sim-{settings.seed}",
                progress=self._on_chunk,
                back_history=True,
            )
            self.summary.records = dict(result.records)
        except _StopError:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            self._error = exc
        finally:
            self.summary.quarantined = dict(self._sink.inner.quarantined)
            if not self._ready.is_set() and self._error is None and not self._stop.is_set():
                self._ready.set()
            self.summary.timings_s["total"] = time.perf_counter() - started
            self._done.set()

    def _on_chunk(self, t_s: float, horizon_s: float) -> None:
        del horizon_s
        history_s = self.settings.history_days * 86_400.0
        if self._stop.is_set():
            raise _StopError
        if not self._ready.is_set():
            self._set_now(self.start_us + round(t_s * 1_000_000))
            if self._on_history is not None:
                self._on_history(min(t_s, history_s), history_s)
            if t_s >= history_s - 1e-6:
                self.summary.timings_s["history"] = time.perf_counter() - self._t_history
                self.after_history()
                self.streaming = True
                self._released_us = self.now()
                self._ready.set()
                if self.settings.speed > 0:
                    self._pacer = Pacer(speed=self.settings.speed, stop=self._stop)
                    self._pacer.start(0.0)
                    self._stream_start_us = self.now()
            return
        end_us = self.start_us + round(t_s * 1_000_000)
        if self._pacer is None:
            self._advance(end_us)
            return
        step = int(self.settings.slice_min * 60 * 1_000_000)
        slice_no = 0
        while self._released_us < end_us:
            upto = min(self._released_us + step, end_us)
            if not self._pacer.wait_until((upto - self._stream_start_us) / 1e6):
                raise _StopError
            first, last = slice_no == 0, upto >= end_us
            self._sink.release(
                None if first else self._released_us, None if last else upto, slice_no
            )
            self._released_us = upto
            slice_no += 1
            self._advance(upto)
        self._sink.pending.clear()

    def _advance(self, now: int) -> None:
        """Move the clock to ``now`` and let the loop do what is due."""
        self._set_now(now)
        self.summary.streamed_days = (now - self.start_us) / DAY_US - self.settings.history_days
        self.summary.add(self.runtime.tick(now))

    def after_history(self) -> None:
        """Fit every app on the history, then run the first round of the loop."""
        now = self.now()
        started = time.perf_counter()
        report = self.runtime.tick(now)
        self.summary.add(report)
        for status in self.runtime.status():
            if status.fit_version is not None:
                self.summary.fitted[status.name] = status.fit_version
        self.summary.timings_s["fit_and_first_round"] = time.perf_counter() - started

    # summary ---------------------------------------------------------------------------

    def finish_summary(self, *, kpi_days: float = 7.0) -> Summary:
        """Fill in decision counts and each site's OEE over the last ``kpi_days``."""
        counts: dict[str, int] = {}
        for status in Status:
            records = self.decisions.list(DecisionFilter(statuses=(status,)), limit=100_000)
            if records:
                counts[status.value] = len(records)
        self.summary.decisions = counts
        self.summary.apps = {s.name: s.to_json() for s in self.runtime.status()}
        now = self.now()
        started = time.perf_counter()
        try:
            run = compute(
                self.store, self.model, start=now - int(kpi_days * DAY_US), end=now, period="day"
            )
            sites = kpis(aggregate(run.elements, Grain.SITE, by_period=False))
            for row in sites.select("path", "oee").iter_rows(named=True):
                value = row["oee"]
                self.summary.oee[str(row["path"])] = (
                    None if value is None or math.isnan(value) else round(float(value), 4)
                )
        except AndonError as exc:
            self.summary.notes.append(f"KPIs failed: {exc}")
        self.summary.timings_s["kpi"] = time.perf_counter() - started
        if not self.summary.records:
            self.summary.records = {
                kind.value: self.store.count_rows(kind)
                for kind in (
                    RecordKind.SAMPLE,
                    RecordKind.STATE,
                    RecordKind.COUNT,
                    RecordKind.MAINTENANCE,
                    RecordKind.ENERGY,
                )
            }
        return self.summary

    def close(self) -> None:
        """Stop the run and close the store."""
        self.stop()
        self.store.close()
