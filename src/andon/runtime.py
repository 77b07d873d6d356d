"""The runtime: sources -> store -> apps -> decisions, on a schedule.

``andon demo``, ``andon serve`` and the edge agent are this one loop with different
settings. For the demo, the source is the simulator: it generates the history of the example
enterprise as fast as it can, the decision apps are fitted on it and propose, and then the
simulation streams on at a chosen multiple of real time while the apps propose again on a
schedule, decisions expire, outcomes are measured and fitted models are checked for drift
(:class:`andon.decisions.upkeep.Upkeep`). Approved maintenance decisions go
back into the simulated plant as preventive work, so the loop is closed: what a person
approves in the console changes what the plant does next.

The simulator runs in one background thread and calls back after every chunk of simulated
time; everything the runtime does on a schedule happens in that callback, so the store sees
one writer.
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
from andon.decisions import (
    DecisionFilter,
    DecisionService,
    PasswordPolicy,
    Principal,
    Role,
    Status,
    UserService,
    ensure_schema,
)
from andon.decisions.upkeep import Upkeep
from andon.errors import AndonError
from andon.kpi import Grain, StateRefresher, aggregate, compute, kpis
from andon.model import Model, load_model
from andon.proposals import DecisionApp
from andon.records import TS_TYPE, RecordKind
from andon.sim import (
    MaintenancePlan,
    PartOrder,
    PlantView,
    PreventiveOrder,
    Scenario,
    load_scenario,
    simulate,
)
from andon.store import Store, open_store

__all__ = ["DEMO_USERS", "Runtime", "RuntimeSettings", "Summary"]

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
RUNTIME = "runtime"

DEMO_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("admin", "admin", ("*",)),
    ("planner", "engineer", ("*",)),
    ("lyon", "operator", ("acme/lyon",)),
    ("viewer", "viewer", ("*",)),
)
"""The demo's users: name, role, sites; all share the demo password."""


class RuntimeSettings(BaseSettings):
    """What the runtime runs: which model and store, how much history, how fast, which apps."""

    model_config = SettingsConfigDict(env_prefix="ANDON_RUNTIME_", frozen=True, extra="forbid")

    model: Path = Path("examples/discrete")
    """The plant model (a YAML file or a folder of them)."""
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
    """Simulated hours between two rounds of proposals."""
    apps: tuple[str, ...] = ("maintenance",)
    """Decision apps to fit and run."""
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


@dataclass(slots=True)
class Summary:
    """What a run did, for the command's summary and for tests."""

    history_days: float = 0.0
    streamed_days: float = 0.0
    records: dict[str, int] = field(default_factory=dict)
    proposals: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    executed: int = 0
    outcomes: int = 0
    escalations: int = 0
    fitted: dict[str, str] = field(default_factory=dict)
    oee: dict[str, float | None] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Return the summary as a JSON object."""
        return {
            "history_days": self.history_days,
            "streamed_days": round(self.streamed_days, 3),
            "records": self.records,
            "proposals": self.proposals,
            "decisions": self.decisions,
            "executed": self.executed,
            "outcomes": self.outcomes,
            "escalations": self.escalations,
            "fitted": self.fitted,
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
    """The simulator's sink: straight into the store for the history; while streaming, each
    chunk is held and released slice by slice as the paced clock reaches it."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.pending: list[tuple[RecordKind, pa.Table, str]] = []

    def write(self, kind: RecordKind, table: pa.Table, *, batch_id: str) -> None:
        if self.runtime.streaming and self.runtime.settings.speed > 0:
            self.pending.append((kind, table, batch_id))
        else:
            self.runtime.store.write(kind, table, batch_id=batch_id)

    def write_truth(self, name: str, table: pa.Table) -> None:
        self.runtime.store.write_table(name, table)

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
                self.runtime.store.write(kind, part, batch_id=f"{batch_id}:{slice_no:04d}")

    def close(self) -> None:
        self.pending.clear()


class _ApprovedWork:
    """The simulated plant's maintenance policy: do what people approved.

    At each chunk it turns approved maintenance decisions into preventive work orders (at the
    window the decision named, when it named one) and marks them executed.
    """

    name = "approved-decisions"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def decide(self, view: PlantView) -> MaintenancePlan:
        return self.runtime.approved_orders(view)


