"""The quality decision app: latent-defect risk per unit, then hold, extra test or release.

``fit`` reads the units of the look-back window (their signatures at every station, their
genealogy, the condition and work orders of each machine that made them, their shifts and
the changeovers around them: :mod:`andon.apps.quality.signature`) and the inspections
that judged them, and fits the calibrated risk model (:mod:`andon.apps.quality.risk`). The
fitted model is stored as a versioned row of the auxiliary table ``quality_risk_models``.

``propose`` scores the units that passed their inspections in the last day of production
(``propose_window_h`` before the newest unit record, at most ``ship_after_h`` before
``now``), chooses per unit under the test capacity of each site's test stations
(:func:`andon.apps.quality.decide.choose`) and returns at most one proposal per station and
kind (extra test, hold) whose expected value passes ``min_value``: the inbox never fills
with proposals worth nothing.

The economics per product come from its ``scrap_cost`` (the model has no field for escape
and test costs): an escape costs ``escape_cost_factor`` times it, an extra test
``test_cost_factor`` times it, a hold ``hold_cost_factor`` times it (see
:class:`QualitySettings`). A product without a scrap cost cannot be valued and is not
proposed on.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from andon.apps.quality.actions import EXTRA_TEST, HOLD, REAL_TIME_RELEASE
from andon.apps.quality.batches import awaiting_lab, fit_regions
from andon.apps.quality.decide import choose
from andon.apps.quality.explain import factor_text
from andon.apps.quality.history import load_unit_tables
from andon.apps.quality.release import (
    MIN_BATCHES,
    ReleaseRegion,
    regions_from_json,
    regions_json,
)
from andon.apps.quality.risk import ID_COLUMNS, UnitRiskModel
from andon.apps.quality.signature import (
    ParameterScale,
    frame_of,
    parameter_scale,
    unit_frame,
    unit_outcomes,
)
from andon.errors import InsufficientHistoryError, StoreError
from andon.model import Model
from andon.model.schema import EquipmentRole
from andon.proposals import Action, Factor, FitReport, Option, Outcome, Proposal
from andon.store import AuxTable
from andon.store import quality_queries as qq
from andon.store.base import Store
from andon.time import HOUR_US

__all__ = [
    "ARTIFACT_TABLE",
    "REGION_TABLE",
    "QualityApp",
    "QualitySettings",
    "ScoredUnits",
    "UnitAssessment",
]

ARTIFACT_TABLE = "quality_risk_models"
"""Auxiliary store table of fitted risk models, one row per fit."""
REGION_TABLE = "quality_release_regions"
"""Auxiliary store table of fitted batch release regions, one row per fit."""

_REGIONS = AuxTable(
    name=REGION_TABLE,
    version=1,
    schema=pa.schema(
        [
            pa.field("trained_until", pa.int64(), nullable=False),
            pa.field("version", pa.string(), nullable=False),
            pa.field("regions", pa.string(), nullable=False),
        ]
    ),
    description="normal regions of batch signatures for real-time release (quality app)",
)

_ARTIFACTS = AuxTable(
    name=ARTIFACT_TABLE,
    version=1,
    schema=pa.schema(
        [
            pa.field("trained_until", pa.int64(), nullable=False),
            pa.field("version", pa.string(), nullable=False),
            pa.field("metrics", pa.string(), nullable=False),
            pa.field("artifact", pa.string(), nullable=False),
        ]
    ),
    description="fitted latent-defect risk models of the quality app",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class QualitySettings:
    """How the app looks at history and what its decisions cost."""

    fit_lookback_h: float = 24.0 * 60
    """History used by ``fit``, hours before ``until``."""
    propose_window_h: float = 24.0
    """Units whose last record lies within this many hours before the newest unit record
    (at or before ``now``) are decided on: the last day of production, weekends skipped."""
    ship_after_h: float = 168.0
    """Units older than this at ``now`` have shipped (a week in finished-goods stock):
    nothing is decided on them."""
    escape_cost_factor: float = 8.0
    """Cost of a defect that escapes to the customer, times the product's scrap cost."""
    test_cost_factor: float = 0.1
    """Cost of one extra test, times the product's scrap cost."""
    hold_cost_factor: float = 0.05
    """Cost of holding a unit until a later shift's test, times the product's scrap cost."""
    slot_cost_factor: float = 0.01
    """Cost of one extra test in the capacity set aside for extra tests (``test_budget``,
    staffed and paid for the shift whether used or not): what one more test consumes,
    times the product's scrap cost (see :mod:`andon.apps.quality.decide`)."""
    test_sensitivity: float = 0.95
    """Share of defects the extra test finds."""
    test_budget: float = 0.05
    """Extra tests a test station has in a round, as a share of the units decided on."""
    pool_sites: bool = True
    """Pool the extra-test capacity of a site's test stations: a unit may be carried to
    any of them, so the site's riskiest units get the tests whichever line made them."""
    min_value: float = 50.0
    """Expected saving (model currency) below which a proposal is not made."""
    min_failures: int = 10
    """Failed inspections the risk model needs before it speaks."""
    rounds: int = 300
    """Boosting rounds of the risk model."""
    proposal_ttl_h: float = 8.0
    """Hours a proposal stays open (about a shift)."""
    outcome_wait_h: float = 72.0
    """Hours after a decision before its outcome is measured without a later inspection."""
    seed: int = 0
    """Seed of model fitting (results are deterministic for a seed)."""
    release_false_alarm_rate: float = 0.05
    """Share of good batches the normal region of real-time release leaves outside (they
    wait for their lab result), set on held-out passed batches."""
    release_min_batches: int = MIN_BATCHES
    """Batches with a lab result a product needs before its batches are released early."""
    lab_hold_cost_factor: float = 0.1
    """Cost of keeping a batch until its lab result (tank, working capital, a later
    delivery), times the product's scrap cost: what a release before the lab saves."""
    recall_cost_factor: float = 1.5
    """Cost of a batch released before its lab result that the lab then fails (recalled
    before use and scrapped), times the product's scrap cost."""
    lab_wait_h: float = 48.0
    """Hours after a real-time release before its outcome is measured without a lab result."""


