"""The maintenance decision app: fit failure risk on history, propose the cheapest plan now.

``fit`` learns one :class:`~andon.apps.maintenance.risk.RiskModel` per equipment class and
failure mode from the store's condition samples, states and work orders, and stores each
fitted model as a versioned row of the store's auxiliary table ``maintenance_risk_models``
(beside the data it came from, so that it travels with the store, works alike on DuckDB and
PostgreSQL, and a proposal can name the exact model version behind it). A class with too
little history gets a row too, with the reason, so that ``propose`` can say why it falls
back on the reliability prior.

``propose`` assesses every asset and failure mode at ``now``, prices its options with the
routing's criticality, the parts on hand and the crews and windows of its site, solves the
plan (:func:`~andon.apps.maintenance.plan.solve_plan`) and returns one
:class:`~andon.proposals.Proposal` per asset at risk or in doubt.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl
import pyarrow as pa

from andon.apps.maintenance.actions import WORK_KINDS
from andon.apps.maintenance.advice import (
    ASSET_KEY,
    RoundContext,
    TrackRecord,
    asset_proposal,
    recovery_proposal,
)
from andon.apps.maintenance.assess import (
    Assessment,
    blend,
    observed_rate_floor,
    weibull_prior,
)
from andon.apps.maintenance.criticality import PlanningCalendar, criticality_of, site_calendar
from andon.apps.maintenance.history import (
    HOUR_US,
    ConditionSteps,
    History,
    class_grid,
    condition_grid,
    condition_steps,
    load_history,
    load_maintenance,
    running_fraction,
)
from andon.apps.maintenance.inbox import (
    DownAsset,
    WatchItem,
    down_assets,
    write_watch_items,
)
from andon.apps.maintenance.plan import (
    AssetRisk,
    PlannedAsset,
    PlanOption,
    PlanResult,
    options_for,
    solve_plan,
)
from andon.apps.maintenance.pooled import (
    SIGNAL_SLOTS,
    normalise_samples,
    pooled_rows,
    pooled_spec,
    tag_scales,
)
from andon.apps.maintenance.recovery import expedite_for_failures
from andon.apps.maintenance.risk import RiskModel
from andon.errors import AndonError, InsufficientHistoryError, StoreError
from andon.model import Model
from andon.model.schema import FailureMode
from andon.proposals import Action, FitReport, Outcome, Proposal
from andon.records import MaintenanceEvent, MaintenanceKind, RecordKind
from andon.store.base import Store
from andon.store.decisions import DecisionTable
from andon.time import from_datetime

__all__ = [
    "ARTIFACT_TABLE",
    "RATE_TABLE",
    "MaintenanceApp",
    "MaintenanceSettings",
    "on_order_of",
    "proposal_kind",
]

ARTIFACT_TABLE = "maintenance_risk_models"
"""Auxiliary store table of fitted risk models, one row per fit."""

RATE_TABLE = "maintenance_failure_rates"
"""Auxiliary store table: per fit, each asset and mode's failures and operating hours seen."""

POOLED = ("*", "*")
"""Class and mode columns of the pooled model's artifact row: it speaks for all of them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceSettings:
    """How the app looks at history and how far ahead it plans."""

    horizon_h: float = 168.0
    """Planning horizon and the risk model's failure horizon, hours."""
    curve_horizons_h: tuple[float, ...] = (24.0, 48.0, 96.0, 168.0)
    """Horizons at which the risk model learns P(failure within t), for the failure curve."""
    row_stride: int = 3
    """Fit on every n-th hourly row of each life (neighbouring hours say nearly the same)."""
    max_training_rows: int = 1_000_000
    """At most this many rows are trained on (before the failure curve's horizons stack
    them): a longer history or a larger fleet raises the stride instead, so that memory
    stays bounded (a year of 210 machines gives some 13 M hourly rows)."""
    running_samples_only: bool = True
    """Average condition tags over samples taken while the equipment runs (see history)."""
    evidence_failures: float = 1.0
    """A mode's own failures in the history at which the pooled model and the mode's prior
    weigh the same (``n / (n + this)`` on the model); a mode never seen failing leans on its
    prior, since what the fleet taught the model may not carry over to it."""
    min_failures: int = 5
    """Observed failures (lives ending in one) the pooled model needs before it speaks."""
    life_value_factor: float = 1.0
    """Weight on the value of the life an early renewal gives up (1: the renewal cost rate)."""
    step_h: float = 1.0
    """Resolution of the condition grid, hours."""
    windows: tuple[int, ...] = (6, 24, 72)
    """Rolling windows of the condition features, in steps."""
    fit_lookback_h: float = 24.0 * 365
    """History used by ``fit``, hours before ``until``."""
    propose_lookback_h: float = 24.0 * 7
    """History read by ``propose`` to compute features, hours before ``now``."""
    rounds: int = 150
    """Boosting rounds of each risk model."""
    rul_cap_h: float = 24.0 * 28
    """Piecewise-linear cap of the RUL target, hours."""
    stale_after_h: float = 24.0
    """A tag silent longer than this no longer speaks for the asset's condition."""
    watch_threshold: float = 0.05
    """P(failure in horizon) from which a mode left to run goes on the watch list."""
    urgent_risk: float = 0.3
    """P(failure before the site's next maintenance window) from which a proposal asks a
    person whatever its value (it is urgent)."""
    rate_prior_failures: float = 0.1
    """Weight, in failures, of the model's MTBF beside a mode's observed failures and
    operating hours when the failure rate of a mode no tag shows is estimated."""
    plausible_lives: float = 3.0
    """An age counted from the model's installation date is believed up to this many MTBFs
    of the mode (older: restorations are missing, the age is unknown)."""
    trend_window_h: float = 72.0
    """Window over which the explanation says what each condition tag did, hours."""
    solver_time_limit_s: float = 8.0
    """Time limit of the plan solver, seconds."""
    seed: int = 0
    """Seed of model fitting (results are deterministic for a seed)."""
    share_redundancy: bool = False
    """Divide an equipment's downtime cost among the parallel machines of its cell."""
    count_buffer: bool = False
    """Let the buffer before the cell absorb the first hours of a stop."""


