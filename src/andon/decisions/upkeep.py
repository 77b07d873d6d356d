"""The decision layer's periodic work: expire, measure outcomes, check fitted models for drift.

One :meth:`Upkeep.run` does a round at a given time: undecided decisions past their expiry
expire; each executed decision without an outcome (and each shadow decision once decided or
expired) is measured by its app's ``outcome()`` from the records that came after it; and
every fitted model is checked for drift (:class:`~andon.decisions.drift.DriftMonitor`),
which raises an escalation decision for an engineer when its inputs or outcomes moved.

The models to watch are found in the decisions themselves: the newest model version of each
app at each site, first used at the time of its first decision. Its inputs are the plant's
condition signals at that site (samples, pooled by tag name): the window before the model
was first used is the reference, the last window is the current state. Its outcomes are the
successes of its decisions measured in the last window against those measured before.

The runtime calls :meth:`Upkeep.run` on its schedule (the demo on simulated time);
:class:`PeriodicUpkeep` calls it on the wall clock in a thread of its own (``andon serve``).
Nothing here imports an app: apps come in as values of the
:class:`~andon.proposals.DecisionApp` protocol.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from andon.decisions._json import now_us
from andon.decisions.drift import DRIFT_APP, DriftInputs, DriftMonitor, DriftReport
from andon.decisions.record import DecisionRecord
from andon.decisions.service import DecisionService
from andon.errors import AndonError
from andon.model import Model
from andon.proposals import DecisionApp
from andon.store.base import Store
from andon.store.decisions import DecisionTable

__all__ = ["DriftSource", "PeriodicUpkeep", "Upkeep", "UpkeepReport", "sample_drift_inputs"]

DAY_US = 86_400_000_000
_MIN_VALUES = 50  # fewer values of a feature on either side say nothing about its drift
_MAX_VALUES = 20_000  # values per feature and side; more are thinned evenly


@dataclass(slots=True)
class UpkeepReport:
    """What one round did: decisions expired, outcomes measured, drift checks and problems."""

    expired: int = 0
    outcomes: int = 0
    drift: list[DriftReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def escalations(self) -> list[DecisionRecord]:
        """The escalation decisions drift raised in this round."""
        return [r.escalation for r in self.drift if r.escalation is not None]


def _thin(values: np.ndarray) -> np.ndarray:
    if values.size <= _MAX_VALUES:
        return values
    step = values.size / _MAX_VALUES
    picked: np.ndarray = values[(np.arange(_MAX_VALUES) * step).astype(np.int64)]
    return picked


def _features(table: pa.Table) -> dict[str, np.ndarray]:
    """Return sample values by tag name (the last element of the tag path)."""
    if table.num_rows == 0:
        return {}
    tags = pc.struct_field(
        pc.extract_regex(table.column("path"), r"(?P<tag>[^/]+)$"), "tag"
    ).dictionary_encode()
    codes = tags.indices.to_numpy(zero_copy_only=False) if isinstance(tags, pa.Array) else None
    if codes is None:  # a chunked column
        combined = tags.combine_chunks()
        codes, names = combined.indices.to_numpy(zero_copy_only=False), combined.dictionary
    else:
        names = tags.dictionary
    values = table.column("value").to_numpy().astype(float)
    out: dict[str, np.ndarray] = {}
    for code, tag in enumerate(names.to_pylist()):
        picked = values[codes == code]
        picked = picked[np.isfinite(picked)]
        if picked.size >= _MIN_VALUES:
            out[str(tag)] = _thin(picked)
    return out


def sample_drift_inputs(
    store: Store,
    *,
    app: str,
    scope: str,
    first_used_at: int,
    now: int,
    window_us: int = 7 * DAY_US,
) -> DriftInputs:
    """Return the drift inputs of an app's model at a site (see the module's description).

    Reference inputs are the site's samples in the window before ``first_used_at``; current
    inputs those of the last window before ``now``. Baseline outcomes are the successes of
    the app's decisions at the site measured before the last window, recent ones those
    measured within it.
    """
    reference = _features(
        store.samples(path_prefix=scope, start=first_used_at - window_us, end=first_used_at)
    )
    current = _features(store.samples(path_prefix=scope, start=now - window_us, end=now))
    rows = DecisionTable(store=store).measured_outcomes(app=app, site=scope, until=now)
    cut = now - window_us
    baseline = [bool(r["outcome_success"]) for r in rows if r["outcome_at"] < cut]
    recent = [bool(r["outcome_success"]) for r in rows if r["outcome_at"] >= cut]
    return reference, current, baseline, recent


DriftSource = Callable[[str, str, int, int], DriftInputs]
"""``(app, scope, first_used_at, now) -> DriftInputs``: what a drift check of a model reads."""


class Upkeep:
    """Expire, measure outcomes and check drift, one round at a time.

    >>> from andon.store import open_store
    >>> from andon.decisions import ensure_schema
    >>> from andon.model import load_model
    >>> store = open_store("duckdb://:memory:"); ensure_schema(store)
    >>> upkeep = Upkeep(store=store, model=load_model("examples/discrete"),
    ...     decisions=DecisionService(store=store), apps={})
    >>> upkeep.run(now=0).expired
    0
    """

    def __init__(
        self,
        *,
        store: Store,
        model: Model,
        decisions: DecisionService,
        apps: Mapping[str, DecisionApp],
        drift_every_s: float = 86_400.0,
        drift_window_s: float = 7 * 86_400.0,
        drift_source: DriftSource | None = None,
        batch: int = 500,
    ) -> None:
        self._store = store
        self._model = model
        self._decisions = decisions
        self._apps = dict(apps)
        self._window_us = int(drift_window_s * 1_000_000)
        self._monitor = DriftMonitor(decisions=decisions, interval_s=drift_every_s)
        self._source = drift_source or self._samples
        self._batch = batch
        self._lock = threading.Lock()  # one round at a time

    def _samples(self, app: str, scope: str, first_used_at: int, now: int) -> DriftInputs:
        return sample_drift_inputs(
            self._store,
            app=app,
            scope=scope,
            first_used_at=first_used_at,
            now=now,
            window_us=self._window_us,
        )

    def run(self, *, now: int) -> UpkeepReport:
        """Do one round at ``now`` (UTC micros) and say what it did."""
        report = UpkeepReport()
        with self._lock:
            try:
                report.expired = self._decisions.expire_due(now=now)
            except AndonError as exc:
                report.errors.append(f"expiring decisions failed: {exc}")
            self._measure(now, report)
            self._watch(now, report)
        return report

    def _measure(self, now: int, report: UpkeepReport) -> None:
        if not self._apps:
            return
        waiting = self._decisions.repository.awaiting_outcome(
            apps=tuple(self._apps), limit=self._batch
        )
        for record in waiting:
            app = self._apps[record.app]
            since = record.decided_at or record.created_at
            try:
                outcome = app.outcome(
                    self._store,
                    self._model,
                    action=record.action,
                    decided_at=since,
                    now=now,
                )
                if outcome is not None:
                    self._decisions.record_outcome(record.id, outcome=outcome, now=now)
                    report.outcomes += 1
            except AndonError as exc:
                report.errors.append(f"outcome of decision {record.id} failed: {exc}")

    def _watch(self, now: int, report: UpkeepReport) -> None:
        apps = tuple(a for a in self._apps if a != DRIFT_APP)
        for app, version, scope, first_used_at in self._decisions.repository.fitted_models(
            apps=apps
        ):
            self._monitor.register(
                app=app,
                model_version=version,
                scope=scope,
                source=self._bound(app, scope, first_used_at, now),
            )
        try:
            report.drift.extend(self._monitor.run_due(now=now))
        except AndonError as exc:
            report.errors.append(f"drift check failed: {exc}")

    def _bound(
        self, app: str, scope: str, first_used_at: int, now: int
    ) -> Callable[[], DriftInputs]:
        def source() -> DriftInputs:
            return self._source(app, scope, first_used_at, now)

        return source


class PeriodicUpkeep:
    """Run an :class:`Upkeep` round every ``every_s`` seconds of the wall clock in a thread.

    The first round runs at once. ``clock`` gives the time a round runs at (UTC micros);
    ``on_round`` hears each report (a test waits on it instead of sleeping).
    """

    def __init__(
        self,
        *,
        upkeep: Upkeep,
        every_s: float,
        clock: Callable[[], int] = now_us,
        on_round: Callable[[UpkeepReport], None] | None = None,
    ) -> None:
        self._upkeep = upkeep
        self._every_s = every_s
        self._clock = clock
        self._on_round = on_round
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (a second call does nothing)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="andon-upkeep", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            report = self._upkeep.run(now=self._clock())
            if self._on_round is not None:
                self._on_round(report)
            self._stop.wait(self._every_s)

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop after the round in progress, and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