@dataclass(frozen=True, slots=True)
class _Fitted:
    version: str
    trained_until: int
    scale: ParameterScale
    model: UnitRiskModel


@dataclass(frozen=True, slots=True)
class ScoredUnits:
    """Units decided on at one moment: their signature rows and risk (``p``), station,
    economics and decision (see :func:`andon.apps.quality.decide.choose`)."""

    frame: pl.DataFrame
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitAssessment:
    """One unit's latent-defect risk, what it rests on, and what the model cannot see."""

    serial: str
    product: str
    lot: str | None
    stations: tuple[str, ...]
    """Equipment paths the unit's records name, in the order it passed them."""
    missing_stations: int
    """Stations of its routing before its last one that left no record."""
    inspected: bool
    failed: bool
    p_latent: float
    """P(latent defect | signature, the test it passed); for a failed unit, its P(fail)."""
    p_fail: float
    factors: tuple[Factor, ...]
    model_version: str


def _station_of(model: Model) -> dict[str, str]:
    """Line path -> the path of its first inspection station (the line's own path if none)."""
    out: dict[str, str] = {}
    for info in sorted(model.equipment.values(), key=lambda e: e.path):
        if info.role is EquipmentRole.INSPECTION:
            out.setdefault(info.line_path, info.path)
    return out