@dataclass(frozen=True, slots=True)
class _Fitted:
    equipment_class: str
    failure_mode: str
    status: str
    reason: str
    model: RiskModel | None
    version: str


@dataclass(slots=True)
class MaintenanceApp:
    """Maintenance-aware production and spare-parts decisions (see the module docstring)."""

    settings: MaintenanceSettings = field(default_factory=MaintenanceSettings)
    name: str = "maintenance"
    _models: dict[tuple[str, str], _Fitted] = field(default_factory=dict, repr=False)

    def with_settings(self, settings: MaintenanceSettings) -> MaintenanceApp:
        """Return an app with other settings that keeps this app's fitted models.

        For settings that do not change what the models learnt (the plan's weights).
        """
        return MaintenanceApp(settings=settings, name=self.name, _models=dict(self._models))

    # ------------------------------------------------------------------ fit

    def fit_pooled(self, rows: pl.DataFrame | Iterable[pl.DataFrame]) -> RiskModel:
        """Fit the pooled risk model on training rows (one frame, or chunks in life order)
        with this app's settings: the one place where those settings meet the model."""
        s = self.settings
        return RiskModel.fit(
            rows,
            pooled_spec(s.windows),
            rul_column="rul_h",
            observed_column="observed",
            cap=s.rul_cap_h,
            horizon=s.horizon_h,
            horizons=s.curve_horizons_h,
            row_stride=s.row_stride,
            max_rows=s.max_training_rows,
            min_failures=s.min_failures,
            rounds=s.rounds,
            learning_rate=0.08,
            seed=s.seed,
        )

    def fit(self, store: Store, model: Model, *, until: int) -> FitReport:
        """Fit the pooled risk model of every class and failure mode on history before ``until``.

        One model learns from the failures of every mode (see :mod:`.pooled`); a mode with
        no failure of its own is judged from the others through its tags and descriptors.
        Raises :class:`~andon.errors.InsufficientHistoryError` when the history cannot carry
        a model (its reason is stored too: ``propose`` then falls back on the prior).
        """
        s = self.settings
        start = int(until - s.fit_lookback_h * HOUR_US)
        maintenance = load_maintenance(store, model, end=until)
        # The store sums the condition samples per tag and hour; what is left is streamed one
        # class grid and one failure mode at a time (see ``_pooled_chunks``).
        steps = condition_steps(
            store,
            model,
            start=start,
            end=until,
            step_us=int(s.step_h * HOUR_US),
            running_only=s.running_samples_only,
            scales=tag_scales(model),
        )
        grids = _ClassGrids(steps, model)
        _write_rates(
            store, model, grids.running_hours(s.step_h), maintenance, start=start, until=until
        )
        tally = _Tally()
        chunks = self._pooled_chunks(
            model, grids, maintenance, until, origins=self._origins(model, maintenance, until)
        )
        failures_by_mode = tally.failures
        try:
            risk = self.fit_pooled(tally.count(chunks))
            # Each mode's own failures, so that ``propose`` can weigh the pooled model
            # against the mode's prior by the evidence behind it.
            risk = replace(
                risk,
                metrics={
                    **risk.metrics,
                    **{f"failures.{mode}": float(n) for mode, n in failures_by_mode.items()},
                },
            )
            fitted = _Fitted(*POOLED, "ok", "fitted on every class and mode", risk, risk.version)
        except AndonError as exc:
            fitted = _Fitted(*POOLED, "insufficient", str(exc), None, f"none-{until}")
        rows = [fitted]
        self._write_artifacts(store, rows, until)
        self._models[POOLED] = fitted
        metrics: dict[str, float] = {
            "models_fitted": 1.0 if fitted.model is not None else 0.0,
            "models_insufficient": 0.0 if fitted.model is not None else 1.0,
            "failures_seen": float(sum(failures_by_mode.values())),
        }
        notes: list[str] = []
        if fitted.model is not None:
            metrics.update({k: float(v) for k, v in fitted.model.metrics.items()})
            quiet = sorted(
                f"{cls_id}/{mode.id}"
                for cls_id, cls in model.classes.items()
                for mode in cls.failure_modes
                if failures_by_mode.get(f"{cls_id}/{mode.id}", 0) == 0
            )
            if quiet:
                notes.append(
                    "no failure of its own in the history, judged from the other modes: "
                    + ", ".join(quiet)
                )
        else:
            # The reason is stored with the artifact row, so that ``propose`` falls back on
            # the reliability prior with low confidence and says why.
            raise InsufficientHistoryError(f"every class and mode: {fitted.reason}", app=self.name)
        return FitReport(
            app=self.name,
            version=fitted.version[:16],
            trained_until=until,
            metrics=metrics,
            notes=notes,
            rows=tally.rows,
        )

    def _grid(self, history: History, model: Model, *, start: int, end: int) -> pl.DataFrame:
        step_us = int(self.settings.step_h * HOUR_US)
        grid = condition_grid(
            normalise_samples(history.samples, model),
            start=start,
            end=end,
            step_us=step_us,
            equipment=list(model.equipment),
            states=history.states if self.settings.running_samples_only else None,
        )
        return running_fraction(history.states, grid)

    def _origins(
        self, model: Model, maintenance: pl.DataFrame, now: int
    ) -> dict[tuple[str, str], int]:
        """Return when each asset's mode began its life in progress, as far as the model
        says (``restored_on``) and no maintenance record tells (plausible dates only)."""
        recorded = _recorded(maintenance)
        out: dict[tuple[str, str], int] = {}
        for path, info in model.equipment.items():
            for mode in info.equipment_class.failure_modes:
                if (path, mode.id) in recorded or (path, None) in recorded:
                    continue
                origin = _model_origin(info.restored_on(mode.id))
                if origin is None or origin > now:
                    continue
                if (now - origin) / HOUR_US <= self.settings.plausible_lives * mode.mtbf_h:
                    out[(path, mode.id)] = origin
        return out

    @staticmethod
    def _pooled_frame(
        model: Model,
        grid: pl.DataFrame,
        history: History,
        until: int,
        *,
        origins: Mapping[tuple[str, str], int] | None = None,
    ) -> pl.DataFrame:
        frames: list[pl.DataFrame] = []
        known = origins or {}
        for cls_id, cls in model.classes.items():
            members = [
                p for p, info in model.equipment.items() if info.equipment_class.id == cls_id
            ]
            if not members:
                continue
            class_grid = grid.filter(pl.col("equipment").is_in(members))
            frames.extend(
                pooled_rows(
                    class_grid,
                    history.maintenance,
                    cls_id,
                    mode,
                    until=until,
                    origins={p: t for (p, m), t in known.items() if m == mode.id},
                )
                for mode in cls.failure_modes
            )
        frames = [f for f in frames if not f.is_empty()]
        if not frames:
            return pl.DataFrame()
        return pl.concat(frames, how="vertical_relaxed")

    @staticmethod
    def _pooled_chunks(
        model: Model,
        grids: _ClassGrids,
        maintenance: pl.DataFrame,
        until: int,
        *,
        origins: Mapping[tuple[str, str], int],
    ) -> Iterator[pl.DataFrame]:
        """Yield the pooled rows of :meth:`_pooled_frame`, one failure mode id at a time.

        In the order of the rows' ``life`` (``mode|equipment@restoration``), so that each
        chunk holds whole lives and whole regimes (one per class and mode), as
        :meth:`RiskModel.fit <andon.apps.maintenance.risk.RiskModel.fit>` takes chunks.
        """
        by_mode: dict[str, list[tuple[str, FailureMode]]] = {}
        for cls_id, cls in model.classes.items():
            if not grids.members(cls_id):
                continue
            for mode in cls.failure_modes:
                by_mode.setdefault(mode.id, []).append((cls_id, mode))
        for mode_id in sorted(by_mode, key=lambda m: f"{m}|"):
            frames = [
                pooled_rows(
                    grids.grid(cls_id),
                    maintenance,
                    cls_id,
                    mode,
                    until=until,
                    origins={p: t for (p, m), t in origins.items() if m == mode.id},
                )
                for cls_id, mode in by_mode[mode_id]
            ]
            frames = [f for f in frames if not f.is_empty()]
            if frames:
                yield pl.concat(frames, how="vertical_relaxed")

    @staticmethod
    def _write_artifacts(store: Store, rows: list[_Fitted], until: int) -> None:
        if not rows:
            return
        table = pa.table(
            {
                "equipment_class": [f.equipment_class for f in rows],
                "failure_mode": [f.failure_mode for f in rows],
                "trained_until": pa.array([until] * len(rows), pa.int64()),
                "status": [f.status for f in rows],
                "reason": [f.reason for f in rows],
                "version": [f.version for f in rows],
                "metrics": [json.dumps(dict(f.model.metrics)) if f.model else "{}" for f in rows],
                "artifact": [f.model.to_json() if f.model else "" for f in rows],
            }
        )
        store.write_table(ARTIFACT_TABLE, table)

    def _load_models(self, store: Store, now: int) -> dict[tuple[str, str], _Fitted]:
        """Return the newest fit of each class and mode trained before ``now``."""
        try:
            table = store.read_table(ARTIFACT_TABLE)
        except StoreError:
            return dict(self._models)
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        latest = (
            frame.filter(pl.col("trained_until") <= now)
            .with_row_index("__row")
            .sort(["trained_until", "__row"])
            .group_by(["equipment_class", "failure_mode"])
            .last()
        )
        out: dict[tuple[str, str], _Fitted] = {}
        for row in latest.iter_rows(named=True):
            key = (row["equipment_class"], row["failure_mode"])
            cached = self._models.get(key)
            if cached is not None and cached.version == row["version"]:
                out[key] = cached
                continue
            risk = RiskModel.from_json(row["artifact"]) if row["status"] == "ok" else None
            out[key] = _Fitted(key[0], key[1], row["status"], row["reason"], risk, row["version"])
        self._models.update(out)
        return out

    # -------------------------------------------------------------- propose

    def assess(
        self, store: Store, model: Model, *, now: int
    ) -> tuple[list[AssetRisk], dict[tuple[str, str], int], History]:
        """Return the risk of every asset and failure mode at ``now``, and the stock on hand."""
        s = self.settings
        fitted = self._load_models(store, now)
        pooled = fitted.get(POOLED)
        start = int(now - s.propose_lookback_h * HOUR_US)
        history = load_history(store, model, start=start, end=now)
        grid = self._grid(history, model, start=start, end=now)
        stock = _stock(model, history.inventory)
        origins = self._origins(model, history.maintenance, now)
        rates = _load_rates(store, now)
        frame = self._pooled_frame(model, grid, history, now, origins=origins)
        predictions: dict[tuple[str, str], Assessment] = {}
        last_rows: dict[tuple[str, str], dict[str, object]] = {}
        if not frame.is_empty():
            last = (
                frame.sort(["equipment", "failure_mode", "t"])
                .group_by(["equipment", "failure_mode"], maintain_order=True)
                .last()
            )
            for row in last.iter_rows(named=True):
                last_rows[(row["equipment"], row["failure_mode"])] = row
            risk_model = pooled.model if pooled is not None else None
            if risk_model is not None:
                predictions = _predict(risk_model, frame, s.horizon_h)
        calendars: dict[str, PlanningCalendar] = {}
        risks: list[AssetRisk] = []
        for cls_id, cls in model.classes.items():
            members = [
                p for p, info in model.equipment.items() if info.equipment_class.id == cls_id
            ]
            if not members:
                continue
            for mode in cls.failure_modes:
                risks.extend(
                    self._assess_mode(
                        model,
                        mode,
                        members,
                        history,
                        pooled,
                        now,
                        predictions=predictions,
                        last_rows=last_rows,
                        calendars=calendars,
                        origins=origins,
                        rates=rates,
                    )
                )
        return risks, stock, history

    def _assess_mode(  # noqa: PLR0917  (private, called once)
        self,
        model: Model,
        mode: FailureMode,
        members: list[str],
        history: History,
        fitted: _Fitted | None,
        now: int,
        *,
        predictions: Mapping[tuple[str, str], Assessment],
        last_rows: Mapping[tuple[str, str], Mapping[str, object]],
        calendars: dict[str, PlanningCalendar],
        origins: Mapping[tuple[str, str], int],
        rates: Mapping[tuple[str, str], tuple[float, float]],
    ) -> list[AssetRisk]:
        s = self.settings
        has_history = (
            set(
                history.maintenance.filter(
                    pl.col("failure_mode").is_null() | (pl.col("failure_mode") == mode.id)
                )["path"].to_list()
            )
            if not history.maintenance.is_empty()
            else set()
        )
        out: list[AssetRisk] = []
        # A mode no condition tag shows is taken to fail at random (constant hazard).
        shape = 2.0 if mode.signals else 1.0
        for path in members:
            info = model.equipment[path]
            row = last_rows.get((path, mode.id))
            quality: list[str] = []
            origin = origins.get((path, mode.id))
            age_known = path in has_history or origin is not None
            age_value = row.get("age_h") if row is not None else None
            age_h = float(age_value) if isinstance(age_value, (int, float)) else 0.0
            if origin is not None and not isinstance(age_value, (int, float)):
                age_h = (now - origin) / HOUR_US
            if not age_known and mode.signals:
                # A mode no tag shows fails at random: its age says nothing of its risk.
                quality.append(_age_unknown(info.restored_on(mode.id), mode, s.plausible_lives))
            last_sample = row.get("__last_sample") if row is not None else None
            silent_h = (now - last_sample) / HOUR_US if isinstance(last_sample, int) else math.inf
            signals_expected = bool(mode.signals)
            if signals_expected and last_sample is None:
                quality.append(f"no condition data for {', '.join(mode.signals)}")
            elif signals_expected and silent_h > s.stale_after_h:
                quality.append(f"condition tags silent for {silent_h / 24:.1f} days")
            if fitted is None:
                quality.append("no risk model fitted yet")
            elif fitted.model is None:
                quality.append(f"risk model not fitted: {fitted.reason}")
            # The MTBF counts operating hours: the prior looks as far as the hours planned.
            calendar = _calendar(calendars, model, info.site_path, now, s.horizon_h)
            points = tuple(
                (h, max(calendar.planned_hours(0.0, h), 1e-6)) for h in s.curve_horizons_h
            )
            operating = max(calendar.planned_hours(0.0, s.horizon_h), 1.0)
            prior = weibull_prior(
                mtbf_h=mode.mtbf_h,
                age_h=age_h,
                horizon_h=operating,
                age_known=age_known,
                quality=tuple(quality),
                shape=shape,
                curve_h=points,
            )
            renewed = weibull_prior(
                mtbf_h=mode.mtbf_h,
                age_h=0.0,
                horizon_h=operating,
                age_known=True,
                quality=(),
                shape=shape,
            )
            model_view = predictions.get((path, mode.id))
            if model_view is None:
                assessment = prior
            else:
                fresh = (
                    1.0
                    if not signals_expected
                    else math.exp(-max(silent_h - s.stale_after_h, 0.0) / (2.0 * s.stale_after_h))
                )
                if not math.isfinite(silent_h):
                    fresh = 0.0 if signals_expected else 1.0
                model_view = Assessment(
                    model_view.p_fail,
                    model_view.p_low,
                    model_view.p_high,
                    model_view.rul_h,
                    model_view.rul_low_h,
                    model_view.rul_high_h,
                    model_view.confidence * (1.0 if age_known else 0.8),
                    model_view.source,
                    tuple(quality),
                    model_view.curve,
                )
                seen = _failures_seen(fitted, f"{info.equipment_class.id}/{mode.id}")
                evidence = seen / (seen + s.evidence_failures) if s.evidence_failures > 0 else 1.0
                assessment = blend(model_view, prior, fresh * evidence)
            if not mode.signals:
                observed = rates.get((path, mode.id))
                if observed is not None:
                    assessment = observed_rate_floor(
                        assessment,
                        failures=observed[0],
                        exposure_h=observed[1],
                        mtbf_h=mode.mtbf_h,
                        prior_failures=s.rate_prior_failures,
                        operating_h=operating,
                        curve_h=points,
                    )
            crit = criticality_of(
                model, info, share_redundancy=s.share_redundancy, count_buffer=s.count_buffer
            )
            site = model.site_of(path)
            crews = site.crews
            hourly = float(np.mean([c.hourly_cost for c in crews])) if crews else 0.0
            unknown_lead = tuple(
                pid
                for pid in mode.parts
                if pid in model.parts and model.parts[pid].lead_time_days == 0
            )
            notes = list(assessment.quality)
            if unknown_lead:
                notes.append(
                    f"no lead time for {', '.join(unknown_lead)}: "
                    "part availability cannot be judged"
                )
            out.append(
                AssetRisk(
                    subject=path,
                    site=info.site_path,
                    equipment_class=info.equipment_class.id,
                    mode=mode,
                    p_fail=assessment.p_fail,
                    p_low=min(assessment.p_low, assessment.p_fail),
                    p_high=max(assessment.p_high, assessment.p_fail),
                    horizon_h=s.horizon_h,
                    rul_h=assessment.rul_h,
                    rul_low_h=assessment.rul_low_h,
                    rul_high_h=assessment.rul_high_h,
                    confidence=assessment.confidence * (0.5 if unknown_lead else 1.0),
                    criticality=crit,
                    crew_hourly_cost=hourly,
                    part_wait_unknown=unknown_lead,
                    notes=tuple(notes),
                    p_new=renewed.p_fail,
                    curve=assessment.curve,
                )
            )
        return out

    def plan(self, store: Store, model: Model, *, now: int) -> PlanResult:
        """Assess every asset and solve the plan at ``now``."""
        risks, stock, _ = self.assess(store, model, now=now)
        return self.plan_risks(model, risks, stock, now=now)

    def plan_risks(
        self,
        model: Model,
        risks: list[AssetRisk],
        stock: Mapping[tuple[str, str], int],
        *,
        now: int,
        on_order: Mapping[tuple[str, str], int] | None = None,
    ) -> PlanResult:
        """Price every option of the assessed assets and solve the plan.

        ``stock`` and ``on_order`` map (site id, part) to parts on the shelf and ordered."""
        ordered = on_order or {}
        calendars: dict[str, PlanningCalendar] = {}
        crew_capacity: dict[tuple[str, str], float] = {}
        entries: list[tuple[AssetRisk, list[PlanOption], int]] = []
        for risk in risks:
            if risk.site not in calendars:
                for slot in _calendar(
                    calendars, model, risk.site, now, self.settings.horizon_h
                ).slots:
                    crew_capacity[(risk.site, slot.id)] = slot.crew_hours
            calendar = calendars[risk.site]
            site_id = risk.site.split("/")[1]
            on_hand = {pid: stock.get((site_id, pid), 0) for pid in risk.mode.parts}
            options, nothing = options_for(
                risk,
                calendar,
                model.parts,
                on_hand,
                life_value_factor=self.settings.life_value_factor,
                on_order={pid: ordered.get((site_id, pid), 0) for pid in risk.mode.parts},
            )
            entries.append((risk, options, nothing))
        site_stock = {(f"{model.root}/{site}", pid): qty for (site, pid), qty in stock.items()}
        return solve_plan(
            entries,
            crew_capacity=crew_capacity,
            stock=site_stock,
            time_limit_s=self.settings.solver_time_limit_s,
        )

    def propose(self, store: Store, model: Model, *, now: int) -> list[Proposal]:
        """Return one proposal per asset that has something to decide, best saving first.

        An asset that is down gets a recovery decision (expedite the parts its repair waits
        for), never a forecast; a mode whose work is already agreed (:func:`booked_work`) is
        not proposed again; every asset's other modes go onto the round's health cards and
        the watch list (:mod:`.inbox`). Proposals below the site's threshold are returned too,
        with ``asks`` false: recorded and scored, not shown.
        """
        risks, stock, history = self.assess(store, model, now=now)
        on_order = on_order_of(history.inventory)
        down = {d.subject: d for d in down_assets(history.states, history.maintenance, now=now)}
        booked = booked_work(store, self.name, now=now, horizon_h=self.settings.horizon_h)
        forecast = [
            r for r in risks if r.subject not in down and (r.subject, r.mode.id) not in booked
        ]
        result = self.plan_risks(model, forecast, stock, now=now, on_order=on_order)
        ctx = self._context(store, model, now, history, stock, on_order, result)
        proposals, items = self._advise(result, ctx)
        proposals.extend(self._recover(model, down, history, stock, ctx, risks, items))
        write_watch_items(store, items)
        proposals.sort(key=lambda p: -p.expected_value)
        return proposals

    def _context(  # noqa: PLR0917  (private, called once)
        self,
        store: Store,
        model: Model,
        now: int,
        history: History,
        stock: Mapping[tuple[str, str], int],
        on_order: Mapping[tuple[str, str], int],
        result: PlanResult,
    ) -> RoundContext:
        s = self.settings
        calendars = {
            site: site_calendar(model.sites[site], now=now, horizon_h=s.horizon_h)
            for site in model.sites
        }
        found = self._models.get(POOLED)
        return RoundContext(
            model=model,
            now=now,
            samples=history.samples,
            on_hand=stock,
            on_order=on_order,
            calendars=calendars,
            slot_use=result.slot_use,
            track_records=_track_records(store, self.name, model, now),
            model_version=found.version if found is not None else "prior",
            urgent_risk=s.urgent_risk,
            watch_threshold=s.watch_threshold,
            trend_window_h=s.trend_window_h,
            ttl_h=min(24.0, s.horizon_h),
        )

    @staticmethod
    def _advise(result: PlanResult, ctx: RoundContext) -> tuple[list[Proposal], list[WatchItem]]:
        by_asset: dict[str, list[PlannedAsset]] = {}
        for asset in result.assets:
            by_asset.setdefault(asset.risk.subject, []).append(asset)
        proposals: list[Proposal] = []
        items: list[WatchItem] = []
        for subject in sorted(by_asset):
            proposal, round_items = asset_proposal(by_asset[subject], ctx)
            items.extend(round_items)
            if proposal is not None:
                proposals.append(proposal)
        return proposals, items

    def _recover(  # noqa: PLR0917  (private, called once)
        self,
        model: Model,
        down: Mapping[str, DownAsset],
        history: History,
        stock: Mapping[tuple[str, str], int],
        ctx: RoundContext,
        risks: list[AssetRisk],
        items: list[WatchItem],
    ) -> list[Proposal]:
        if not down:
            return []
        now = ctx.now

        def production_hours(site: str, start_h: float, end_h: float) -> float:
            calendar = site_calendar(model.sites[site], now=now, horizon_h=24.0 * 60)
            return calendar.planned_hours(start_h, max(end_h - start_h, 0.0))

        fixes = expedite_for_failures(
            model, history.maintenance, stock, now=now, production_hours=production_hours
        )
        out: list[Proposal] = []
        for subject, state in sorted(down.items()):
            mine = [f for f in fixes if f.equipment == subject]
            proposal = recovery_proposal(state, mine, ctx)
            if proposal is not None:
                out.append(proposal)
            status = "decision" if proposal is not None and proposal.asks else "down"
            items.extend(
                WatchItem(
                    round_at=now,
                    subject=subject,
                    site=r.site,
                    failure_mode=r.mode.id,
                    p_fail=float(r.p_fail),
                    p_low=float(r.p_low),
                    p_high=float(r.p_high),
                    horizon_h=float(r.horizon_h),
                    rul_h=float(r.rul_h),
                    choice="recover",
                    saving=float(proposal.expected_value) if proposal is not None else 0.0,
                    status=status,
                    note=state.reason,
                )
                for r in risks
                if r.subject == subject
            )
        return out

    def proposals_of(self, result: PlanResult, model: Model, *, now: int) -> list[Proposal]:
        """Return the proposals of a solved plan, one per asset with something to decide,
        best saving first (no store: no trends, stock from the model, no track record)."""
        stock = _stock(model, pl.DataFrame())
        ctx = RoundContext(
            model=model,
            now=now,
            samples=pl.DataFrame(),
            on_hand=stock,
            on_order={},
            calendars={
                site: site_calendar(model.sites[site], now=now, horizon_h=self.settings.horizon_h)
                for site in model.sites
            },
            slot_use=result.slot_use,
            model_version=(self._models[POOLED].version if POOLED in self._models else "prior"),
            urgent_risk=self.settings.urgent_risk,
            watch_threshold=self.settings.watch_threshold,
            trend_window_h=self.settings.trend_window_h,
            ttl_h=min(24.0, self.settings.horizon_h),
        )
        proposals, _ = self._advise(result, ctx)
        proposals.sort(key=lambda p: -p.expected_value)
        return proposals

    # -------------------------------------------------------------- outcome

    def outcome(
        self, store: Store, model: Model, *, action: Action, decided_at: int, now: int
    ) -> Outcome | None:
        """Measure what happened to the subject after the decision: its failures, and the
        planned work the action's kind asked for."""
        if now - decided_at < HOUR_US:
            return None
        subject = action.subject
        table = pl.from_arrow(
            store.records(RecordKind.MAINTENANCE, path_prefix=subject, start=decided_at, end=now)
        )
        assert isinstance(table, pl.DataFrame)
        failures = table.filter(
            (pl.col("kind") == MaintenanceKind.FAILURE.value)
            & (pl.col("event") == MaintenanceEvent.OPENED.value)
        ).height
        planned = table.filter(
            pl.col("kind").is_in(
                [MaintenanceKind.PREVENTIVE.value, MaintenanceKind.CORRECTIVE.value]
            )
            & (pl.col("event") == MaintenanceEvent.CLOSED.value)
        ).height
        info = model.equipment.get(subject)
        down_cost = info.equipment.downtime_cost_per_hour if info else 0.0
        intervened = action.kind in WORK_KINDS
        success = failures == 0 and (planned > 0 or not intervened)
        return Outcome(
            measured_at=now,
            realised_value=None,
            success=success,
            detail={
                "failures": failures,
                "planned_interventions": planned,
                "downtime_cost_per_hour": down_cost,
                "action_kind": action.kind,
            },
        )


