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

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl
import pyarrow as pa

from andon.apps.maintenance.actions import WORK_KINDS, action_for
from andon.apps.maintenance.assess import Assessment, blend, weibull_prior
from andon.apps.maintenance.criticality import PlanningCalendar, criticality_of, site_calendar
from andon.apps.maintenance.history import (
    HOUR_US,
    History,
    condition_grid,
    load_history,
    running_fraction,
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
)
from andon.apps.maintenance.risk import RiskModel
from andon.errors import AndonError, InsufficientHistoryError, StoreError
from andon.model import Model
from andon.model.schema import FailureMode
from andon.proposals import Action, Factor, FitReport, Option, Outcome, Proposal
from andon.records import MaintenanceEvent, MaintenanceKind, RecordKind
from andon.store.base import Store

__all__ = ["ARTIFACT_TABLE", "MaintenanceApp", "MaintenanceSettings", "proposal_kind"]

ARTIFACT_TABLE = "maintenance_risk_models"
"""Auxiliary store table of fitted risk models, one row per fit."""

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
    """P(failure in horizon) from which an asset left to run is still proposed for watch."""
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

    def fit(self, store: Store, model: Model, *, until: int) -> FitReport:
        """Fit the pooled risk model of every class and failure mode on history before ``until``.

        One model learns from the failures of every mode (see :mod:`.pooled`); a mode with
        no failure of its own is judged from the others through its tags and descriptors.
        Raises :class:`~andon.errors.InsufficientHistoryError` when the history cannot carry
        a model (its reason is stored too: ``propose`` then falls back on the prior).
        """
        s = self.settings
        start = int(until - s.fit_lookback_h * HOUR_US)
        history = load_history(store, model, start=start, end=until)
        grid = self._grid(history, model, start=start, end=until)
        frame = self._pooled_frame(model, grid, history, until)
        failures_by_mode: dict[str, int] = {}
        if not frame.is_empty():
            observed = (
                frame.filter(pl.col("observed"))
                .group_by(["equipment_class", "failure_mode"])
                .agg(pl.col("life").n_unique().alias("n"))
            )
            for row in observed.iter_rows(named=True):
                failures_by_mode[f"{row['equipment_class']}/{row['failure_mode']}"] = int(row["n"])
        try:
            if frame.is_empty():
                msg = "no history to learn from"
                raise InsufficientHistoryError(msg, app=self.name)
            risk = RiskModel.fit(
                frame,
                pooled_spec(s.windows),
                rul_column="rul_h",
                observed_column="observed",
                cap=s.rul_cap_h,
                horizon=s.horizon_h,
                horizons=s.curve_horizons_h,
                row_stride=s.row_stride,
                min_failures=s.min_failures,
                rounds=s.rounds,
                learning_rate=0.08,
                seed=s.seed,
            )
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
            rows=frame.height,
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

    @staticmethod
    def _pooled_frame(
        model: Model, grid: pl.DataFrame, history: History, until: int
    ) -> pl.DataFrame:
        frames: list[pl.DataFrame] = []
        for cls_id, cls in model.classes.items():
            members = [
                p for p, info in model.equipment.items() if info.equipment_class.id == cls_id
            ]
            if not members:
                continue
            class_grid = grid.filter(pl.col("equipment").is_in(members))
            frames.extend(
                pooled_rows(class_grid, history.maintenance, cls_id, mode, until=until)
                for mode in cls.failure_modes
            )
        frames = [f for f in frames if not f.is_empty()]
        if not frames:
            return pl.DataFrame()
        return pl.concat(frames, how="vertical_relaxed")

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
        frame = self._pooled_frame(model, grid, history, now)
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
            age_known = path in has_history
            age_value = row.get("age_h") if row is not None else None
            age_h = float(age_value) if isinstance(age_value, (int, float)) else 0.0
            if not age_known:
                quality.append(
                    "no maintenance history: age counted from the first record, not known"
                )
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
    ) -> PlanResult:
        """Price every option of the assessed assets and solve the plan."""
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
        """Return one proposal per asset at risk or in doubt, best saving first."""
        return self.proposals_of(self.plan(store, model, now=now), model, now=now)

    def proposals_of(self, result: PlanResult, model: Model, *, now: int) -> list[Proposal]:
        """Return the proposals of a solved plan: assets at risk or in doubt, best saving first."""
        fitted = self._models
        proposals = [
            _proposal(asset, model, now, fitted, self.settings)
            for asset in result.assets
            if _worth_proposing(asset, self.settings)
        ]
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


