"""Drift: inputs of a fitted model (population stability index and a two-sample
Kolmogorov-Smirnov test per feature) and its outcomes (success rate and calibration of its
decisions, recent against earlier); drift raises an escalation decision for an engineer.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> same = psi(rng.normal(size=5000), rng.normal(size=5000))
>>> shifted = psi(rng.normal(size=5000), rng.normal(1.0, size=5000))
>>> same < 0.1 < 0.25 < shifted
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from andon.decisions._json import now_us
from andon.decisions.access import Role
from andon.decisions.errors import InvalidInputError
from andon.decisions.record import DecisionRecord
from andon.decisions.service import DecisionService
from andon.proposals import Action, ActionKind, Factor, Proposal, register_action_kinds

__all__ = [
    "DRIFT_APP",
    "DriftMonitor",
    "DriftReport",
    "FeatureDrift",
    "OutcomeDrift",
    "input_drift",
    "ks",
    "outcome_drift",
    "psi",
]

DRIFT_APP = "drift"

REVIEW_MODEL = ActionKind(
    name="review_model",
    app=DRIFT_APP,
    description="check or refit a fitted model whose inputs or outcomes drifted",
    executable=False,
)
"""The drift monitor's one action: a person checks the model; nothing runs in the plant."""
register_action_kinds(REVIEW_MODEL)
"""The app name of escalation decisions raised by drift."""

_EPS = 1e-4


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    finite: np.ndarray = array[np.isfinite(array)]
    return finite


def psi(reference: Sequence[float] | np.ndarray, current: Sequence[float] | np.ndarray,
        *, bins: int = 10) -> float:  # fmt: skip
    """Return the population stability index of ``current`` against ``reference``.

    Bins are the reference's deciles (so each holds a tenth of it); empty bins are floored
    at 0.01 % so that the logarithm stays finite. Rule of thumb: below 0.1 stable, 0.1-0.25
    moderate, above 0.25 a shift.
    """
    ref, cur = _clean(reference), _clean(current)
    if ref.size < bins or cur.size == 0:
        msg = f"PSI needs at least {bins} reference values and one current value"
        raise InvalidInputError(msg)
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)))
    if edges.size < 2:
        return 0.0 if np.all(cur == edges[0]) else math.inf
    inner = edges[1:-1]
    ref_share = np.bincount(np.searchsorted(inner, ref, side="right"), minlength=inner.size + 1)
    cur_share = np.bincount(np.searchsorted(inner, cur, side="right"), minlength=inner.size + 1)
    p = np.maximum(ref_share / ref.size, _EPS)
    q = np.maximum(cur_share / cur.size, _EPS)
    return float(np.sum((q - p) * np.log(q / p)))


def ks(reference: Sequence[float] | np.ndarray,
       current: Sequence[float] | np.ndarray) -> tuple[float, float]:  # fmt: skip
    """Return the two-sample Kolmogorov-Smirnov statistic and its p-value."""
    ref, cur = _clean(reference), _clean(current)
    if ref.size == 0 or cur.size == 0:
        msg = "the KS test needs values on both sides"
        raise InvalidInputError(msg)
    result = stats.ks_2samp(ref, cur)
    return float(result.statistic), float(result.pvalue)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureDrift:
    """How one input feature moved: PSI, KS statistic and p-value, and the verdict."""

    feature: str
    psi: float
    ks_statistic: float
    ks_p_value: float
    drifted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class OutcomeDrift:
    """How a model's decisions turned out recently against before."""

    baseline_count: int
    recent_count: int
    baseline_success_rate: float | None
    recent_success_rate: float | None
    p_value: float | None
    drifted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftReport:
    """One drift check of one fitted model, and the escalation it raised (if any)."""

    app: str
    model_version: str
    scope: str
    checked_at: int
    features: tuple[FeatureDrift, ...]
    outcome: OutcomeDrift | None
    escalation: DecisionRecord | None

    @property
    def drifted(self) -> bool:
        """Whether any input or the outcome drifted."""
        return any(f.drifted for f in self.features) or bool(self.outcome and self.outcome.drifted)


def input_drift(
    reference: Mapping[str, Sequence[float] | np.ndarray],
    current: Mapping[str, Sequence[float] | np.ndarray],
    *,
    psi_threshold: float = 0.25,
    p_threshold: float = 0.001,
) -> tuple[FeatureDrift, ...]:
    """Return the drift of every feature present on both sides, by feature name.

    A feature drifts when its PSI is above ``psi_threshold`` and the KS test rejects equal
    distributions at ``p_threshold``: both, so that a large sample's tiny but significant
    wobble, or a small sample's noisy PSI, does not call an engineer.
    """
    report = []
    for name in sorted(set(reference) & set(current)):
        index = psi(reference[name], current[name])
        statistic, p_value = ks(reference[name], current[name])
        report.append(
            FeatureDrift(
                feature=name,
                psi=index,
                ks_statistic=statistic,
                ks_p_value=p_value,
                drifted=index > psi_threshold and p_value < p_threshold,
            )
        )
    return tuple(report)