class _ClassGrids:
    """The condition grid of each equipment class, built from the store's sums once."""

    def __init__(self, steps: ConditionSteps, model: Model) -> None:
        self._steps = steps
        self._members: dict[str, list[str]] = {}
        for path, info in model.equipment.items():
            self._members.setdefault(info.equipment_class.id, []).append(path)
        self._grids: dict[str, pl.DataFrame] = {}

    def members(self, class_id: str) -> list[str]:
        return self._members.get(class_id, [])

    def grid(self, class_id: str) -> pl.DataFrame:
        grid = self._grids.get(class_id)
        if grid is None:
            grid = class_grid(self._steps, self.members(class_id))
            self._grids[class_id] = grid
        return grid

    def running_hours(self, step_h: float) -> dict[str, float]:
        """Return each equipment's running hours over the grid's steps."""
        out: dict[str, float] = {}
        for class_id in self._members:
            hours = self.grid(class_id).group_by("equipment").agg(pl.col("__running").sum())
            out.update({str(a): float(b) * step_h for a, b in hours.iter_rows()})
        return out


@dataclass(slots=True)
class _Tally:
    """Counts the pooled rows streamed to the fit and each class and mode's failed lives."""

    rows: int = 0
    failures: dict[str, int] = field(default_factory=dict)

    def count(self, chunks: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        for chunk in chunks:
            self.rows += chunk.height
            observed = (
                chunk.filter(pl.col("observed"))
                .group_by(["equipment_class", "failure_mode"])
                .agg(pl.col("life").n_unique().alias("n"))
            )
            for row in observed.iter_rows(named=True):
                key = f"{row['equipment_class']}/{row['failure_mode']}"
                self.failures[key] = self.failures.get(key, 0) + int(row["n"])
            yield chunk


def _predict(
    risk: RiskModel, frame: pl.DataFrame, horizon_h: float
) -> dict[tuple[str, str], Assessment]:
    """Return the model's assessment of the newest row of every asset and mode."""
    data = risk.featurise(frame)
    last = (
        data.sort(["equipment", "failure_mode", "t"])
        .group_by(["equipment", "failure_mode"], maintain_order=True)
        .last()
    )
    if last.is_empty():
        return {}
    prediction = risk.predict_features(last)
    skill = _skill(risk)
    out: dict[tuple[str, str], Assessment] = {}
    curve = prediction.curve
    for i, (path, mode_id) in enumerate(
        zip(last["equipment"].to_list(), last["failure_mode"].to_list(), strict=True)
    ):
        p = float(prediction.p_fail[i])
        rul = float(prediction.rul[i])
        low, high = float(prediction.rul_low[i]), float(prediction.rul_high[i])
        points = (
            tuple((float(h), float(curve[i, k])) for k, h in enumerate(prediction.curve_horizons))
            if curve is not None
            else ((horizon_h, p),)
        )
        out[(path, mode_id)] = Assessment(
            p_fail=p,
            p_low=1.0 - (1.0 - p) ** (max(rul, 1.0) / max(high, 1.0)),
            p_high=1.0 - (1.0 - p) ** (max(rul, 1.0) / max(low, 1.0)),
            rul_h=rul,
            rul_low_h=low,
            rul_high_h=high,
            confidence=skill,
            source="model",
            quality=(),
            curve=points,
        )
    return out


def _failures_seen(fitted: _Fitted | None, class_mode: str) -> float:
    if fitted is None or fitted.model is None:
        return 0.0
    return float(fitted.model.metrics.get(f"failures.{class_mode}", 0.0))


def _calendar(
    cache: dict[str, PlanningCalendar], model: Model, site: str, now: int, horizon_h: float
) -> PlanningCalendar:
    found = cache.get(site)
    if found is None:
        found = cache[site] = site_calendar(model.sites[site], now=now, horizon_h=horizon_h)
    return found


def _skill(risk: RiskModel) -> float:
    """Confidence from the model's out-of-fold Brier skill over the base rate."""
    brier = risk.metrics.get("brier_oof", math.nan)
    base = risk.metrics.get("brier_base_rate", math.nan)
    if not (math.isfinite(brier) and math.isfinite(base)) or base <= 0:
        return 0.3
    skill = 1.0 - brier / base
    return float(min(max(0.4 + 0.55 * skill, 0.2), 0.95))


def _recorded(maintenance: pl.DataFrame) -> set[tuple[str, str | None]]:
    """Return the (asset, mode) pairs with a work order on record (mode ``None``: any)."""
    if maintenance.is_empty():
        return set()
    pairs = maintenance.select("path", "failure_mode").unique()
    return {(str(a), None if b is None else str(b)) for a, b in pairs.iter_rows()}


def _model_origin(day: dt.date | None) -> int | None:
    if day is None:
        return None
    return from_datetime(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC))


