"""Latent-defect risk of a unit: a calibrated gradient-boosting model and the test it passed.

Two pieces of evidence say whether a unit that left the line carries a defect:

1. its **signature** (:mod:`andon.apps.quality.signature`): a LightGBM classifier learns
   ``P(fail a later inspection | signature)`` from the units inspected so far. The fit
   holds out the newest quarter of the units (by time): the booster learns on the older
   units, an isotonic map learnt on the held-out units calibrates it, and the reliability
   curve and the scores of the fit report are measured on held-out units the map did not
   see (the map is learnt on the first half of the held-out units for the report, then on
   all of them);
2. the **value of the test it passed**, where the inspection records one: the values of
   good and defective units are taken as two normal components, fitted by expectation
   maximisation on every inspected value (:class:`InspectionMixture`). The mixture gives the
   test's sensitivity and false-alarm rate, which turn ``P(fail)`` into ``P(defect)``,
   and the ratio of the two densities at the unit's value updates it by Bayes' rule.

The result is ``P(latent defect)`` of a unit that passed (or was not inspected). Field
returns, where a plant records them as inspections after shipping, are failed inspections
like any other and teach the same model.

Per-unit contributions (LightGBM's ``pred_contrib``, SHAP values of the raw score) give the
factors behind each unit's risk, in plain words (:mod:`andon.apps.quality.explain`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import polars as pl

from andon.apps.maintenance.risk import ReliabilityBin, reliability_curve
from andon.errors import InsufficientHistoryError

__all__ = [
    "ID_COLUMNS",
    "InspectionMixture",
    "UnitRisk",
    "UnitRiskModel",
    "average_precision",
]

FloatArray = npt.NDArray[np.float64]

ID_COLUMNS = ("serial", "product", "line", "lot", "first_us", "last_us")
"""Columns of a signature frame that are not features."""

_EPS = 1e-6

MIN_HELD_OUT_AUC = 0.55
"""Held-out ROC AUC below which the signature model is taken to have learnt nothing: its
ranking is no better than chance, so each unit gets the plant's failure rate instead. The
AUC must also lie two standard deviations of a chance ranking's AUC above 0.5 (Mann-Whitney:
``sqrt((n1 + n0 + 1) / (12 n1 n0))``), which matters when the held-out units hold few
failures."""


def average_precision(score: FloatArray, label: npt.NDArray[np.bool_]) -> float:
    """Return the area under the precision-recall curve (average precision), NaN without
    a positive."""
    positives = int(label.sum())
    if positives == 0:
        return float("nan")
    order = np.argsort(-score, kind="stable")
    hits = label[order].astype(np.float64)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / positives)


def _auc(score: FloatArray, label: npt.NDArray[np.bool_]) -> float:
    pos = int(label.sum())
    neg = len(label) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = np.empty(len(score))
    ranks[np.argsort(score, kind="stable")] = np.arange(1, len(score) + 1)
    return float((ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _normal_pdf(x: FloatArray, mu: float, sd: float) -> FloatArray:
    z = (x - mu) / sd
    return np.asarray(np.exp(-0.5 * z * z) / (sd * np.sqrt(2 * np.pi)), dtype=np.float64)


@dataclass(frozen=True, slots=True, kw_only=True)
class InspectionMixture:
    """The values a test gives good and defective units, as two normal components.

    ``sensitivity`` is the share of defective units the test fails, ``false_alarm`` the
    share of good units it fails (both from the fitted responsibilities). With few defects
    the lower tail of their values is lost among the good units' values and the sensitivity
    comes out high (about 0.63 for a true 0.5 at 2 % defects, in the tests).
    """

    share: float
    good_mean: float
    good_sd: float
    defect_mean: float
    defect_sd: float
    sensitivity: float
    false_alarm: float

    @classmethod
    def fit(
        cls, values: FloatArray, failed: npt.NDArray[np.bool_], *, iterations: int = 60
    ) -> InspectionMixture | None:
        """Fit the mixture by expectation maximisation; ``None`` when the test does not
        separate (fewer than 5 failed values, or sensitivity within 0.05 of false alarms)."""
        ok = np.isfinite(values)
        x, fail = values[ok], failed[ok]
        if int(fail.sum()) < 5 or int((~fail).sum()) < 20:
            return None
        good = x[~fail]
        mu_g = float(np.median(good))
        sd_g = float(1.4826 * np.median(np.abs(good - mu_g))) or float(good.std()) or 1.0
        mu_d, sd_d = float(x[fail].mean()), max(float(x[fail].std()), 0.1 * sd_g)
        pi = float(fail.mean())
        r = fail.astype(np.float64)
        for _ in range(iterations):
            dens_d = pi * _normal_pdf(x, mu_d, sd_d)
            dens_g = (1 - pi) * _normal_pdf(x, mu_g, sd_g)
            r = dens_d / np.maximum(dens_d + dens_g, 1e-300)
            w = r.sum()
            if w <= 1.0 or w >= len(x) - 1.0:
                return None
            pi = float(w / len(x))
            mu_d = float((r * x).sum() / w)
            sd_d = max(float(np.sqrt((r * (x - mu_d) ** 2).sum() / w)), 1e-3)
            mu_g = float(((1 - r) * x).sum() / (len(x) - w))
            sd_g = max(float(np.sqrt(((1 - r) * (x - mu_g) ** 2).sum() / (len(x) - w))), 1e-3)
        sensitivity = float((r * fail).sum() / r.sum())
        false_alarm = float(((1 - r) * fail).sum() / (1 - r).sum())
        if sensitivity - false_alarm < 0.05:
            return None
        return cls(
            share=pi,
            good_mean=mu_g,
            good_sd=sd_g,
            defect_mean=mu_d,
            defect_sd=sd_d,
            sensitivity=sensitivity,
            false_alarm=false_alarm,
        )

    def defect_probability(self, p_fail: FloatArray) -> FloatArray:
        """Return ``P(defect)`` from ``P(fail the test)``: the test's errors taken out."""
        p = (p_fail - self.false_alarm) / (self.sensitivity - self.false_alarm)
        return np.asarray(np.clip(p, _EPS, 1 - _EPS), dtype=np.float64)

    def likelihood_ratio(self, value: FloatArray) -> FloatArray:
        """Return ``f(value | defect) / f(value | good)`` (1 where the value is missing)."""
        ratio = _normal_pdf(value, self.defect_mean, self.defect_sd) / np.maximum(
            _normal_pdf(value, self.good_mean, self.good_sd), 1e-300
        )
        ratio = np.where(np.isfinite(value), ratio, (1 - self.sensitivity) / (1 - self.false_alarm))
        return np.asarray(np.clip(ratio, 1e-12, 1e12), dtype=np.float64)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitRisk:
    """Risk of each scored unit, in the order of the frame scored."""

    p_fail: FloatArray
    """Calibrated ``P(fail a later inspection | signature)``."""
    p_latent: FloatArray
    """``P(defect | signature, the test it passed)``: the latent-defect risk."""
    likelihood_ratio: FloatArray
    """Per unit, how much the value of the test it passed raised (> 1) or lowered the odds."""