@dataclass(slots=True)
class QualityApp:
    """Latent quality risk and hold / extra test / release decisions (see the module)."""

    settings: QualitySettings = field(default_factory=QualitySettings)
    name: str = "quality"
    _fitted: _Fitted | None = field(default=None, repr=False)
    _regions: tuple[ReleaseRegion, ...] = field(default=(), repr=False)
    _regions_until: int | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ fit

    def training_frame(
        self, store: Store, model: Model, *, start: int, end: int
    ) -> tuple[pl.DataFrame, ParameterScale]:
        """Return the inspected units of ``[start, end)`` with their signature features and
        ``failed``, ``inspected_us``, ``test_value``, oldest first; and the parameter scale."""
        tables = load_unit_tables(store, model, start=start, end=end)
        scale = parameter_scale(tables.units)
        frame = unit_frame(tables, model, scale)
        outcomes = unit_outcomes(tables.inspections)
        joined = frame.join(outcomes, on="serial", how="inner").sort(["first_us", "serial"])
        return joined, scale

    def fit(self, store: Store, model: Model, *, until: int) -> FitReport:
        """Fit the risk model on the inspected units before ``until`` and store it."""
        s = self.settings
        start = until - round(s.fit_lookback_h * HOUR_US)
        region_notes = self._fit_regions(store, model, start=start, until=until)
        frame, scale = self.training_frame(store, model, start=start, end=until)
        failed = (
            frame.get_column("failed").to_numpy().astype(bool)
            if frame.height
            else np.zeros(0, bool)
        )
        try:
            risk = UnitRiskModel.fit(
                frame.drop(["failed", "inspected_us", "test_value"]),
                failed,
                _values(frame),
                rounds=s.rounds,
                seed=s.seed,
                min_failures=s.min_failures,
            )
        except InsufficientHistoryError as exc:
            if self._regions:
                return self._regions_report(
                    until, rows=frame.height, why=exc.reason, notes=region_notes
                )
            raise InsufficientHistoryError(exc.reason, app=self.name) from exc
        scale_json = json.dumps(scale.to_json(), sort_keys=True)
        version = (
            "quality-" + hashlib.sha256((risk.to_json() + scale_json).encode()).hexdigest()[:16]
        )
        fitted = _Fitted(version=version, trained_until=until, scale=scale, model=risk)
        store.declare_table(_ARTIFACTS)
        store.write_table(
            ARTIFACT_TABLE,
            pa.table(
                {
                    "trained_until": pa.array([until], pa.int64()),
                    "version": [version],
                    "metrics": [json.dumps(dict(risk.metrics), sort_keys=True)],
                    "artifact": [json.dumps({"scale": scale_json, "model": risk.to_json()})],
                }
            ),
        )
        self._fitted = fitted
        curve = "; ".join(
            f"[{b.lower:.1f},{b.upper:.1f}) n={b.count} predicted {b.mean_predicted:.4f} "
            f"observed {b.observed:.4f}"
            for b in risk.reliability
        )
        notes = [f"reliability on held-out units: {curve}", *region_notes]
        if risk.mixture is None:
            notes.append("the test values do not separate good from defective units")
        return FitReport(
            app=self.name,
            version=version,
            trained_until=until,
            metrics={**risk.metrics, **_region_metrics(self._regions)},
            notes=tuple(notes),
            rows=frame.height,
        )

    def _load(self, store: Store, now: int) -> _Fitted | None:
        if self._fitted is not None and self._fitted.trained_until <= now:
            return self._fitted
        try:
            table = store.read_table(ARTIFACT_TABLE)
        except StoreError:
            return None
        rows = frame_of(table).filter(pl.col("trained_until") <= now)
        if rows.height == 0:
            return None
        row = rows.sort(["trained_until", "version"]).row(-1, named=True)
        data = json.loads(row["artifact"])
        fitted = _Fitted(
            version=row["version"],
            trained_until=int(row["trained_until"]),
            scale=ParameterScale.from_json(json.loads(data["scale"])),
            model=UnitRiskModel.from_json(data["model"]),
        )
        self._fitted = fitted
        return fitted

    def _fit_regions(self, store: Store, model: Model, *, start: int, until: int) -> list[str]:
        """Fit and store the batch products' release regions; return what could not be."""
        s = self.settings
        regions, notes = fit_regions(
            store,
            model,
            start=start,
            end=until,
            false_alarm_rate=s.release_false_alarm_rate,
            min_batches=s.release_min_batches,
        )
        self._regions = tuple(regions)
        self._regions_until = until
        if regions:
            text = regions_json(regions)
            store.declare_table(_REGIONS)
            store.write_table(
                REGION_TABLE,
                pa.table(
                    {
                        "trained_until": pa.array([until], pa.int64()),
                        "version": [_region_version(text)],
                        "regions": [text],
                    }
                ),
            )
        for r in regions:
            notes.append(
                f"real-time release of {r.product}: region on {r.fitted_on} passed batches, "
                f"limit T² {r.limit:.2f} at a {r.false_alarm_rate:.0%} design rate "
                f"({r.measured_false_alarm:.0%} of held-out passed batches outside); "
                f"{r.failed_inside} of {r.inside} held-out batches inside failed the lab: "
                f"confidence {r.confidence:.3f}"
            )
        return notes

    def _regions_report(self, until: int, *, rows: int, why: str, notes: list[str]) -> FitReport:
        return FitReport(
            app=self.name,
            version=_region_version(regions_json(self._regions)),
            trained_until=until,
            metrics=_region_metrics(self._regions),
            notes=(f"no unit risk model: {why}", *notes),
            rows=rows,
        )

    def release_regions(self, store: Store, *, now: int) -> tuple[ReleaseRegion, ...]:
        """Return the newest release regions fitted at or before ``now`` (none: empty)."""
        if self._regions_until is not None and self._regions_until <= now:
            return self._regions
        try:
            table = store.read_table(REGION_TABLE)
        except StoreError:
            return ()
        rows = frame_of(table).filter(pl.col("trained_until") <= now)
        if rows.height == 0:
            return ()
        row = rows.sort(["trained_until", "version"]).row(-1, named=True)
        self._regions = regions_from_json(row["regions"])
        self._regions_until = int(row["trained_until"])
        return self._regions

    def batches_awaiting_lab(self, store: Store, model: Model, *, now: int) -> pl.DataFrame:
        """Return the batches of the last ``propose_window_h`` whose whole signature is in
        and whose lab result is not, with their T² against their product's region."""
        regions = self.release_regions(store, now=now)
        if not regions:
            return pl.DataFrame()
        start = now - round(self.settings.propose_window_h * HOUR_US)
        return awaiting_lab(store, model, regions, start=start, end=now)

    # ------------------------------------------------------------------ propose

    def score(self, store: Store, model: Model, *, now: int) -> ScoredUnits | None:
        """Return the units decided on at ``now`` with their risk and decision; ``None``
        before a fit."""
        fitted = self._load(store, now)
        if fitted is None:
            return None
        s = self.settings
        newest = qq.latest_unit(store, end=now)
        if newest is None or now - newest > s.ship_after_h * HOUR_US:
            return ScoredUnits(frame=pl.DataFrame(), version=fitted.version)
        start = max(
            newest - round(s.propose_window_h * HOUR_US), now - round(s.ship_after_h * HOUR_US)
        )
        tables = load_unit_tables(store, model, start=start, end=now)
        frame = unit_frame(tables, model, fitted.scale)
        outcomes = unit_outcomes(tables.inspections)
        stations = _station_of(model)
        frame = frame.join(outcomes, on="serial", how="left").with_columns(
            pl.col("line").replace_strict(stations, default=None).alias("test_station")
        )
        # The units decided on passed their inspections: a unit not inspected yet is still
        # on its way to the test, and one that nothing tests gives the model no evidence.
        frame = frame.filter(pl.col("inspected_us").is_not_null() & ~pl.col("failed")).with_columns(
            pl.coalesce("test_station", "line").alias("station")
        )
        frame = frame.with_columns(
            (
                pl.col("station").str.extract(r"^([^/]+/[^/]+)")
                if s.pool_sites
                else pl.col("station")
            ).alias("pool")
        )
        risk = fitted.model.score(
            frame.drop([c for c in ("failed", "inspected_us", "test_value") if c in frame.columns]),
            _values(frame),
            frame.get_column("inspected_us").is_not_null().to_numpy(),
        )
        costs = {p.id: max(p.scrap_cost, 0.0) for p in model.products.values()}
        frame = frame.with_columns(
            pl.Series("p", risk.p_latent),
            pl.Series("p_fail", risk.p_fail),
            pl.Series("test_ratio", risk.likelihood_ratio),
            pl.col("product")
            .replace_strict(costs, default=0.0, return_dtype=pl.Float64)
            .alias("unit_cost"),
        ).with_columns(
            (pl.col("unit_cost") * s.escape_cost_factor).alias("escape_cost"),
            (pl.col("unit_cost") * s.test_cost_factor).alias("test_cost"),
            (pl.col("unit_cost") * s.hold_cost_factor).alias("hold_cost"),
            (pl.col("unit_cost") * s.slot_cost_factor).alias("slot_cost"),
        )
        counts = frame.group_by("pool").len()
        capacity = {
            row["pool"]: math.floor(s.test_budget * row["len"])
            for row in counts.iter_rows(named=True)
        }
        decided = choose(
            frame.filter(pl.col("unit_cost") > 0),
            capacity=capacity,
            sensitivity=s.test_sensitivity,
            by="pool",
        )
        return ScoredUnits(frame=decided.sort(["station", "rank"]), version=fitted.version)

    def assess_unit(
        self, store: Store, model: Model, *, serial: str, now: int
    ) -> UnitAssessment | None:
        """Return one unit's risk and factors from its records before ``now``; ``None``
        before a fit or for a serial with no unit record.

        The unit is read with the other units of its lot, so that its deviations from its
        lot's mean are those the batch scoring of :meth:`score` sees."""
        fitted = self._load(store, now)
        if fitted is None:
            return None
        own = frame_of(qq.unit_signatures(store, start=0, end=now, serials=(serial,)))
        if own.height == 0:
            return None
        lots = sorted({str(v) for v in own.get_column("lot").to_list() if v is not None})
        tables = load_unit_tables(
            store, model, start=0, end=now, **({"lots": lots} if lots else {"serials": (serial,)})
        )
        frame = unit_frame(tables, model, fitted.scale).filter(pl.col("serial") == serial)
        frame = frame.join(unit_outcomes(tables.inspections), on="serial", how="left")
        inspected = frame.get_column("inspected_us").is_not_null().to_numpy()
        risk = fitted.model.score(
            frame.drop([c for c in ("failed", "inspected_us", "test_value") if c in frame.columns]),
            _values(frame),
            inspected,
        )
        frame = frame.with_columns(
            pl.Series("p", risk.p_latent), pl.Series("test_ratio", risk.likelihood_ratio)
        )
        row = frame.row(0, named=True)
        stations = tuple(
            tables.units.sort(["ts_us", "path"]).get_column("path").unique(maintain_order=True)
        )
        return UnitAssessment(
            serial=serial,
            product=str(row["product"]),
            lot=row["lot"],
            stations=stations,
            missing_stations=int(row["missing_stations"]),
            inspected=bool(inspected[0]),
            failed=bool(row["failed"]) if row["failed"] is not None else False,
            p_latent=float(risk.p_latent[0]),
            p_fail=float(risk.p_fail[0]),
            factors=tuple(self._factors(model, fitted, frame)),
            model_version=fitted.version,
        )

    def propose(self, store: Store, model: Model, *, now: int) -> list[Proposal]:
        """Return at most one extra-test and one hold proposal per test station, and one
        real-time release per batch inside its product's normal region."""
        releases = self._release_proposals(store, model, now=now)
        scored = self.score(store, model, now=now)
        if scored is None or scored.frame.height == 0:
            return releases
        fitted = self._fitted
        assert fitted is not None
        out: list[Proposal] = list(releases)
        frame = scored.frame
        pairs = (
            frame.filter(pl.col("decision") != "release")
            .select("station", "decision")
            .unique()
            .sort(["station", "decision"])
        )
        for station, kind in pairs.iter_rows():
            units = frame.filter((pl.col("station") == station) & (pl.col("decision") == kind))
            proposal = self._proposal(
                model, fitted=fitted, units=units, station=station, kind=kind, now=now
            )
            if proposal is not None:
                out.append(proposal)
        return out

    def _release_proposals(self, store: Store, model: Model, *, now: int) -> list[Proposal]:
        s = self.settings
        batches = self.batches_awaiting_lab(store, model, now=now)
        if batches.height == 0:
            return []
        regions = {r.product: r for r in self._regions}
        out = []
        for row in batches.filter(pl.col("inside")).iter_rows(named=True):
            region = regions[row["product"]]
            cost = max(model.products[row["product"]].scrap_cost, 0.0)
            p_fail = 1.0 - region.confidence
            hold = cost * s.lab_hold_cost_factor
            recall = cost * s.recall_cost_factor
            value = hold - p_fail * recall
            if not value >= s.min_value:
                continue
            serial = str(row["serial"])
            lots = (str(row["lot"]),) if row["lot"] is not None else ()
            matrix = np.array([[row[v] for v in region.variables]], dtype=np.float64)
            parts = region.contributions(matrix)[0]
            largest = int(np.argmax(parts))
            factors = (
                Factor(
                    name="t2",
                    text=(
                        f"the batch's signature lies inside the normal region of {region.product} "
                        f"(T² {row['t2']:.2f} against the limit {region.limit:.2f})"
                    ),
                    value=float(row["t2"]),
                ),
                Factor(
                    name=region.variables[largest],
                    text=(
                        f"its largest part is {region.variables[largest].replace(':', ' ')} "
                        f"at {row[region.variables[largest]]:.4g}"
                    ),
                    weight=float(parts[largest] / max(float(parts.sum()), 1e-12)),
                    value=float(row[region.variables[largest]]),
                ),
            )
            label = f"release batch {serial} before its lab result"
            out.append(
                Proposal(
                    app=self.name,
                    subject=str(row["line"]),
                    action=Action(
                        kind=REAL_TIME_RELEASE,
                        subject=str(row["line"]),
                        units=(serial,),
                        lots=lots,
                        label=label,
                    ),
                    options=(
                        Option(action="wait for the lab", expected_cost=hold),
                        Option(action="release now", expected_cost=p_fail * recall),
                    ),
                    expected_value=value,
                    value_low=hold - recall,
                    value_high=hold,
                    confidence=region.confidence,
                    explanation=(
                        f"batch {serial} of {region.product}: its signature lies inside the "
                        f"normal region; {region.inside - region.failed_inside} of "
                        f"{region.inside} held-out batches inside passed the lab, so the lab "
                        f"is expected to pass it with confidence {region.confidence:.3f}"
                    ),
                    factors=factors,
                    evidence={
                        "t2": float(row["t2"]),
                        "limit": region.limit,
                        "false_alarm_rate": region.false_alarm_rate,
                        "held_out_inside": region.inside,
                        "held_out_failed_inside": region.failed_inside,
                    },
                    created_at=now,
                    expires_at=now + round(s.proposal_ttl_h * HOUR_US),
                    model_version=_region_version(regions_json(self._regions)),
                    supersede_key=f"{REAL_TIME_RELEASE}:{serial}",
                )
            )
        return out

    def _proposal(
        self,
        model: Model,
        *,
        fitted: _Fitted,
        units: pl.DataFrame,
        station: str,
        kind: str,
        now: int,
    ) -> Proposal | None:
        s = self.settings
        saving = units.get_column("saving").to_numpy()
        extra = units.get_column("hold_cost").to_numpy() if kind == HOLD else np.zeros(len(saving))
        value = float((saving - extra).sum())
        if not value >= s.min_value:
            return None
        p = units.get_column("p").to_numpy()
        escape = units.get_column("escape_cost").to_numpy()
        spread = 1.2816 * float(np.sqrt((p * (1 - p) * (escape * s.test_sensitivity) ** 2).sum()))
        release_cost = float((p * escape).sum())
        serials = tuple(sorted(units.get_column("serial").to_list()))
        lots = tuple(sorted({str(v) for v in units.get_column("lot").to_list() if v is not None}))
        verb = "extra test" if kind == EXTRA_TEST else "hold"
        where = station.rsplit("/", maxsplit=1)[-1]
        label = f"{verb} {len(serials)} unit(s) of {len(lots)} lot(s) at {where}"
        action = Action(kind=kind, subject=station, units=serials, lots=lots, label=label)
        factors = self._factors(model, fitted, units)
        auc = float(fitted.model.metrics.get("held_out_roc_auc_fail", 0.5))
        complete = float((units.get_column("missing_stations").to_numpy() == 0).mean())
        confidence = float(np.clip(2.0 * (auc - 0.5), 0.05, 0.95) * complete)
        expected = float(p.sum())
        explanation = (
            f"{len(serials)} unit(s) carry {expected:.1f} expected latent defect(s); "
            f"{verb} saves {value:.0f} {model.currency} against release"
        )
        if factors:
            explanation += "; top factor: " + factors[0].text
        return Proposal(
            app=self.name,
            subject=station,
            action=action,
            options=(
                Option(action="release", expected_cost=release_cost),
                Option(action=verb, expected_cost=release_cost - value),
            ),
            expected_value=value,
            value_low=value - spread,
            value_high=value + spread,
            confidence=confidence,
            explanation=explanation,
            factors=tuple(factors),
            evidence={
                "units": len(serials),
                "expected_defects": expected,
                "highest_risk": float(p.max()),
                "complete_records": complete,
            },
            created_at=now,
            expires_at=now + round(s.proposal_ttl_h * HOUR_US),
            model_version=fitted.version,
            supersede_key=kind,
        )

    def _factors(self, model: Model, fitted: _Fitted, units: pl.DataFrame) -> list[Factor]:
        """The three features that raised the risk of these units most, in plain words
        (worded with the value of the unit they raised most), and what the test values said;
        or, when the signature model learnt nothing, that reason."""
        out = _test_factor(fitted, units)
        if not fitted.model.informative:
            auc = fitted.model.metrics.get("held_out_roc_auc_fail", 0.0)
            return [
                Factor(
                    name="data_quality",
                    text=(
                        f"the signature model ranks held-out units no better than chance "
                        f"(ROC AUC {auc:.2f}): the risk rests on the test values alone"
                    ),
                    value=auc,
                ),
                *out,
            ]
        return self._signature_factors(model, fitted, units) + out

    def _signature_factors(
        self, model: Model, fitted: _Fitted, units: pl.DataFrame
    ) -> list[Factor]:
        risky = units.sort(["p", "serial"], descending=[True, False]).head(50)
        contrib = fitted.model.contributions(risky)
        names = fitted.model.features
        if contrib.size == 0:
            return []
        body = contrib[:, : len(names)]
        total = np.clip(body, 0, None).sum(axis=0)
        positive = float(total.sum()) or 1.0
        order = sorted(range(len(names)), key=lambda k: (-total[k], names[k]))[:3]
        shifts = _shift_ids(model, units)
        out = []
        for k in order:
            if total[k] <= 0:
                continue
            name = names[k]
            row = int(np.argmax(body[:, k]))
            value = risky.get_column(name)[row] if name in risky.columns else None
            shown = None if value is None or isinstance(value, str) else float(value)
            out.append(
                Factor(
                    name=name,
                    text=factor_text(name, shown, shifts),
                    weight=float(total[k] / positive),
                    value=shown if shown is None or math.isfinite(shown) else None,
                )
            )
        return out

    # ------------------------------------------------------------------ outcome

    def _lab_outcome(
        self, store: Store, model: Model, *, action: Action, decided_at: int, now: int
    ) -> Outcome | None:
        s = self.settings
        labs = frame_of(
            qq.inspections(store, start=0, end=now + 1, serials=sorted(action.units))
        ).filter(pl.col("ts_us") <= now)
        if labs.height == 0:
            if now - decided_at < round(s.lab_wait_h * HOUR_US):
                return None
            return Outcome(
                measured_at=now,
                realised_value=None,
                success=None,
                detail={"batches": len(action.units), "lab_results": 0},
            )
        products = frame_of(
            qq.unit_signatures(store, start=0, end=now + 1, serials=sorted(action.units))
        ).get_column("product")
        cost = max(model.products[str(products[0])].scrap_cost, 0.0) if products.len() else 0.0
        failed = labs.filter(~pl.col("passed")).get_column("serial").n_unique()
        saved = cost * s.lab_hold_cost_factor * len(action.units)
        return Outcome(
            measured_at=now,
            realised_value=saved - failed * cost * s.recall_cost_factor,
            success=failed == 0,
            detail={
                "batches": len(action.units),
                "lab_results": labs.get_column("serial").n_unique(),
                "lab_failed": failed,
                "lab_after_decision": int((labs.get_column("ts_us") > decided_at).sum()),
            },
        )

    def outcome(
        self, store: Store, model: Model, *, action: Action, decided_at: int, now: int
    ) -> Outcome | None:
        """Measure from the later inspections of the action's units what it found; for a
        real-time release, the batch's lab result."""
        units = set(action.units)
        if not units:
            return None
        if action.kind == REAL_TIME_RELEASE:
            return self._lab_outcome(store, model, action=action, decided_at=decided_at, now=now)
        lookback = round(self.settings.fit_lookback_h * HOUR_US)
        later = frame_of(qq.inspections(store, start=decided_at - lookback, end=now)).filter(
            pl.col("serial").is_in(sorted(units)) & (pl.col("ts_us") > decided_at)
        )
        wait = round(self.settings.outcome_wait_h * HOUR_US)
        if later.height == 0 and now - decided_at < wait:
            return None
        failed = later.filter(~pl.col("passed")).get_column("serial").n_unique()
        tested = later.get_column("serial").n_unique()
        return Outcome(
            measured_at=now,
            realised_value=None,
            success=(failed > 0) if tested else None,
            detail={
                "units": len(units),
                "inspected_after": tested,
                "failed_after": failed,
            },
        )