def _age_unknown(day: dt.date | None, mode: FailureMode, lives: float) -> str:
    if day is None:
        return (
            "no maintenance history and no installation date in the model: age counted "
            "from the first record, not known"
        )
    return (
        f"installed or restored on {day.isoformat()}, over {lives:g} lives of {mode.id} "
        "ago, and no restoration on record since: age not known (give the model its "
        "'restored' date or import the maintenance history)"
    )


def _write_rates(
    store: Store,
    model: Model,
    exposure: Mapping[str, float],
    maintenance: pl.DataFrame,
    *,
    start: int,
    until: int,
) -> None:
    """Store each asset and mode's failures and operating hours in the fit's history."""
    if not exposure:
        return
    counts: dict[tuple[str, str], int] = {}
    m = maintenance
    if not m.is_empty():
        failed = (
            m.filter(
                (pl.col("kind") == MaintenanceKind.FAILURE.value)
                & (pl.col("ts") >= start)
                & (pl.col("ts") < until)
            )
            .group_by(["path", "failure_mode", "work_order"])
            .agg(pl.len())
            .group_by(["path", "failure_mode"])
            .agg(pl.len().alias("n"))
        )
        for path, mode, n in failed.iter_rows():
            if mode is not None:
                counts[(str(path), str(mode))] = int(n)
    rows = [
        (path, mode.id, counts.get((path, mode.id), 0), exposure.get(path, 0.0))
        for path, info in model.equipment.items()
        for mode in info.equipment_class.failure_modes
        if not mode.signals
    ]
    if not rows:
        return
    store.write_table(
        RATE_TABLE,
        pa.table(
            {
                "trained_until": pa.array([until] * len(rows), pa.int64()),
                "equipment": [r[0] for r in rows],
                "failure_mode": [r[1] for r in rows],
                "failures": pa.array([r[2] for r in rows], pa.int64()),
                "exposure_h": pa.array([r[3] for r in rows], pa.float64()),
            }
        ),
    )


