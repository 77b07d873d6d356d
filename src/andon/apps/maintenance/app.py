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

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa

from andon.apps.maintenance.assess import Assessment, blend, weibull_prior
from andon.apps.maintenance.criticality import SiteCalendar, criticality_of, site_calendar
from andon.apps.maintenance.features import FeatureSpec
from andon.apps.maintenance.history import (
    HOUR_US,
    History,
    condition_grid,
    life_rows,
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
from andon.apps.maintenance.risk import RiskModel
from andon.errors import AndonError, StoreError
from andon.model import Model
from andon.model.schema import FailureMode
from andon.proposals import Factor, FitReport, Option, Outcome, Proposal
from andon.records import MaintenanceEvent, MaintenanceKind, RecordKind
from andon.store.base import Store

__all__ = ["ARTIFACT_TABLE", "MaintenanceApp", "MaintenanceSettings"]

ARTIFACT_TABLE = "maintenance_risk_models"
"""Auxiliary store table of fitted risk models, one row per class, mode and fit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintenanceSettings:
    """How the app looks at history and how far ahead it plans."""

    horizon_h: float = 168.0
    """Planning horizon and the risk model's failure horizon, hours."""
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

    # ------------------------------------------------------------------ fit

    def fit(self, store: Store, model: Model, *, until: int) -> FitReport:
        """Fit one risk model per class and failure mode on history before ``until``."""
        s = self.settings
        start = int(until - s.fit_lookback_h * HOUR_US)
        history = load_history(store, model, start=start, end=until)
        grid = self._grid(history, model, start=start, end=until)
        fitted: list[_Fitted] = []
        for cls_id, cls in model.classes.items():
            members = [
                p for p, info in model.equipment.items() if info.equipment_class.id == cls_id
            ]
            if not members:
                continue
            class_grid = grid.filter(pl.col("equipment").is_in(members))
            fitted.extend(
                self._fit_mode(cls_id, mode, class_grid, history, until)
                for mode in cls.failure_modes
            )
        rows = fitted
        self._write_artifacts(store, rows, until)
        for f in rows:
            self._models[(f.equipment_class, f.failure_mode)] = f
        ok = [f for f in rows if f.model is not None]
        digest = hashlib.sha256("".join(sorted(f.version for f in rows)).encode()).hexdigest()
        metrics: dict[str, float] = {
            "models_fitted": float(len(ok)),
            "models_insufficient": float(len(rows) - len(ok)),
        }
        for f in ok:
            assert f.model is not None
            key = f"{f.equipment_class}.{f.failure_mode}"
            metrics[f"{key}.brier_oof"] = f.model.metrics.get("brier_oof", math.nan)
            metrics[f"{key}.brier_base_rate"] = f.model.metrics.get("brier_base_rate", math.nan)
        notes = [
            f"{f.equipment_class}/{f.failure_mode}: {f.reason}" for f in rows if f.model is None
        ]
        return FitReport(
            app=self.name, version=digest[:16], trained_until=until, metrics=metrics, notes=notes
        )

    def _grid(self, history: History, model: Model, *, start: int, end: int) -> pl.DataFrame:
        step_us = int(self.settings.step_h * HOUR_US)
        grid = condition_grid(
            history.samples, start=start, end=end, step_us=step_us, equipment=list(model.equipment)
        )
        return running_fraction(history.states, grid)

    def _spec(self, signals: list[str]) -> FeatureSpec:
        return FeatureSpec(
            signals=tuple(signals),
            windows=self.settings.windows,
            unit_column="life",
            time_column="hour",
            age_column="age_h",
            ewm_spans=(max(self.settings.windows),),
        )

    def _fit_mode(
        self, cls_id: str, mode: FailureMode, grid: pl.DataFrame, history: History, until: int
    ) -> _Fitted:
        rows = life_rows(grid, history.maintenance, mode.id, until=until)
        signals = [tag for tag in mode.signals if tag in rows.columns]
        frame = rows.with_columns((pl.col("t") / HOUR_US).alias("hour"))
        try:
            risk = RiskModel.fit(
                frame,
                self._spec(signals),
                rul_column="rul_h",
                observed_column="observed",
                cap=self.settings.rul_cap_h,
                horizon=self.settings.horizon_h,
                rounds=self.settings.rounds,
                learning_rate=0.08,
                seed=self.settings.seed,
            )
        except AndonError as exc:
            return _Fitted(cls_id, mode.id, "insufficient", str(exc), None, f"none-{until}")
        missing = [tag for tag in mode.signals if tag not in rows.columns]
        reason = "fitted" + (f"; no samples of {', '.join(missing)}" if missing else "")
        return _Fitted(cls_id, mode.id, "ok", reason, risk, risk.version)

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
        start = int(now - s.propose_lookback_h * HOUR_US)
        history = load_history(store, model, start=start, end=now)
        grid = self._grid(history, model, start=start, end=now)
        stock = _stock(model, history.inventory)
        risks: list[AssetRisk] = []
        for cls_id, cls in model.classes.items():
            members = [
                p for p, info in model.equipment.items() if info.equipment_class.id == cls_id
            ]
            if not members:
                continue
            class_grid = grid.filter(pl.col("equipment").is_in(members))
            for mode in cls.failure_modes:
                found = fitted.get((cls_id, mode.id))
                risks.extend(
                    self._assess_mode(model, mode, members, class_grid, history, found, now)
                )
        return risks, stock, history

    def _assess_mode(  # noqa: PLR0917  (private, called once)
        self,
        model: Model,
        mode: FailureMode,
        members: list[str],
        grid: pl.DataFrame,
        history: History,
        fitted: _Fitted | None,
        now: int,
    ) -> list[AssetRisk]:
        s = self.settings
        rows = life_rows(grid, history.maintenance, mode.id, until=now).with_columns(
            (pl.col("t") / HOUR_US).alias("hour")
        )
        has_history = (
            set(
                history.maintenance.filter(
                    pl.col("failure_mode").is_null() | (pl.col("failure_mode") == mode.id)
                )["path"].to_list()
            )
            if not history.maintenance.is_empty()
            else set()
        )
        predictions: dict[str, Assessment] = {}
        risk_model = fitted.model if fitted is not None else None
        if risk_model is not None and not rows.is_empty():
            present = [c for c in risk_model.spec.signals if c not in rows.columns]
            if present:
                rows = rows.with_columns([pl.lit(None, dtype=pl.Float64).alias(c) for c in present])
            data = risk_model.featurise(rows)
            last = data.group_by("equipment", maintain_order=True).last()
            prediction = risk_model.predict_features(last)
            skill = _skill(risk_model)
            for i, path in enumerate(last["equipment"].to_list()):
                p = float(prediction.p_fail[i])
                rul = float(prediction.rul[i])
                low, high = float(prediction.rul_low[i]), float(prediction.rul_high[i])
                predictions[path] = Assessment(
                    p_fail=p,
                    p_low=1.0 - (1.0 - p) ** (max(rul, 1.0) / max(high, 1.0)),
                    p_high=1.0 - (1.0 - p) ** (max(rul, 1.0) / max(low, 1.0)),
                    rul_h=rul,
                    rul_low_h=low,
                    rul_high_h=high,
                    confidence=skill,
                    source="model",
                    quality=(),
                )
        last_rows = (
            rows.group_by("equipment", maintain_order=True).last() if not rows.is_empty() else rows
        )
        by_path = {r["equipment"]: r for r in last_rows.iter_rows(named=True)}
        out: list[AssetRisk] = []
        operating: dict[str, float] = {}
        for path in members:
            info = model.equipment[path]
            row = by_path.get(path)
            quality: list[str] = []
            age_known = path in has_history
            age_h = float(row["age_h"]) if row is not None and row["age_h"] is not None else 0.0
            if not age_known:
                quality.append(
                    "no maintenance history: age counted from the first record, not known"
                )
            last_sample = row.get("__last_sample") if row is not None else None
            silent_h = (now - last_sample) / HOUR_US if last_sample is not None else math.inf
            signals_expected = bool(mode.signals)
            if signals_expected and last_sample is None:
                quality.append(f"no condition data for {', '.join(mode.signals)}")
            elif signals_expected and silent_h > s.stale_after_h:
                quality.append(f"condition tags silent for {silent_h / 24:.1f} days")
            if fitted is None:
                quality.append("no risk model fitted yet for this class and mode")
            elif fitted.model is None:
                quality.append(f"risk model not fitted: {fitted.reason}")
            # The MTBF counts operating hours: the prior looks as far as the hours planned.
            site_path = info.site_path
            if site_path not in operating:
                calendar = site_calendar(model.sites[site_path], now=now, horizon_h=s.horizon_h)
                operating[site_path] = max(calendar.planned_hours(0.0, s.horizon_h), 1.0)
            prior = weibull_prior(
                mtbf_h=mode.mtbf_h,
                age_h=age_h,
                horizon_h=operating[site_path],
                age_known=age_known,
                quality=tuple(quality),
            )
            renewed = weibull_prior(
                mtbf_h=mode.mtbf_h,
                age_h=0.0,
                horizon_h=operating[site_path],
                age_known=True,
                quality=(),
            )
            model_view = predictions.get(path)
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
                )
                assessment = blend(model_view, prior, fresh)
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
        calendars: dict[str, SiteCalendar] = {}
        crew_capacity: dict[tuple[str, str], float] = {}
        entries: list[tuple[AssetRisk, list[PlanOption], int]] = []
        for risk in risks:
            calendar = calendars.get(risk.site)
            if calendar is None:
                calendar = site_calendar(
                    model.sites[risk.site], now=now, horizon_h=self.settings.horizon_h
                )
                calendars[risk.site] = calendar
                for slot in calendar.slots:
                    crew_capacity[(risk.site, slot.id)] = slot.crew_hours
            site_id = risk.site.split("/")[1]
            on_hand = {pid: stock.get((site_id, pid), 0) for pid in risk.mode.parts}
            options, nothing = options_for(risk, calendar, model.parts, on_hand)
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
        result = self.plan(store, model, now=now)
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
        self, store: Store, model: Model, *, subject: str, action: str, decided_at: int, now: int
    ) -> Outcome | None:
        """Measure what happened to the subject after the decision: failures, planned work."""
        if now - decided_at < HOUR_US:
            return None
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
        intervened = "intervene" in action or "move production" in action
        success = failures == 0 and (planned > 0 or not intervened)
        return Outcome(
            measured_at=now,
            realised_value=None,
            success=success,
            detail={
                "failures": failures,
                "planned_interventions": planned,
                "downtime_cost_per_hour": down_cost,
                "action": action,
            },
        )


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
    found = fitted.get((risk.equipment_class, risk.mode.id))
    if found is not None and found.model is not None:
        top = found.model.importance(top=2)
        words = ", ".join(_feature_words(name) for name, _ in top)
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
        action=choice.action,
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
            "action_kind": choice.kind,
            "p_fail": round(risk.p_fail, 4),
            "horizon_h": risk.horizon_h,
            "rul_h": round(risk.rul_h, 1),
            "rul_low_h": round(risk.rul_low_h, 1),
            "rul_high_h": round(risk.rul_high_h, 1),
            "slot": choice.slot,
            "data_quality": list(risk.notes),
        },
        model_version=found.version if found is not None else "prior",
        kind=choice.kind,
    )


def _feature_words(name: str) -> str:
    """Say a feature column in plain words: ``vib__slope24`` -> ``trend of vib over 24 h``."""
    if name == "age_h":
        return "operating hours since the last repair"
    if name == "__observed_rows":
        return "length of the record"
    signal, _, stat = name.partition("__")
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
