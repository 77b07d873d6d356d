"""Failure risk: remaining useful life with a band, and a calibrated probability of failure.

:class:`RiskModel` learns from feature rows (see :mod:`.features`) labelled with the time to
the next failure. Three gradient-boosted models (LightGBM) share the features: the capped
remaining useful life (squared error), its 10th and 90th percentiles (quantile loss), and
the probability of failure within a horizon, calibrated by isotonic regression on
out-of-fold predictions grouped by asset so that calibration is judged on assets the
classifier did not see. Rows whose future was not observed (censored) teach the classifier
only when they are known to survive the horizon, and the regressor only beyond the cap.

The RUL cap is the usual piecewise-linear target of the C-MAPSS literature (Heimes 2008):
early in life, degradation is not visible, so RUL is learnt as ``min(RUL, cap)``.
"""

from __future__ import annotations

import hashlib
import json
import time as _time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl
from numpy.typing import NDArray

from andon.apps.maintenance.features import (
    FeatureSpec,
    RegimeNormaliser,
    build_features,
    feature_names,
)
from andon.errors import AppError, InsufficientHistoryError, UsageError

__all__ = ["ReliabilityBin", "RiskModel", "RiskPrediction", "reliability_curve"]

FloatArray = NDArray[np.float64]

_MIN_FAILURES = 3
"""Fewer observed failures than this and the model cannot learn what failure looks like."""


@dataclass(frozen=True, slots=True)
class RiskPrediction:
    """Risk of every row: RUL and its 10th/90th percentiles, and P(failure within horizon)."""

    rul: FloatArray
    rul_low: FloatArray
    rul_high: FloatArray
    p_fail: FloatArray
    horizon: float
    curve: FloatArray | None = None
    """P(failure within each of ``curve_horizons``), one row per input row."""
    curve_horizons: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """One bin of a reliability curve: mean predicted probability against observed frequency."""

    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed: float