def _load_rates(store: Store, now: int) -> dict[tuple[str, str], tuple[float, float]]:
    """Return the newest fit's (failures, operating hours) per asset and mode before ``now``."""
    try:
        table = store.read_table(RATE_TABLE)
    except StoreError:
        return {}
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    frame = frame.filter(pl.col("trained_until") <= now)
    if frame.is_empty():
        return {}
    newest = frame.filter(pl.col("trained_until") == frame["trained_until"].max())
    return {
        (str(a), str(b)): (float(n), float(h))
        for a, b, n, h in newest.select(
            "equipment", "failure_mode", "failures", "exposure_h"
        ).iter_rows()
    }


def on_order_of(inventory: pl.DataFrame) -> dict[tuple[str, str], int]:
    """Return parts on order per (site id, part) from the newest inventory records."""
    if inventory.is_empty() or "on_order" not in inventory.columns:
        return {}
    latest = inventory.sort("ts").group_by(["part", "site"]).last()
    return {
        (str(row["site"]).split("/")[-1], str(row["part"])): int(row["on_order"] or 0)
        for row in latest.iter_rows(named=True)
    }


def _track_records(store: Store, app: str, model: Model, now: int) -> dict[str, TrackRecord]:
    """Return, per site, how the app's measured decisions there turned out."""
    out: dict[str, TrackRecord] = {}
    table = DecisionTable(store=store)
    for site in model.sites:
        try:
            rows = table.measured_outcomes(app=app, site=site, until=now)
        except AndonError:
            return {}
        judged = [r for r in rows if r.get("outcome_success") is not None]
        out[site] = TrackRecord(
            measured=len(judged), succeeded=sum(1 for r in judged if r["outcome_success"])
        )
    return out