def _worth_proposing(asset: PlannedAsset, settings: MaintenanceSettings) -> bool:
    if asset.choice.kind != "watch":
        return True
    return asset.risk.p_fail >= settings.watch_threshold or bool(asset.risk.notes)


def _proposal(
    asset: PlannedAsset,
    model: Model,
    now: int,
    fitted: Mapping[tuple[str, str], _Fitted],
    settings: MaintenanceSettings,
) -> Proposal:
    risk = asset.risk
    choice = asset.choice
    currency = model.currency
    saving = asset.saving()
    spread = (asset.saving(risk.p_low), saving, asset.saving(risk.p_high))
    low, high = min(spread), max(spread)
    crit = risk.criticality
    horizon_days = risk.horizon_h / 24.0
    factors: list[Factor] = [
        Factor(
            name="failure_risk",
            text=f"{risk.p_fail:.0%} chance that {risk.mode.id} fails within "
            f"{horizon_days:.0f} days (between {risk.p_low:.0%} and {risk.p_high:.0%})",
            weight=risk.p_fail,
            value=risk.p_fail,
        ),
        Factor(
            name="remaining_life",
            text=f"remaining life about {risk.rul_h:.0f} h "
            f"({risk.rul_low_h:.0f}-{risk.rul_high_h:.0f} h, 10th-90th percentile)",
            value=risk.rul_h,
        ),
        Factor(
            name="criticality",
            text=f"an hour down costs {crit.cost_per_hour * crit.capacity_share:,.0f} {currency}"
            + (
                f" ({crit.redundant_with} redundant machine(s) in the cell)"
                if crit.redundant_with
                else ", no redundancy in the cell"
            )
            + (
                f"; the buffer covers {crit.buffer_cover_h:.1f} h"
                if crit.buffer_cover_h > 0
                else ""
            ),
            weight=crit.cost_per_hour * crit.capacity_share,
            value=crit.cost_per_hour * crit.capacity_share,
        ),
    ]
    found = fitted.get(POOLED)
    if found is not None and found.model is not None:
        top = found.model.importance(top=2)
        words = ", ".join(_feature_words(name, risk.mode) for name, _ in top)
        factors.append(Factor(name="signals", text=f"the model weighs most: {words}", value=words))
    if choice.expedited:
        factors.append(
            Factor(
                name="parts",
                text=f"{', '.join(choice.expedited)} not on hand; normal delivery too late, "
                "expedited in time",
            )
        )
    elif choice.ordered:
        factors.append(
            Factor(name="parts", text=f"{', '.join(choice.ordered)} not on hand; ordered now")
        )
    factors.extend(Factor(name="data_quality", text=note, weight=-1.0) for note in risk.notes)
    options = tuple(
        Option(action=o.action, expected_cost=round(asset.cost(i), 2), description=o.kind)
        for i, o in enumerate(asset.options)
    )
    verdict = (
        f"{choice.action}: expected cost {asset.cost(asset.chosen):,.0f} {currency} against "
        f"{asset.cost(asset.do_nothing):,.0f} {currency} if left to run"
    )
    if risk.notes:
        verdict += "; cannot fully judge: " + "; ".join(risk.notes)
    return Proposal(
        app="maintenance",
        subject=risk.subject,
        action=action_for(choice, risk, now=now),
        expected_value=round(saving, 2),
        value_low=round(low, 2),
        value_high=round(high, 2),
        confidence=round(min(max(risk.confidence, 0.0), 1.0), 3),
        explanation=verdict,
        created_at=now,
        expires_at=now + int(min(24.0, settings.horizon_h) * HOUR_US),
        options=options,
        factors=tuple(factors),
        evidence={
            "failure_mode": risk.mode.id,
            "p_fail": round(risk.p_fail, 4),
            "horizon_h": risk.horizon_h,
            "rul_h": round(risk.rul_h, 1),
            "rul_low_h": round(risk.rul_low_h, 1),
            "rul_high_h": round(risk.rul_high_h, 1),
            "data_quality": list(risk.notes),
        },
        model_version=found.version if found is not None else "prior",
        # The decision service keeps one open decision per (app, supersede key, subject):
        # the key names the failure mode, so the modes of one asset never replace each
        # other, and a new plan for a mode replaces that mode's open decision whatever its
        # action.
        supersede_key=proposal_kind(risk.mode.id),
    )


def proposal_kind(failure_mode: str) -> str:
    """Return the decision kind of the app's proposals for a failure mode.

    >>> proposal_kind("spindle_bearing")
    'failure_mode:spindle_bearing'
    """
    return f"failure_mode:{failure_mode}"


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