def outcome_drift(
    baseline: Sequence[bool], recent: Sequence[bool], *, p_threshold: float = 0.01,
    min_count: int = 20,
) -> OutcomeDrift:  # fmt: skip
    """Compare the success rate of recent decisions with earlier ones (two-proportion z-test).

    Too few outcomes on either side (``min_count``) say nothing: no drift is claimed.
    """
    n0, n1 = len(baseline), len(recent)
    rate0 = sum(baseline) / n0 if n0 else None
    rate1 = sum(recent) / n1 if n1 else None
    if n0 < min_count or n1 < min_count or rate0 is None or rate1 is None:
        return OutcomeDrift(
            baseline_count=n0,
            recent_count=n1,
            baseline_success_rate=rate0,
            recent_success_rate=rate1,
            p_value=None,
            drifted=False,
        )
    pooled = (sum(baseline) + sum(recent)) / (n0 + n1)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
    p_value = 1.0 if spread == 0 else float(2 * stats.norm.sf(abs(rate1 - rate0) / spread))
    return OutcomeDrift(
        baseline_count=n0,
        recent_count=n1,
        baseline_success_rate=rate0,
        recent_success_rate=rate1,
        p_value=p_value,
        drifted=p_value < p_threshold,
    )


DriftInputs = tuple[
    Mapping[str, Sequence[float] | np.ndarray],
    Mapping[str, Sequence[float] | np.ndarray],
    Sequence[bool],
    Sequence[bool],
]
"""What a check reads: reference and current features, earlier and recent outcomes."""


class DriftMonitor:
    """Check fitted models for drift on a schedule; drift raises an escalation decision.

    Each model registers a ``source`` that returns :data:`DriftInputs` when called; the
    runtime calls :meth:`run_due` on its tick, and each model is checked at most once per
    ``interval_s``. The escalation is a decision of app ``drift`` on the model's scope (a
    site path, or the enterprise), approved by an engineer or above; a newer drift of the
    same model supersedes it while it is undecided.
    """

    def __init__(
        self,
        *,
        decisions: DecisionService,
        interval_s: float = 86_400.0,
        clock: Callable[[], int] = now_us,
        ttl_s: float = 7 * 86_400.0,
    ) -> None:
        self._decisions = decisions
        self._interval_us = int(interval_s * 1_000_000)
        self._ttl_us = int(ttl_s * 1_000_000)
        self._clock = clock
        self._sources: dict[tuple[str, str], tuple[str, Callable[[], DriftInputs]]] = {}
        self._last: dict[tuple[str, str], int] = {}

    def register(
        self, *, app: str, model_version: str, scope: str, source: Callable[[], DriftInputs]
    ) -> None:
        """Watch a fitted model; ``scope`` is the path its decisions are about."""
        self._sources[(app, scope)] = (model_version, source)

    def run_due(self, *, now: int | None = None) -> list[DriftReport]:
        """Check every model whose interval has passed; return the reports."""
        when = self._clock() if now is None else now
        reports = []
        for key, (version, source) in sorted(self._sources.items()):
            last = self._last.get(key)
            if last is not None and when - last < self._interval_us:
                continue
            reference, current, baseline, recent = source()
            reports.append(
                self.check(
                    app=key[0],
                    model_version=version,
                    scope=key[1],
                    reference=reference,
                    current=current,
                    baseline_outcomes=baseline,
                    recent_outcomes=recent,
                    now=when,
                )
            )
            self._last[key] = when
        return reports

    def check(
        self,
        *,
        app: str,
        model_version: str,
        scope: str,
        reference: Mapping[str, Sequence[float] | np.ndarray],
        current: Mapping[str, Sequence[float] | np.ndarray],
        baseline_outcomes: Sequence[bool] = (),
        recent_outcomes: Sequence[bool] = (),
        now: int | None = None,
    ) -> DriftReport:
        """Check one model now; when it drifted, propose an escalation decision."""
        when = self._clock() if now is None else now
        features = input_drift(reference, current)
        outcome = outcome_drift(baseline_outcomes, recent_outcomes)
        report = DriftReport(
            app=app,
            model_version=model_version,
            scope=scope,
            checked_at=when,
            features=features,
            outcome=outcome,
            escalation=None,
        )
        if not report.drifted:
            return report
        moved = [f for f in features if f.drifted]
        factors = [
            Factor(
                name=f.feature,
                text=f"PSI {f.psi:.2f}, KS {f.ks_statistic:.2f} (p={f.ks_p_value:.1e})",
                weight=f.psi,
                value=f.psi,
            )
            for f in moved
        ]
        if outcome.drifted:
            factors.append(
                Factor(
                    name="outcome",
                    text=f"success rate {outcome.baseline_success_rate:.0%} -> "
                    f"{outcome.recent_success_rate:.0%} (p={outcome.p_value:.1e})",
                    weight=1.0,
                )
            )
        what = ", ".join(f.feature for f in moved) or "outcomes"
        proposal = Proposal(
            app=DRIFT_APP,
            supersede_key=f"model:{app}",
            subject=scope,
            action=Action(
                kind=REVIEW_MODEL.name,
                subject=scope,
                label=f"review model {app}@{model_version}: drift in {what}",
            ),
            expected_value=0.0,
            confidence=1.0,
            explanation=(
                f"the inputs or outcomes of {app}@{model_version} no longer look like those "
                "it was fitted on; its proposals may be wrong until it is refitted or checked"
            ),
            factors=tuple(factors),
            evidence={
                "features": [
                    {
                        "feature": f.feature,
                        "psi": f.psi,
                        "ks": f.ks_statistic,
                        "p_value": f.ks_p_value,
                        "drifted": f.drifted,
                    }
                    for f in features
                ],
                "outcome": {
                    "baseline_rate": outcome.baseline_success_rate,
                    "recent_rate": outcome.recent_success_rate,
                    "p_value": outcome.p_value,
                },
            },
            model_version=model_version,
            created_at=when,
            expires_at=when + self._ttl_us,
        )
        [record] = self._decisions.propose(
            [proposal], now=when, escalate_to=(Role.ENGINEER, "drift")
        )
        return DriftReport(
            app=app,
            model_version=model_version,
            scope=scope,
            checked_at=when,
            features=features,
            outcome=outcome,
            escalation=record,
        )