def booked_work(store: Store, app: str, *, now: int, horizon_h: float) -> set[tuple[str, str]]:
    """Return the ``(asset, failure mode)`` pairs whose work people already agreed to.

    A decision of the app approved or carried out within the horizon, whose action does
    work (not only orders parts) in a slot that has not passed, books its modes: the work
    order opens when the work starts, so until then the risk still reads as before, and
    proposing the same work again each round would only repeat the question.
    """
    since = now - int(horizon_h * HOUR_US)
    try:
        rows = DecisionTable(store=store).booked_actions(app=app, since=since)
    except AndonError:
        return set()
    booked: set[tuple[str, str]] = set()
    for row in rows:
        action = Action.from_json(json.loads(str(row["action"])))
        if action.kind not in WORK_KINDS or action.slot_start is None or action.slot_start < now:
            continue
        booked.update((str(row["subject"]), mode) for mode in action.failure_modes)
    return booked


def _stock(model: Model, inventory: pl.DataFrame) -> dict[tuple[str, str], int]:
    """Return parts on hand per (site id, part): newest inventory record, else the model."""
    stock: dict[tuple[str, str], int] = {}
    for part in model.plant.parts:
        for site, qty in part.stock.items():
            stock[(site, part.id)] = qty
    if not inventory.is_empty():
        latest = inventory.sort("ts").group_by(["part", "site"]).last()
        for row in latest.iter_rows(named=True):
            site_id = str(row["site"]).split("/")[-1]
            stock[(site_id, str(row["part"]))] = int(row["on_hand"])
    return stock