class Runtime:
    """One run of the loop over a store, a model, decision apps and the simulator.

    >>> settings = RuntimeSettings(history_days=1, stream_days=0)
    >>> settings.store_location()
    'duckdb://andon-demo/andon.duckdb'
    """

    def __init__(
        self,
        *,
        settings: RuntimeSettings,
        store: Store | None = None,
        model: Model | None = None,
        on_history: Callable[[float, float], None] | None = None,
    ) -> None:
        self.settings = settings
        self.model = model or load_model(settings.model)
        if store is None:
            settings.workdir.mkdir(parents=True, exist_ok=True)
            store = open_store(settings.store_location())
        self.store = store
        ensure_schema(self.store)
        self.decisions = DecisionService(store=self.store, clock=self.now)
        # Sessions and users live on the wall clock: a demo streaming at 60 times real time
        # must not end a session eight times faster.
        self.users = UserService(store=self.store)
        self.summary = Summary(history_days=settings.history_days)
        self.apps: dict[str, DecisionApp] = {}
        for name in settings.apps:
            if name in app_names():
                self.apps[name] = get_app(name)
            else:
                self.summary.notes.append(f"decision app {name!r} is not installed; skipped")
        self.upkeep = Upkeep(
            store=self.store,
            model=self.model,
            decisions=self.decisions,
            apps=self.apps,
            drift_every_s=settings.drift_every_h * 3600.0,
            drift_window_s=settings.drift_window_days * 86_400.0,
        )
        self._on_history = on_history
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        wall = int(time.time() * 1_000_000)
        self.start_us = (
            _quarter_hour_floor(wall) - int(settings.history_days * DAY_US)
            if settings.end_at_now
            else 0
        )
        self._now_us = self.start_us
        self._last_round = self.start_us
        self.kpi_state = StateRefresher()
        self._wall0 = 0.0
        self._sim0 = 0.0
        self._lock = threading.RLock()
        self.streaming = False
        self._sink = _PacedSink(self)
        self._released_us = 0

    # time ------------------------------------------------------------------------------

    def now(self) -> int:
        """Return the simulated now (UTC micros): the end of the last chunk written."""
        return self._now_us

    # users -----------------------------------------------------------------------------

    def ensure_demo_users(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """Create the demo users unless users exist; return the demo users."""
        if self.users.count() == 0:
            self.users.passwords = PasswordPolicy(memory_kib=self.settings.password_memory_kib)
            for name, role, sites in DEMO_USERS:
                self.users.add(
                    name,
                    role=role,
                    sites=list(sites),
                    password=self.settings.demo_password,
                    actor=RUNTIME,
                )
        return list(DEMO_USERS)

    # the loop --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the simulation thread: history first, then the stream."""
        if self._thread is not None:
            msg = "the runtime is already running"
            raise AndonError(msg)
        self._thread = threading.Thread(target=self._run, name="andon-runtime", daemon=True)
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
            )
            self.summary.records = dict(result.records)
        except _StopError:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            self._error = exc
        finally:
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
                self._wall0, self._sim0 = time.monotonic(), t_s
            return
        end_us = self.start_us + round(t_s * 1_000_000)
        if self.settings.speed <= 0:
            self._advance(end_us)
            return
        step = int(self.settings.slice_min * 60 * 1_000_000)
        slice_no = 0
        while self._released_us < end_us:
            upto = min(self._released_us + step, end_us)
            self._pace(self._sim0 + (upto - self._sim_start_us()) / 1e6)
            first, last = slice_no == 0, upto >= end_us
            self._sink.release(
                None if first else self._released_us, None if last else upto, slice_no
            )
            self._released_us = upto
            slice_no += 1
            self._advance(upto)
        self._sink.pending.clear()

    def _sim_start_us(self) -> int:
        return self.start_us + round(self._sim0 * 1_000_000)

    def _set_now(self, now: int) -> None:
        with self._lock:
            self._now_us = now

    def _advance(self, now: int) -> None:
        """Move the clock to ``now`` and run a round of proposals when one is due."""
        self._set_now(now)
        self.summary.streamed_days = (now - self.start_us) / DAY_US - self.settings.history_days
        if now - self._last_round >= int(self.settings.propose_every_h * HOUR_US):
            self.round()
        self.refresh_kpi_state(now)

    def _pace(self, sim_s: float) -> None:
        """Sleep until the wall clock reaches simulated second ``sim_s`` at the set speed."""
        target = self._wall0 + (sim_s - self._sim0) / self.settings.speed
        while not self._stop.is_set():
            left = target - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.2))
        raise _StopError

    _t_history = 0.0

    def run_history(self) -> None:
        """Start the run and block until the history is there (fitted and proposed)."""
        self._t_history = time.perf_counter()
        self.start()
        self.wait_ready()

    def after_history(self) -> None:
        """Fit every app on the history, then run the first round of proposals."""
        now = self.now()
        started = time.perf_counter()
        for name, app in self.apps.items():
            try:
                report = app.fit(self.store, self.model, until=now)
                self.summary.fitted[name] = report.version
            except AndonError as exc:
                self.summary.notes.append(f"{name}: fitting failed: {exc}")
        self.summary.timings_s["fit"] = time.perf_counter() - started
        self.round()
        self.refresh_kpi_state(now)

    def refresh_kpi_state(self, now: int) -> None:
        """Keep the stored day KPIs current (late records included) when a refresh is due."""
        if not self.kpi_state.due(now=now):
            return
        try:
            self.kpi_state.run(self.store, self.model, now=now, since=self.start_us)
        except AndonError as exc:
            self.summary.notes.append(f"KPI state refresh failed at {now}: {exc}")

    def round(self) -> None:
        """Expire what is due, measure outcomes, check drift (the upkeep), and collect new
        proposals from every app."""
        now = self.now()
        started = time.perf_counter()
        self._last_round = now
        upkeep = self.upkeep.run(now=now)
        self.summary.outcomes += upkeep.outcomes
        self.summary.escalations += len(upkeep.escalations)
        self.summary.notes.extend(upkeep.errors)
        for name, app in self.apps.items():
            try:
                proposals = app.propose(self.store, self.model, now=now)
            except AndonError as exc:
                self.summary.notes.append(f"{name}: proposing failed at {now}: {exc}")
                continue
            if proposals:
                self.decisions.propose(proposals, now=now, actor=RUNTIME)
                self.summary.proposals += len(proposals)
        self.summary.timings_s["last_round"] = time.perf_counter() - started

    def _system(self) -> Principal:
        return Principal(username=RUNTIME, role=Role.ADMIN, sites=("*",))

    def approved_orders(self, view: PlantView) -> MaintenancePlan:
        """Turn approved maintenance decisions into work and part orders; mark them executed.

        An intervention is done at the slot the decision named: ``now``, ``day+N`` days on,
        or the site's next maintenance window; a part order orders the failure mode's parts
        (expedited when the decision says so).
        """
        if not self._ready.is_set():
            return MaintenancePlan()
        approved = self.decisions.list(
            DecisionFilter(statuses=(Status.APPROVED,), app="maintenance", shadow=False),
            limit=500,
        )
        now = view.now_us
        work: list[PreventiveOrder] = []
        parts: list[PartOrder] = []
        for record in approved:
            info = self.model.equipment.get(record.subject)
            if info is None:
                continue
            mode_id = str(record.evidence.get("failure_mode") or "")
            modes = {m.id: m for m in info.equipment_class.failure_modes}
            # The maintenance app's kind names the failure mode; its action is in the evidence.
            kind = str(
                record.evidence.get("action_kind")
                or record.kind
                or ("intervene" if _intervenes(record.action) else "watch")
            )
            if kind in {"intervene", "expedite", "move_production"}:
                work.append(
                    PreventiveOrder(
                        equipment=record.subject,
                        failure_modes=(mode_id,) if mode_id in modes else (),
                        start_us=_slot_start(
                            str(record.evidence.get("slot") or "now"),
                            now=now,
                            windows=view.windows.get(info.site_path, ()),
                        ),
                    )
                )
            if kind in {"order_part", "expedite"} and mode_id in modes:
                parts.extend(
                    PartOrder(
                        part=part,
                        site=info.site_path,
                        quantity=quantity,
                        expedite=kind == "expedite",
                    )
                    for part, quantity in modes[mode_id].parts.items()
                )
            try:
                self.decisions.execute(record.id, who=self._system(), now=now)
                self.summary.executed += 1
            except AndonError as exc:
                self.summary.notes.append(f"executing {record.id} failed: {exc}")
        return MaintenancePlan(preventive=tuple(work), part_orders=tuple(parts))

    # summary ---------------------------------------------------------------------------

    def finish_summary(self, *, kpi_days: float = 7.0) -> Summary:
        """Fill in decision counts and each site's OEE over the last ``kpi_days``."""
        counts: dict[str, int] = {}
        for status in Status:
            records = self.decisions.list(DecisionFilter(statuses=(status,)), limit=100_000)
            if records:
                counts[status.value] = len(records)
        self.summary.decisions = counts
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
                kind: self.store.count_rows(kind)  # type: ignore[arg-type]
                for kind in ("sample", "state", "count", "maintenance", "energy")
            }
        return self.summary

    def close(self) -> None:
        """Stop the run and close the store."""
        self.stop()
        self.store.close()


def _slot_start(slot: str, *, now: int, windows: tuple[tuple[int, int], ...]) -> int | None:
    """Return when work in a named slot starts: ``None`` for now, else a time."""
    if slot == "now":
        return None
    if slot.startswith("day+") and slot.removeprefix("day+").isdigit():
        return now + int(slot.removeprefix("day+")) * DAY_US
    upcoming = [start for start, _ in windows if start >= now]
    return min(upcoming) if upcoming else None


def _intervenes(action: str) -> bool:
    text = action.lower()
    return any(word in text for word in ("intervene", "replace", "service", "repair", "maintain"))