def _matrix(frame: pl.DataFrame, features: Sequence[str], products: Sequence[str]) -> FloatArray:
    missing = [name for name in features if name not in frame.columns and name != "product"]
    full = frame.with_columns([pl.lit(None, dtype=pl.Float64).alias(n) for n in missing])
    codes = {p: float(k) for k, p in enumerate(products)}
    if not features:
        return np.zeros((frame.height, 0))
    # One select and one conversion for the whole matrix: a column at a time costs a
    # conversion per feature, which is most of the time of scoring a few units.
    columns = [
        pl.col("product").replace_strict(codes, default=None, return_dtype=pl.Float64)
        if name == "product"
        else pl.col(name).cast(pl.Float64)
        for name in features
    ]
    matrix = full.select(c.fill_null(np.nan).alias(f"__{k}") for k, c in enumerate(columns))
    return np.ascontiguousarray(matrix.to_numpy(), dtype=np.float64)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitRiskModel:
    """A fitted latent-defect risk model (see the module docstring)."""

    booster: str
    features: tuple[str, ...]
    products: tuple[str, ...]
    calibration_x: tuple[float, ...]
    calibration_y: tuple[float, ...]
    mixture: InspectionMixture | None
    metrics: Mapping[str, float]
    reliability: tuple[ReliabilityBin, ...]

    @classmethod
    def fit(
        cls,
        frame: pl.DataFrame,
        failed: npt.NDArray[np.bool_],
        test_value: FloatArray,
        *,
        rounds: int = 300,
        seed: int = 0,
        min_failures: int = 10,
    ) -> UnitRiskModel:
        """Fit on inspected units: ``frame`` (signature rows, oldest first), whether each
        failed, and its last test value (NaN where none)."""
        n_fail = int(failed.sum())
        if n_fail < min_failures or frame.height < 10 * min_failures:
            raise InsufficientHistoryError(
                f"too little inspection history: {n_fail} failed of {frame.height} inspected "
                f"units, the risk model needs {min_failures} failures"
            )
        features = ("product", *sorted(c for c in frame.columns if c not in ID_COLUMNS))
        products = tuple(sorted(set(frame.get_column("product").to_list())))
        x = _matrix(frame, features, products)
        cut = int(frame.height * 0.75)
        half = cut + (frame.height - cut) // 2
        params: dict[str, Any] = {
            "objective": "binary",
            # Few, rare failures: small trees, many units per leaf and a slow rate keep the
            # booster from learning the noise of a few hundred failed units.
            "learning_rate": 0.03,
            "num_leaves": 7,
            "min_data_in_leaf": 50,
            "feature_fraction": 0.7,
            "bagging_fraction": 1.0,
            "lambda_l2": 1.0,
            "verbose": -1,
            "seed": seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": 1,
        }
        train = lgb.Dataset(
            x[:cut], label=failed[:cut].astype(np.float64), feature_name=list(_safe(features)),
            categorical_feature=[0], free_raw_data=True,
        )  # fmt: skip
        booster = lgb.train(params, train, num_boost_round=rounds)
        raw_held = np.asarray(booster.predict(x[cut:]), dtype=np.float64)
        y_held = failed[cut:]
        first = _isotonic(raw_held[: half - cut], y_held[: half - cut])
        report_p = np.interp(raw_held[half - cut :], *first) if first[0] else raw_held[half - cut :]
        report_y = y_held[half - cut :]
        cal_x, cal_y = _isotonic(raw_held, y_held)
        mixture = InspectionMixture.fit(test_value, failed)
        metrics = {
            "units": float(frame.height),
            "failed": float(n_fail),
            "held_out": float(frame.height - cut),
            "held_out_pr_auc_fail": _finite(average_precision(raw_held, y_held)),
            "held_out_roc_auc_fail": _finite(_auc(raw_held, y_held)),
            "held_out_fail_rate": float(y_held.mean()) if len(y_held) else 0.0,
            "held_out_auc_chance_sd": _chance_sd(int(y_held.sum()), int((~y_held).sum())),
            "brier_calibrated": _finite(float(np.mean((report_p - report_y) ** 2)))
            if len(report_y)
            else 0.0,
            "test_sensitivity": mixture.sensitivity if mixture else 0.0,
            "test_false_alarm": mixture.false_alarm if mixture else 0.0,
        }
        curve = reliability_curve(report_p, report_y.astype(np.float64), bins=10)
        return cls(
            booster=booster.model_to_string(),
            features=features,
            products=products,
            calibration_x=tuple(cal_x),
            calibration_y=tuple(cal_y),
            mixture=mixture,
            metrics=metrics,
            reliability=tuple(curve),
        )

    def _booster(self) -> lgb.Booster:
        return lgb.Booster(model_str=self.booster)

    def score(
        self, frame: pl.DataFrame, test_value: FloatArray, inspected: npt.NDArray[np.bool_]
    ) -> UnitRisk:
        """Return the risk of each unit of ``frame`` that did not fail an inspection:
        ``test_value`` is the value of the test it passed (NaN: none recorded),
        ``inspected`` whether it was inspected at all."""
        x = _matrix(frame, self.features, self.products)
        booster = self._booster()
        if frame.height == 0:
            empty = np.zeros(0)
            return UnitRisk(p_fail=empty, p_latent=empty, likelihood_ratio=empty)
        raw = np.asarray(booster.predict(x, num_threads=1), dtype=np.float64)
        p_fail = (
            np.interp(raw, self.calibration_x, self.calibration_y) if self.calibration_x else raw
        )
        if not self.informative:
            rate = self.metrics.get("failed", 0.0) / max(self.metrics.get("units", 1.0), 1.0)
            p_fail = np.full(frame.height, rate)
        mixture = self.mixture
        ratio = np.ones(frame.height)
        if mixture is None:
            p_latent = np.clip(p_fail, _EPS, 1 - _EPS)
        else:
            p_def = mixture.defect_probability(p_fail)
            ratio = np.where(inspected, mixture.likelihood_ratio(test_value), 1.0)
            odds = p_def / (1 - p_def) * ratio
            p_latent = odds / (1 + odds)
        return UnitRisk(p_fail=p_fail, p_latent=p_latent, likelihood_ratio=ratio)

    @property
    def informative(self) -> bool:
        """Whether the signature model ranks held-out units better than chance
        (:data:`MIN_HELD_OUT_AUC`)."""
        auc = self.metrics.get("held_out_roc_auc_fail", 0.0)
        chance = self.metrics.get("held_out_auc_chance_sd", 0.0)
        return auc >= max(MIN_HELD_OUT_AUC, 0.5 + 2.0 * chance)

    def contributions(self, frame: pl.DataFrame) -> FloatArray:
        """Return per unit and feature (:attr:`features`) the contribution to the raw
        score, SHAP values by LightGBM's ``pred_contrib`` (the last column: the bias).

        Costlier than :meth:`score`: asked only for the units a decision names."""
        if frame.height == 0:
            return np.zeros((0, len(self.features) + 1))
        x = _matrix(frame, self.features, self.products)
        return np.asarray(
            self._booster().predict(x, pred_contrib=True, num_threads=1), dtype=np.float64
        )

    def to_json(self) -> str:
        """Return the model as one JSON string."""
        return json.dumps(
            {
                "booster": self.booster,
                "features": list(self.features),
                "products": list(self.products),
                "calibration_x": list(self.calibration_x),
                "calibration_y": list(self.calibration_y),
                "mixture": None if self.mixture is None else _mixture_json(self.mixture),
                "metrics": dict(self.metrics),
                "reliability": [
                    [b.lower, b.upper, b.count, b.mean_predicted, b.observed]
                    for b in self.reliability
                ],
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> UnitRiskModel:
        """Return the model a :meth:`to_json` string describes."""
        data = json.loads(text)
        mixture = data["mixture"]
        return cls(
            booster=data["booster"],
            features=tuple(data["features"]),
            products=tuple(data["products"]),
            calibration_x=tuple(data["calibration_x"]),
            calibration_y=tuple(data["calibration_y"]),
            mixture=None if mixture is None else InspectionMixture(**mixture),
            metrics=dict(data["metrics"]),
            reliability=tuple(
                ReliabilityBin(
                    lower=b[0], upper=b[1], count=int(b[2]), mean_predicted=b[3], observed=b[4]
                )
                for b in data["reliability"]
            ),
        )

    @property
    def version(self) -> str:
        """A digest of the fitted model: the same data give the same version."""
        return "quality-" + hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


def _mixture_json(m: InspectionMixture) -> dict[str, float]:
    return {
        "share": m.share,
        "good_mean": m.good_mean,
        "good_sd": m.good_sd,
        "defect_mean": m.defect_mean,
        "defect_sd": m.defect_sd,
        "sensitivity": m.sensitivity,
        "false_alarm": m.false_alarm,
    }


def _safe(names: Sequence[str]) -> list[str]:
    """LightGBM feature names: no JSON special characters."""
    return [f"f{k}" for k in range(len(names))]


def _chance_sd(positives: int, negatives: int) -> float:
    """Standard deviation of the ROC AUC of a ranking by chance (0.5 when undefined)."""
    if positives == 0 or negatives == 0:
        return 0.5
    return math.sqrt((positives + negatives + 1) / (12.0 * positives * negatives))


def _finite(value: float) -> float:
    return value if np.isfinite(value) else 0.0


def _isotonic(raw: FloatArray, label: npt.NDArray[np.bool_]) -> tuple[list[float], list[float]]:
    """An increasing map from raw scores to frequencies; empty (identity) without data."""
    if len(raw) < 20 or label.min() == label.max():
        return [], []
    from sklearn.isotonic import IsotonicRegression  # noqa: PLC0415  (fit time only)

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
        raw, label.astype(np.float64)
    )
    return [float(v) for v in iso.X_thresholds_], [float(v) for v in iso.y_thresholds_]