def proposal_kind(failure_mode: str | None = None) -> str:
    """Return the decision kind (supersede key) of the app's proposals: one per asset,
    whatever the failure modes inside.

    >>> proposal_kind("spindle_bearing")
    'asset'
    """
    del failure_mode
    return ASSET_KEY


def _feature_words(name: str, mode: FailureMode | None = None) -> str:
    """Say a feature column in plain words: ``vib__slope24`` -> ``trend of vib over 24 h``.

    The pooled model's signal slots (``sig0``...) are named by the mode's own tags.
    """
    fixed = {
        "age_h": "operating hours since the last repair",
        "age_share": "operating hours since the last repair, as a share of the MTBF",
        "mtbf_h": "the failure mode's MTBF",
        "mode_code": "the class and failure mode",
        "signal_count": "how many tags show the mode",
        "__observed_rows": "length of the record",
    }
    if name in fixed:
        return fixed[name]
    signal, _, stat = name.partition("__")
    if signal in SIGNAL_SLOTS and mode is not None:
        tags = sorted(mode.signals)
        index = SIGNAL_SLOTS.index(signal)
        signal = tags[index] if index < len(tags) else signal
    for prefix, words in (
        ("slope", "trend of {s} over {n} h"),
        ("mean", "level of {s} over {n} h"),
        ("std", "spread of {s} over {n} h"),
        ("ewm", "smoothed {s} ({n} h)"),
    ):
        if stat.startswith(prefix):
            return words.format(s=signal, n=stat.removeprefix(prefix))
    if stat == "drift":
        return f"drift of {signal} from its baseline"
    return f"level of {signal}"