def _region_version(text: str) -> str:
    return "quality-release-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _region_metrics(regions: tuple[ReleaseRegion, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in regions:
        out[f"release_confidence:{r.product}"] = r.confidence
        out[f"release_measured_false_alarm:{r.product}"] = r.measured_false_alarm
    return out


def _values(frame: pl.DataFrame) -> npt.NDArray[np.float64]:
    if "test_value" not in frame.columns:
        return np.full(frame.height, np.nan)
    return frame.get_column("test_value").cast(pl.Float64).fill_null(np.nan).to_numpy()


def _test_factor(fitted: _Fitted, units: pl.DataFrame) -> list[Factor]:
    """What the values of the tests the units passed said, when they raised the odds."""
    mixture = fitted.model.mixture
    if mixture is None:
        return []
    ratio = units.get_column("test_ratio").to_numpy()
    raised = int((ratio > 1.0).sum())
    if raised == 0:
        return []
    return [
        Factor(
            name="test_value",
            text=(
                f"{raised} of {len(ratio)} unit(s) passed their test with a value where "
                f"defective units' values lie (the test fails "
                f"{mixture.sensitivity:.0%} of defects)"
            ),
            weight=float(raised / len(ratio)),
            value=float(np.median(ratio)),
        )
    ]


def _shift_ids(model: Model, units: pl.DataFrame) -> list[str]:
    lines = units.get_column("line").to_list()
    if not lines:
        return []
    site_path = "/".join(str(lines[0]).split("/")[:2])
    site = model.sites.get(site_path)
    return [sh.id for sh in site.shifts] if site is not None else []


_ = ID_COLUMNS