def reliability_curve(
    predicted: Sequence[float] | FloatArray,
    observed: Sequence[float] | FloatArray,
    *,
    bins: int = 10,
) -> list[ReliabilityBin]:
    """Return the reliability curve (calibration) of probabilities against 0/1 outcomes."""
    p = np.asarray(predicted, dtype=np.float64)
    y = np.asarray(observed, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out: list[ReliabilityBin] = []
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        if count == 0:
            continue
        out.append(
            ReliabilityBin(
                lower=float(edges[b]),
                upper=float(edges[b + 1]),
                count=count,
                mean_predicted=float(p[mask].mean()),
                observed=float(y[mask].mean()),
            )
        )
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class _Isotonic:
    """A fitted isotonic map as breakpoints, applied with linear interpolation."""

    x: tuple[float, ...]
    y: tuple[float, ...]

    def __call__(self, raw: FloatArray) -> FloatArray:
        if not self.x:
            return raw
        return np.asarray(np.interp(raw, self.x, self.y), dtype=np.float64)


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskModel:
    """A fitted failure-risk model; build it with :meth:`fit`, store it with :meth:`to_json`."""

    spec: FeatureSpec
    features: tuple[str, ...]
    cap: float
    horizon: float
    normaliser: RegimeNormaliser | None
    boosters: Mapping[str, str]
    calibration: _Isotonic
    base_rate: float
    version: str
    metrics: Mapping[str, float] = field(default_factory=dict)
    reliability: tuple[ReliabilityBin, ...] = ()
    horizons: tuple[float, ...] = ()
    """Horizons of the failure-probability curve; empty means ``(horizon,)`` only."""
    band_scale: float = 1.0
    """Widening of the 10th-90th percentile band that makes it cover 80 % on held-out assets."""
    _cache: dict[str, lgb.Booster] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def fit(
        cls,
        frame: pl.DataFrame | Iterable[pl.DataFrame],
        spec: FeatureSpec,
        *,
        rul_column: str = "rul",
        observed_column: str | None = None,
        cap: float = 125.0,
        horizon: float = 30.0,
        rounds: int = 400,
        learning_rate: float = 0.03,
        seed: int = 0,
        folds: int = 4,
        row_weight_column: str | None = None,
        threads: int = 1,
        horizons: Sequence[float] = (),
        row_stride: int = 1,
        max_rows: int | None = None,
        min_failures: int = _MIN_FAILURES,
    ) -> RiskModel:
        """Fit on rows labelled with time to the next failure (``rul_column``).

        ``observed_column`` (bool) says whether that failure was seen; when false, the RUL is
        only a lower bound (the history ended first). Raises
        :class:`~andon.errors.InsufficientHistoryError` when the rows hold fewer than three
        failures: a model from that little says nothing.

        ``horizons`` (several) makes the classifier learn P(failure within t) for each t at
        once: the rows are stacked with t as a feature under a monotone constraint, so the
        curve rises with t. ``row_stride`` trains on every n-th row (neighbouring hours of
        one asset say nearly the same thing); features still see every row. ``max_rows``
        bounds the rows trained on: while more would be kept, the stride doubles (the rows
        kept at stride 2n are a subset of those at n, so the result is the one that stride
        would have given from the start), and the stride used is reported in the metrics.

        ``frame`` may be chunks of rows (an iterable of frames, read once), each with whole
        units and whole regimes, in unit order: the model is the one the chunks
        concatenated give, and only one chunk's features are held at a time.
        """
        started = _time.perf_counter()
        chunks = [frame] if isinstance(frame, pl.DataFrame) else frame
        data, normaliser, failed_units, stride_used = _training_rows(
            chunks,
            spec,
            keep=[rul_column, observed_column, row_weight_column],
            observed_column=observed_column,
            row_stride=row_stride,
            max_rows=max_rows,
        )
        if failed_units < max(min_failures, _MIN_FAILURES):
            msg = (
                f"too little history to learn failure: {failed_units} asset(s) with an observed "
                f"failure, at least {max(min_failures, _MIN_FAILURES)} needed"
            )
            raise InsufficientHistoryError(msg, app="maintenance")
        rul = data[rul_column].cast(pl.Float64).to_numpy()
        observed = (
            data[observed_column].cast(pl.Boolean).to_numpy()
            if observed_column is not None
            else np.ones(len(rul), dtype=bool)
        )
        units = data[spec.unit_column].cast(pl.Utf8).to_numpy()
        names = _usable_features(data, feature_names(spec))
        x = data.select(names).to_numpy().astype(np.float64)
        weights = (
            data[row_weight_column].cast(pl.Float64).to_numpy()
            if row_weight_column is not None
            else None
        )
        del data
        curve_h = tuple(sorted({float(h) for h in horizons} | {float(horizon)}))
        stacked = len(curve_h) > 1
        target = np.minimum(rul, cap)
        # Censored rows teach the regressor only where their lower bound reaches the cap.
        reg_mask = observed | (rul >= cap)
        params = {
            "learning_rate": learning_rate,
            "num_leaves": 31,
            "min_data_in_leaf": 20,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
            "verbose": -1,
            # One thread by default: on a shared machine OpenMP threads spin-wait on each
            # other and two can be several times slower than one.
            "num_threads": threads,
            "seed": seed,
            "deterministic": True,
        }
        quantiles = (
            ("rul", {"objective": "regression"}),
            ("rul_low", {"objective": "quantile", "alpha": 0.1}),
            ("rul_high", {"objective": "quantile", "alpha": 0.9}),
        )

        def regressors(mask: NDArray[np.bool_]) -> dict[str, lgb.Booster]:
            out: dict[str, lgb.Booster] = {}
            for name, extra in quantiles:
                dataset = lgb.Dataset(
                    x[mask],
                    target[mask],
                    weight=None if weights is None else weights[mask],
                    feature_name=names,
                    free_raw_data=True,
                )
                out[name] = lgb.train({**params, **extra}, dataset, num_boost_round=rounds)
            return out

        unique_units = np.unique(units)
        rng = np.random.default_rng(seed)
        fold_of_unit = dict(
            zip(rng.permutation(unique_units), np.arange(len(unique_units)) % folds, strict=True)
        )
        fold = np.array([fold_of_unit[u] for u in units])
        # Quantile boosters are over-confident on assets they saw; widen the band until it
        # covers 80 % of the observed RUL of assets held out (fold 0), then refit on all.
        # Rows at the cap are left out when there are enough others: early in a life the
        # band reaches the cap anyway, and counting those rows would hide a band too narrow
        # where it matters.
        held = observed & (fold == 0)
        if (held & (target < cap)).sum() >= 20:
            held = held & (target < cap)
        band_scale = 1.0
        band_coverage_raw = float("nan")
        if held.sum() >= 20 and (reg_mask & (fold != 0)).sum() >= 20:
            trial = regressors(reg_mask & (fold != 0))
            band_scale, band_coverage_raw = _band_scale(
                {n: np.asarray(b.predict(x[held]), dtype=np.float64) for n, b in trial.items()},
                target[held],
                cap,
            )
        boosters: dict[str, str] = {
            name: booster.model_to_string() for name, booster in regressors(reg_mask).items()
        }
        # Classification: failed within the horizon, or known to survive it.
        class_names = names
        if stacked:
            # One block of rows per horizon, the horizon as a feature (monotone increasing);
            # the blocks are built for the rows each booster takes (see ``_stack_rows``).
            base_rows = len(rul)
            rul = np.tile(rul, len(curve_h))
            observed = np.tile(observed, len(curve_h))
            units = np.tile(units, len(curve_h))
            fold = np.tile(fold, len(curve_h))
            h_col = np.repeat(np.asarray(curve_h), base_rows)
            class_names = [*names, "__horizon"]
            label = (rul <= h_col) & observed
            cls_mask = observed | (rul > h_col)
            main = h_col == float(horizon)
        else:
            label = (rul <= horizon) & observed
            cls_mask = observed | (rul > horizon)
            main = np.ones(len(rul), dtype=bool)

        def rows(mask: NDArray[np.bool_]) -> FloatArray:
            return _stack_rows(x, curve_h, mask) if stacked else x[mask]

        class_params: dict[str, Any] = {**params, "objective": "binary"}
        if stacked:
            class_params["monotone_constraints"] = [0] * len(names) + [1]
        raw_oof = np.full(len(rul), np.nan)
        class_rounds = max(50, rounds // 2)
        for k in range(folds):
            train = cls_mask & (fold != k)
            test = cls_mask & (fold == k)
            if label[train].sum() == 0 or test.sum() == 0:
                continue
            booster = lgb.train(
                class_params,
                _dataset(rows(train), label[train].astype(np.float64), class_names),
                num_boost_round=class_rounds,
            )
            raw_oof[test] = booster.predict(rows(test))
            del booster
        boosters["p_fail"] = lgb.train(
            class_params,
            _dataset(rows(cls_mask), label[cls_mask].astype(np.float64), class_names),
            num_boost_round=class_rounds,
        ).model_to_string()
        scored_all = cls_mask & ~np.isnan(raw_oof)
        # Stacked horizons: a smooth logistic map (Platt) keeps the short-horizon end of the
        # curve resolved, where an isotonic step function lumps most rows into one plateau.
        calibration = (
            _fit_platt(raw_oof[scored_all], label[scored_all].astype(np.float64))
            if stacked
            else _fit_isotonic(raw_oof[scored_all], label[scored_all].astype(np.float64))
        )
        # Reliability and Brier scores are reported at the main horizon.
        scored = scored_all & main
        calibrated = calibration(raw_oof[scored])
        curve = reliability_curve(calibrated, label[scored].astype(np.float64))
        brier = float(np.mean((calibrated - label[scored]) ** 2)) if scored.any() else float("nan")
        base_rate = float(label[cls_mask & main].mean()) if (cls_mask & main).any() else 0.0
        metrics = {
            "rows": float(int(main.sum())),
            "row_stride": float(stride_used),
            "assets": float(len(unique_units)),
            "failed_assets": float(failed_units),
            "brier_oof": brier,
            "brier_base_rate": float(np.mean((base_rate - label[scored]) ** 2))
            if scored.any()
            else float("nan"),
            "band_scale": band_scale,
            "band_coverage_raw_heldout": band_coverage_raw,
            "train_seconds": _time.perf_counter() - started,
        }
        digest = hashlib.sha256()
        for text in boosters.values():
            digest.update(text.encode())
        digest.update(json.dumps(spec.to_dict(), sort_keys=True).encode())
        return cls(
            spec=spec,
            features=tuple(names),
            cap=cap,
            horizon=horizon,
            normaliser=normaliser,
            boosters=boosters,
            calibration=calibration,
            base_rate=base_rate,
            version=digest.hexdigest()[:16],
            metrics=metrics,
            reliability=tuple(curve),
            horizons=curve_h if stacked else (),
            band_scale=band_scale,
        )

    def featurise(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Return the frame with this model's feature columns, sorted by asset and time."""
        return build_features(frame, self.spec, self.normaliser)

    def predict_features(self, data: pl.DataFrame) -> RiskPrediction:
        """Predict for rows that already carry the feature columns (see :meth:`featurise`)."""
        missing = [name for name in self.features if name not in data.columns]
        if missing:
            msg = f"rows lack feature column(s) {', '.join(missing[:5])}"
            raise UsageError(msg)
        x = data.select(list(self.features)).to_numpy().astype(np.float64)
        rul = np.clip(self._booster("rul").predict(x), 0.0, self.cap)
        low = np.clip(self._booster("rul_low").predict(x), 0.0, self.cap)
        high = np.clip(self._booster("rul_high").predict(x), 0.0, self.cap)
        low = np.clip(rul - self.band_scale * np.maximum(rul - low, 0.0), 0.0, self.cap)
        high = np.clip(rul + self.band_scale * np.maximum(high - rul, 0.0), 0.0, self.cap)
        classifier = self._booster("p_fail")
        if self.horizons:
            curve = np.column_stack(
                [
                    np.clip(
                        self.calibration(
                            np.asarray(
                                classifier.predict(np.column_stack([x, np.full(len(x), h)])),
                                dtype=np.float64,
                            )
                        ),
                        0.0,
                        1.0,
                    )
                    for h in self.horizons
                ]
            )
            # Calibration keeps the order of raw scores, so the curve rises with t; the
            # running maximum removes ties broken the wrong way by interpolation.
            curve = np.maximum.accumulate(curve, axis=1)
            p_fail = curve[:, self.horizons.index(self.horizon)]
        else:
            raw = np.asarray(classifier.predict(x), dtype=np.float64)
            p_fail = np.clip(self.calibration(raw), 0.0, 1.0)
            curve = p_fail.reshape(-1, 1)
        return RiskPrediction(
            rul=np.asarray(rul, dtype=np.float64),
            rul_low=np.asarray(low, dtype=np.float64),
            rul_high=np.asarray(high, dtype=np.float64),
            p_fail=np.asarray(p_fail, dtype=np.float64),
            horizon=self.horizon,
            curve=np.asarray(curve, dtype=np.float64),
            curve_horizons=self.horizons or (self.horizon,),
        )

    def predict(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, RiskPrediction]:
        """Featurise raw rows and predict; returns the featurised rows beside the prediction."""
        data = self.featurise(frame)
        return data, self.predict_features(data)

    def importance(self, top: int = 5) -> list[tuple[str, float]]:
        """Return the features that weigh most in the RUL model (gain), largest first."""
        booster = self._booster("rul")
        gains = booster.feature_importance(importance_type="gain")
        order = np.argsort(gains)[::-1][:top]
        total = float(gains.sum()) or 1.0
        return [(self.features[i], float(gains[i]) / total) for i in order]

    def _booster(self, name: str) -> lgb.Booster:
        booster = self._cache.get(name)
        if booster is None:
            booster = lgb.Booster(model_str=self.boosters[name])
            self._cache[name] = booster
        return booster

    def to_json(self) -> str:
        """Return the whole fitted model as one JSON document (versioned artifact)."""
        return json.dumps(
            {
                "format": "andon.maintenance.risk/1",
                "spec": self.spec.to_dict(),
                "features": list(self.features),
                "cap": self.cap,
                "horizon": self.horizon,
                "normaliser": None if self.normaliser is None else self.normaliser.to_dict(),
                "boosters": dict(self.boosters),
                "calibration": {"x": list(self.calibration.x), "y": list(self.calibration.y)},
                "base_rate": self.base_rate,
                "version": self.version,
                "metrics": dict(self.metrics),
                "reliability": [
                    [b.lower, b.upper, b.count, b.mean_predicted, b.observed]
                    for b in self.reliability
                ],
                "horizons": list(self.horizons),
                "band_scale": self.band_scale,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> RiskModel:
        """Rebuild a model written by :meth:`to_json`."""
        try:
            data: dict[str, Any] = json.loads(text)
            if data.get("format") != "andon.maintenance.risk/1":
                msg = f"not a risk model artifact (format {data.get('format')!r})"
                raise AppError(msg, app="maintenance", code="app.artifact_invalid")
            return cls(
                spec=FeatureSpec.from_dict(data["spec"]),
                features=tuple(data["features"]),
                cap=float(data["cap"]),
                horizon=float(data["horizon"]),
                normaliser=None
                if data["normaliser"] is None
                else RegimeNormaliser.from_dict(data["normaliser"]),
                boosters=dict(data["boosters"]),
                calibration=_Isotonic(
                    x=tuple(data["calibration"]["x"]), y=tuple(data["calibration"]["y"])
                ),
                base_rate=float(data["base_rate"]),
                version=str(data["version"]),
                metrics={k: float(v) for k, v in data["metrics"].items()},
                reliability=tuple(
                    ReliabilityBin(float(a), float(b), int(c), float(d), float(e))
                    for a, b, c, d, e in data["reliability"]
                ),
                horizons=tuple(float(h) for h in data.get("horizons", ())),
                band_scale=float(data.get("band_scale", 1.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"risk model artifact is damaged: {exc}"
            raise AppError(msg, app="maintenance", code="app.artifact_invalid") from exc


_ROW_INDEX = "__training_row"
"""Column of a training row's index in the rows of every chunk, for the stride."""


def _training_rows(
    chunks: Iterable[pl.DataFrame],
    spec: FeatureSpec,
    *,
    keep: Sequence[str | None],
    observed_column: str | None,
    row_stride: int,
    max_rows: int | None = None,
) -> tuple[pl.DataFrame, RegimeNormaliser | None, int, int]:
    """Return the training rows (features, every n-th row), the normaliser, the count of
    units with an observed failure and the stride n used, one chunk of units at a time.

    The chunks come in unit order and each holds whole units and whole regimes, so that
    the rows, their features and the normaliser are those of the chunks concatenated:
    only the rows kept and their feature columns are held at once. The stride starts at
    ``row_stride`` and doubles whenever more than ``max_rows`` rows would be kept: a row is
    kept when its index in the concatenated rows is a multiple of the stride, so thinning
    what is kept gives exactly the rows the final stride would have kept.
    """
    stats: dict[str, Mapping[str, tuple[float, float]]] = {}
    kept: list[pl.DataFrame] = []
    held = 0
    offset = 0
    failed = 0
    stride = max(1, row_stride)
    last_unit: str | None = None
    columns = [*feature_names(spec), *(c for c in keep if c is not None), spec.unit_column]
    for chunk in chunks:
        if chunk.is_empty():
            continue
        normaliser = RegimeNormaliser.fit(chunk, spec) if spec.regime_columns else None
        if normaliser is not None:
            if stats.keys() & normaliser.stats.keys():
                msg = "a regime spans two chunks of training rows: give each chunk whole regimes"
                raise AppError(msg, app="maintenance")
            stats.update(normaliser.stats)
        data = build_features(chunk, spec, normaliser)
        unit = data[spec.unit_column].cast(pl.Utf8)
        if last_unit is not None and str(unit[0]) <= last_unit:
            msg = "chunks of training rows must come in unit order, each with whole units"
            raise AppError(msg, app="maintenance")
        last_unit = str(unit[-1])
        if observed_column is not None:
            failed += data.filter(pl.col(observed_column).cast(pl.Boolean))[
                spec.unit_column
            ].n_unique()
        else:
            failed += unit.n_unique()
        data = data.with_columns(
            pl.int_range(offset, offset + data.height, eager=True).alias(_ROW_INDEX)
        )
        offset += chunk.height
        data = data.filter((pl.col(_ROW_INDEX) % stride) == 0)
        kept.append(
            data.select([c for c in dict.fromkeys([*columns, _ROW_INDEX]) if c in data.columns])
        )
        held += data.height
        while max_rows is not None and held > max_rows:
            stride *= 2
            kept = [f.filter((pl.col(_ROW_INDEX) % stride) == 0) for f in kept]
            held = sum(f.height for f in kept)
    if not kept:
        msg = "no history to learn from"
        raise InsufficientHistoryError(msg, app="maintenance")
    normaliser = (
        RegimeNormaliser(regime_columns=spec.regime_columns, stats=stats)
        if spec.regime_columns
        else None
    )
    rows = pl.concat(kept, how="vertical_relaxed").drop(_ROW_INDEX)
    return rows, normaliser, failed, stride


def _stack_rows(x: FloatArray, horizons: Sequence[float], mask: NDArray[np.bool_]) -> FloatArray:
    """Return the rows of ``mask`` of the horizon blocks ``[x, h]`` stacked, built in place.

    The same matrix as stacking every block and taking the masked rows, without the
    full stack in memory.
    """
    n, width = x.shape
    out = np.empty((int(mask.sum()), width + 1), dtype=np.float64)
    at = 0
    for b, h in enumerate(horizons):
        block = mask[b * n : (b + 1) * n]
        count = int(block.sum())
        out[at : at + count, :width] = x[block]
        out[at : at + count, width] = h
        at += count
    return out


def _dataset(x: FloatArray, label: FloatArray, names: list[str]) -> lgb.Dataset:
    """Return a LightGBM dataset that lets go of ``x`` once it is binned."""
    return lgb.Dataset(x, label, feature_name=names, free_raw_data=True)


def _usable_features(data: pl.DataFrame, names: list[str]) -> list[str]:
    """Drop features that never vary: they carry no information and slow training."""
    usable: list[str] = []
    for name in names:
        column = data[name]
        if column.null_count() == len(column):
            continue
        std = column.cast(pl.Float64).std()
        if isinstance(std, float) and std > 1e-9:
            usable.append(name)
    if not usable:
        msg = "no feature varies in the training rows: the signals are flat or missing"
        raise InsufficientHistoryError(msg, app="maintenance")
    return usable


def _band_scale(
    predicted: Mapping[str, FloatArray], target: FloatArray, cap: float, nominal: float = 0.8
) -> tuple[float, float]:
    """Return the widening of the band that covers ``nominal`` of held-out targets.

    Also returns the raw band's coverage. The scale never narrows the band below the raw
    quantiles' by more than half, nor widens it more than fivefold.
    """
    rul = np.clip(predicted["rul"], 0.0, cap)
    below = np.maximum(rul - np.clip(predicted["rul_low"], 0.0, cap), 0.0)
    above = np.maximum(np.clip(predicted["rul_high"], 0.0, cap) - rul, 0.0)

    def coverage(k: float) -> float:
        low = np.clip(rul - k * below, 0.0, cap)
        high = np.clip(rul + k * above, 0.0, cap)
        return float(np.mean((target >= low - 1e-9) & (target <= high + 1e-9)))

    raw = coverage(1.0)
    for k in np.arange(0.5, 5.0001, 0.05):
        if coverage(float(k)) >= nominal:
            return float(round(k, 2)), raw
    return 5.0, raw


def _fit_platt(raw: FloatArray, label: FloatArray) -> _Isotonic:
    """Fit P(label) = sigmoid(a * logit(raw) + b) and tabulate it as breakpoints."""
    if len(raw) < 20 or label.min() == label.max():
        return _Isotonic(x=(), y=())
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415  (fit time only)

    clipped = np.clip(raw, 1e-6, 1.0 - 1e-6)
    logit = np.log(clipped / (1.0 - clipped)).reshape(-1, 1)
    fitted = LogisticRegression(C=1e6).fit(logit, label)
    grid = np.unique(np.concatenate([np.linspace(0.0, 1.0, 101), np.geomspace(1e-6, 0.01, 40)]))
    g = np.clip(grid, 1e-6, 1.0 - 1e-6)
    values = fitted.predict_proba(np.log(g / (1.0 - g)).reshape(-1, 1))[:, 1]
    return _Isotonic(
        x=tuple(float(v) for v in grid),
        y=tuple(float(v) for v in np.maximum.accumulate(values)),
    )


def _fit_isotonic(raw: FloatArray, label: FloatArray) -> _Isotonic:
    """Fit an increasing map from raw scores to frequencies; identity without enough data."""
    if len(raw) < 20 or label.min() == label.max():
        return _Isotonic(x=(), y=())
    from sklearn.isotonic import IsotonicRegression  # noqa: PLC0415  (heavy, fit time only)

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, label)
    return _Isotonic(
        x=tuple(float(v) for v in iso.X_thresholds_), y=tuple(float(v) for v in iso.y_thresholds_)
    )
