"""The energy app: baselines fitted on history, waste decisions proposed on the recent weeks.

``fit`` accounts the history's energy (:func:`andon.apps.energy.account`), fits an ISO 50006
baseline per meter (:mod:`andon.apps.energy.baseline`) and each site's base load, and
stores them as one versioned row of the auxiliary table ``energy_baselines``.
``propose`` accounts the recent weeks and proposes each waste a decision can remove
(:mod:`andon.apps.energy.waste`) whose value a year passes the materiality threshold, with
its energy, money and CO2e a year and the evidence behind it; nothing of no value is
proposed. ``outcome`` measures the waste after a decision against the same span before it.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from andon.apps._artifacts import newest_artifact
from andon.apps.energy.accounting import EnergyAccount, account, base_load
from andon.apps.energy.actions import FIX_LEAK, SWITCH_OFF_IDLE
from andon.apps.energy.baseline import Baseline, fit_baselines
from andon.apps.energy.waste import Waste, leaks, switch_off_rules, utilities_without_demand
from andon.errors import InsufficientHistoryError
from andon.model import Model
from andon.proposals import Action, Factor, FitReport, Option, Outcome, Proposal
from andon.records import RecordKind, to_micros
from andon.store.base import Store
from andon.time import DAY_US, HOUR_US, to_iso

__all__ = ["ARTIFACT_TABLE", "EnergyApp", "EnergySettings"]

ARTIFACT_TABLE: Final = "energy_baselines"
APP: Final = "energy"


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergySettings:
    """How much history the app reads and what it calls material."""

    fit_lookback_days: float = 28.0
    """History the baselines are fitted on, days before ``until``."""
    min_history_days: float = 1.0
    """Metered days a fit needs (a baseline that has not seen a week's operating cycle says
    so in the fit's notes)."""
    propose_lookback_days: float = 14.0
    """Recent days the waste is measured on, before ``now``."""
    min_value_per_year: float = 100.0
    """Smallest value a year, in the model's currency, worth a person's decision."""
    expiry_days: float = 7.0
    """Days a proposal stays open."""


def _round(value: float, digits: int = 6) -> float:
    """Round to ``digits`` significant digits (and noise below 1e-6 to zero), so that sums
    taken in another order agree."""
    if abs(value) < 1e-6 or not math.isfinite(value):
        return 0.0 if math.isfinite(value) else value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


@dataclass
class EnergyApp:
    """Energy accounting, ISO 50006 baselines and waste decisions (a ``DecisionApp``)."""

    settings: EnergySettings = field(default_factory=EnergySettings)
    name: str = APP
    _cache: dict[str, Any] = field(default_factory=dict)

    # -------------------------------------------------------------- fit

    def fit(self, store: Store, model: Model, *, until: int) -> FitReport:
        """Fit a baseline per meter and each site's base load on the history up to ``until``."""
        first = _first_energy(store)
        if first is None or until - first < self.settings.min_history_days * DAY_US:
            days = 0.0 if first is None else (until - first) / DAY_US
            reason = (
                f"too little history: {days:.1f} days of meter readings, "
                f"the baselines need {self.settings.min_history_days:g}"
            )
            raise InsufficientHistoryError(reason, app=APP)
        start = max(first, until - round(self.settings.fit_lookback_days * DAY_US))
        acc = account(store, model, start=start, end=until)
        baselines = fit_baselines(model, acc)
        if not baselines:
            reason = "too little history: no meter has a day of full hours"
            raise InsufficientHistoryError(reason, app=APP)
        base = base_load(acc.site_hours)
        reference = {
            site: _round(float(rows["base_kw"].median()))  # type: ignore[arg-type]
            for site, rows in sorted(
                (str(k[0]), v) for k, v in base.group_by("site", maintain_order=True)
            )
            if rows.height
        }
        entries: list[dict[str, Any]] = []
        for b in baselines:
            entry = {k: (_round(v) if isinstance(v, float) else v) for k, v in b.to_json().items()}
            entry["coefficients"] = [_round(c) for c in b.coefficients]
            entries.append(entry)
        artifact: dict[str, Any] = {"baselines": entries, "reference_base_kw": reference}
        text = json.dumps(artifact, sort_keys=True)
        version = hashlib.sha256(text.encode()).hexdigest()[:16]
        store.write_table(
            ARTIFACT_TABLE,
            pl.DataFrame(
                {"trained_until": [until], "version": [version], "artifact": [text]},
                schema={"trained_until": pl.Int64, "version": pl.Utf8, "artifact": pl.Utf8},
            ).to_arrow(),
        )
        self._cache = {"version": version, "trained_until": until, "artifact": artifact}
        met = sum(b.meets_guideline_14 for b in baselines)
        short = (
            ("the baselines cover less than a week's operating cycle",)
            if until - start < 7 * DAY_US
            else ()
        )
        return FitReport(
            app=APP,
            version=version,
            trained_until=until,
            rows=sum(b.hours for b in baselines),
            metrics={
                "meters": float(len(baselines)),
                "guideline_14_met": float(met),
                "cv_rmse_max": max(b.cv_rmse for b in baselines),
                "nmbe_abs_max": max(abs(b.nmbe) for b in baselines),
                "cv_rmse_test_max": max(b.cv_rmse_test for b in baselines),
            },
            notes=short
            + tuple(
                f"{b.meter}: CV(RMSE) {b.cv_rmse:.1f} %, NMBE {b.nmbe:.2f} % "
                f"({'meets' if b.meets_guideline_14 else 'fails'} Guideline 14)"
                for b in baselines
            )
            + tuple(f.text for f in acc.flags[:20]),
        )

    def _artifact(self, store: Store, now: int) -> dict[str, Any] | None:
        found = newest_artifact(store, ARTIFACT_TABLE, now=now, cached=self._cache)
        if found is not None:
            self._cache = found
        return found

    def baselines(self, store: Store, *, now: int) -> list[Baseline]:
        """Return the baselines of the newest fit before ``now`` (none before a fit)."""
        found = self._artifact(store, now)
        if found is None:
            return []
        return [Baseline.from_json(b) for b in found["artifact"]["baselines"]]

    def reference_base_kw(self, store: Store, *, now: int) -> dict[str, float]:
        """Return each site's fitted base load, kW, of the newest fit before ``now``."""
        found = self._artifact(store, now)
        if found is None:
            return {}
        return {str(k): float(v) for k, v in found["artifact"]["reference_base_kw"].items()}

    # -------------------------------------------------------------- propose

    def propose(self, store: Store, model: Model, *, now: int) -> list[Proposal]:
        """Return the material waste decisions of the recent weeks."""
        found = self._artifact(store, now)
        if found is None:
            return []
        start = now - round(self.settings.propose_lookback_days * DAY_US)
        acc = account(store, model, start=start, end=now)
        reference = {str(k): float(v) for k, v in found["artifact"]["reference_base_kw"].items()}
        wastes = [
            *switch_off_rules(store, model, acc, start=start, end=now),
            *leaks(model, acc, reference_base_kw=reference),
            *utilities_without_demand(model, acc),
        ]
        proposals = [
            self._proposal(w, acc, now=now, version=str(found["version"]))
            for w in wastes
            if _round(w.value_per_year, 4) >= self.settings.min_value_per_year
        ]
        return sorted(proposals, key=lambda p: (p.subject, p.action.kind))

    def _proposal(self, waste: Waste, acc: EnergyAccount, *, now: int, version: str) -> Proposal:
        value = _round(waste.value_per_year, 4)
        kwh = _round(waste.kwh_per_year, 4)
        co2 = _round(waste.kg_co2e_per_year, 4)
        subject = waste.subject
        name = subject.rsplit("/", 1)[-1]
        if waste.kind == SWITCH_OFF_IDLE.name:
            label = f"switch {name} off after {waste.idle_minutes:g} min idle"
            explanation = (
                f"{name} idled in {waste.evidence['idle_stretches']} stretches over "
                f"{acc.hours / 24:.0f} days; switched off after {waste.idle_minutes:g} min, "
                f"with the warm-up it then needs, it saves {kwh:,.0f} kWh and "
                f"{co2:,.0f} kg CO2e a year"
            )
            confidence = 0.8
        elif waste.kind == FIX_LEAK.name:
            if waste.since_us is not None:
                label = f"find the load left on at {name}: base load up {waste.kw:.1f} kW"
                explanation = (
                    f"the base load when nothing produces is {waste.kw:.1f} kW above its "
                    f"reference since {to_iso(waste.since_us)}: {kwh:,.0f} kWh a year"
                )
            else:
                label = f"fix the compressed-air leaks at {name}: {waste.kw:.1f} kW"
                explanation = (
                    f"with nothing producing the compressors draw {waste.kw:.1f} kW above "
                    f"their idle power: air lost to leaks, {kwh:,.0f} kWh and "
                    f"{co2:,.0f} kg CO2e a year"
                )
            confidence = 0.6
        else:
            label = f"stage {name} to demand: compressors off when nothing produces"
            explanation = (
                f"the compressors idle for {waste.kw:.1f} kW in hours when nothing "
                f"produces: {kwh:,.0f} kWh a year"
            )
            confidence = 0.6
        action = Action(
            kind=waste.kind,
            subject=subject,
            slot_start=now,
            label=label,
            idle_minutes=waste.idle_minutes,
        )
        evidence: dict[str, Any] = {
            "kwh_per_year": kwh,
            "kg_co2e_per_year": co2,
            "period_start": acc.start_us,
            "period_end": acc.end_us,
            **{k: (_round(v) if isinstance(v, float) else v) for k, v in waste.evidence.items()},
        }
        if waste.idle_minutes is not None:
            evidence["idle_minutes"] = waste.idle_minutes
        if waste.kw is not None:
            evidence["kw"] = _round(waste.kw)
        flags = [
            f.text for f in acc.flags if subject.startswith(f.where) or f.where.startswith(subject)
        ]
        factors = (
            Factor(name="energy", text=f"{kwh:,.0f} kWh a year", weight=1.0, value=kwh),
            Factor(name="carbon", text=f"{co2:,.0f} kg CO2e a year", weight=0.5, value=co2),
            *(Factor(name="data_quality", text=t, weight=0.0) for t in flags[:3]),
        )
        return Proposal(
            app=APP,
            subject=subject,
            action=action,
            options=(
                Option(action="keep as is", expected_cost=value),
                Option(action=label, expected_cost=0.0),
            ),
            expected_value=value,
            value_low=_round(0.6 * value, 4),
            value_high=_round(1.2 * value, 4),
            confidence=confidence * (0.5 if flags else 1.0),
            explanation=explanation,
            factors=factors,
            evidence=evidence,
            created_at=now,
            expires_at=now + round(self.settings.expiry_days * DAY_US),
            model_version=version,
            supersede_key=waste.kind,
        )

    # -------------------------------------------------------------- outcome

    def outcome(
        self, store: Store, model: Model, *, action: Action, decided_at: int, now: int
    ) -> Outcome | None:
        """Measure the waste on the subject after the decision against the span before it."""
        span = min(now - decided_at, 7 * DAY_US)
        if span < DAY_US:
            return None
        before = account(store, model, start=decided_at - span, end=decided_at)
        after = account(store, model, start=decided_at, end=decided_at + span)
        if action.kind == SWITCH_OFF_IDLE.name:
            # Switched off, the machine idles less and warms up more: the net waste counts.
            was, now_kwh = (
                float(
                    a.by_state.filter(
                        (pl.col("path") == action.subject)
                        & pl.col("category").is_in(["idle", "warmup"])
                    )["kwh"].sum()
                )
                for a in (before, after)
            )
        else:
            site = "/".join(action.subject.split("/")[:2])
            was, now_kwh = (
                float(base_load(a.site_hours).filter(pl.col("site") == site)["base_kw"].sum())
                for a in (before, after)
            )
        saved_per_year = (was - now_kwh) * (8760.0 * HOUR_US / span)
        return Outcome(
            measured_at=decided_at + span,
            realised_value=None,
            success=now_kwh < was,
            detail={
                "kwh_before": was,
                "kwh_after": now_kwh,
                "kwh_saved_per_year": saved_per_year,
                "span_days": span / DAY_US,
            },
        )


def _first_energy(store: Store) -> int | None:
    """Return the time of the oldest meter reading, ``None`` when there is none."""
    table = store.records(RecordKind.ENERGY, limit=1)
    if table.num_rows == 0:
        return None
    return to_micros(table.column("ts")[0].as_py())
