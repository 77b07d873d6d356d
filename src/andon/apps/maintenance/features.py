"""Condition features for failure risk: a pure function on columns, shared by plant and C-MAPSS.

The input is one row per asset and time step (a cycle, or an hour of a resampled historian):
an asset key, a time, the condition signals, and optionally the age since the last repair, a
load and operating-regime columns. The output adds, per signal, its level and its rolling
mean, spread and slope over several windows, computed per asset in time order (no look-ahead:
each row sees only its past). The same builder feeds :class:`~andon.apps.maintenance.risk.RiskModel`
for the plant and for the NASA C-MAPSS benchmark, so a figure measured on public data speaks
for the code that runs on the plant.

>>> import polars as pl
>>> frame = pl.DataFrame({"unit": ["a"] * 4, "time": [0.0, 1, 2, 3], "vib": [1.0, 2, 3, 4]})
>>> spec = FeatureSpec(signals=("vib",), windows=(3,))
>>> out = build_features(frame, spec)
>>> out["vib__slope3"].to_list()[-1]
1.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from andon.errors import InsufficientHistoryError

__all__ = ["FeatureSpec", "RegimeNormaliser", "build_features", "feature_names"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureSpec:
    """Which columns are what, and the rolling windows (in rows) of the features."""

    signals: tuple[str, ...]
    windows: tuple[int, ...] = (5, 10, 20, 30)
    unit_column: str = "unit"
    time_column: str = "time"
    age_column: str | None = None
    load_column: str | None = None
    regime_columns: tuple[str, ...] = ()
    ewm_spans: tuple[int, ...] = (10,)
    static_columns: tuple[str, ...] = ()
    """Columns used as they are (e.g. the failure mode's MTBF when modes share one model)."""
    drift: bool = True
    """Use each signal's drift from the life's first rows (needs the whole life in view)."""
    observed_rows: bool = True
    """Use the count of rows seen of the life (needs the whole life in view)."""
    orient_by: str | None = None
    """A column that grows with wear (e.g. the age): each signal, normalised within its
    regime, is turned to rise with it, so that a falling pressure reads as a rising vibration."""

    def to_dict(self) -> dict[str, Any]:
        """Return the spec as plain JSON-ready values."""
        return {
            "signals": list(self.signals),
            "windows": list(self.windows),
            "unit_column": self.unit_column,
            "time_column": self.time_column,
            "age_column": self.age_column,
            "load_column": self.load_column,
            "regime_columns": list(self.regime_columns),
            "ewm_spans": list(self.ewm_spans),
            "static_columns": list(self.static_columns),
            "drift": self.drift,
            "observed_rows": self.observed_rows,
            "orient_by": self.orient_by,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        """Rebuild a spec written by :meth:`to_dict`."""
        return cls(
            signals=tuple(data["signals"]),
            windows=tuple(int(w) for w in data["windows"]),
            unit_column=str(data["unit_column"]),
            time_column=str(data["time_column"]),
            age_column=data.get("age_column"),
            load_column=data.get("load_column"),
            regime_columns=tuple(data.get("regime_columns", ())),
            ewm_spans=tuple(int(s) for s in data.get("ewm_spans", ())),
            static_columns=tuple(data.get("static_columns", ())),
            drift=bool(data.get("drift", True)),
            observed_rows=bool(data.get("observed_rows", True)),
            orient_by=data.get("orient_by"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RegimeNormaliser:
    """Per operating regime mean and spread of each signal, learnt from training rows.

    Signals of equipment running in several regimes (loads, products, flight conditions) are
    standardised within their regime, so that a trend means wear rather than a change of regime.
    With no regime columns, one global regime is used. A negative spread turns a signal round
    (see :attr:`FeatureSpec.orient_by`).
    """

    regime_columns: tuple[str, ...]
    stats: Mapping[str, Mapping[str, tuple[float, float]]] = field(default_factory=dict)

    @classmethod
    def fit(cls, frame: pl.DataFrame, spec: FeatureSpec) -> RegimeNormaliser:
        """Learn each signal's mean and standard deviation per regime."""
        _check_columns(frame, spec)
        keyed = frame.with_columns(_regime_key(spec.regime_columns).alias("__regime"))
        orient = spec.orient_by
        grouped = keyed.group_by("__regime").agg(
            [pl.col(s).mean().alias(f"{s}__m") for s in spec.signals]
            + [pl.col(s).std().alias(f"{s}__s") for s in spec.signals]
            + (
                [pl.corr(pl.col(s), pl.col(orient)).alias(f"{s}__c") for s in spec.signals]
                if orient is not None
                else []
            )
        )
        stats: dict[str, dict[str, tuple[float, float]]] = {}
        for row in grouped.iter_rows(named=True):
            per_signal: dict[str, tuple[float, float]] = {}
            for signal in spec.signals:
                mean = row[f"{signal}__m"]
                std = row[f"{signal}__s"]
                spread = float(std) if std is not None and std > 1e-9 else 1.0
                corr = row.get(f"{signal}__c")
                if isinstance(corr, float) and corr < 0:
                    spread = -spread
                per_signal[signal] = (float(mean) if mean is not None else 0.0, spread)
            stats[str(row["__regime"])] = per_signal
        return cls(regime_columns=spec.regime_columns, stats=stats)

    def apply(self, frame: pl.DataFrame, signals: tuple[str, ...]) -> pl.DataFrame:
        """Return the frame with each signal standardised within its regime."""
        if not self.stats:
            return frame
        keys = pl.DataFrame(
            {
                "__regime": list(self.stats),
                **{
                    f"{s}__m": [self.stats[k].get(s, (0.0, 1.0))[0] for k in self.stats]
                    for s in signals
                },
                **{
                    f"{s}__s": [self.stats[k].get(s, (0.0, 1.0))[1] for k in self.stats]
                    for s in signals
                },
            }
        )
        keyed = frame.with_columns(_regime_key(self.regime_columns).alias("__regime"))
        joined = keyed.join(keys, on="__regime", how="left", maintain_order="left")
        return joined.with_columns(
            [((pl.col(s) - pl.col(f"{s}__m")) / pl.col(f"{s}__s")).alias(s) for s in signals]
        ).drop(["__regime", *[f"{s}__m" for s in signals], *[f"{s}__s" for s in signals]])

    def to_dict(self) -> dict[str, Any]:
        """Return the statistics as JSON-ready values."""
        return {
            "regime_columns": list(self.regime_columns),
            "stats": {k: {s: list(v) for s, v in per.items()} for k, per in self.stats.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RegimeNormaliser:
        """Rebuild a normaliser written by :meth:`to_dict`."""
        stats = {
            str(k): {str(s): (float(v[0]), float(v[1])) for s, v in per.items()}
            for k, per in data["stats"].items()
        }
        return cls(regime_columns=tuple(data["regime_columns"]), stats=stats)


def _regime_key(columns: tuple[str, ...]) -> pl.Expr:
    if not columns:
        return pl.lit("all")
    return pl.concat_str([pl.col(c).round(0).cast(pl.Utf8) for c in columns], separator="|")


def _check_columns(frame: pl.DataFrame, spec: FeatureSpec) -> None:
    needed = [spec.unit_column, spec.time_column, *spec.signals, *spec.regime_columns]
    needed += [c for c in (spec.age_column, spec.load_column) if c is not None]
    needed += list(spec.static_columns)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        msg = f"feature input lacks column(s) {', '.join(missing)}; has {', '.join(frame.columns)}"
        raise InsufficientHistoryError(msg, app="maintenance")


def feature_names(spec: FeatureSpec) -> list[str]:
    """Return the model's input columns, in a stable order."""
    names: list[str] = []
    for signal in spec.signals:
        names.append(signal)
        for window in spec.windows:
            names += [f"{signal}__mean{window}", f"{signal}__std{window}"]
            names.append(f"{signal}__slope{window}")
        names += [f"{signal}__ewm{span}" for span in spec.ewm_spans]
        if spec.drift:
            names.append(f"{signal}__drift")
    if spec.age_column is not None:
        names.append(spec.age_column)
    if spec.load_column is not None:
        names += [spec.load_column, f"{spec.load_column}__mean{max(spec.windows)}"]
    names += list(spec.static_columns)
    if spec.observed_rows:
        names.append("__observed_rows")
    return names


def build_features(
    frame: pl.DataFrame, spec: FeatureSpec, normaliser: RegimeNormaliser | None = None
) -> pl.DataFrame:
    """Return the frame sorted by asset and time with the feature columns added.

    Missing values stay missing (the gradient-boosted model routes them); a rolling statistic
    uses the rows present in its window. ``__observed_rows`` counts the rows of an asset seen
    so far, so that a model can tell a young record from a long one.
    """
    _check_columns(frame, spec)
    unit, time = spec.unit_column, spec.time_column
    data = frame.sort([unit, time])
    if normaliser is not None:
        data = normaliser.apply(data, spec.signals)
    data = data.with_columns(
        pl.int_range(pl.len()).over(unit).cast(pl.Float64).alias("__index"),
    )
    expressions: list[pl.Expr] = []
    x = pl.col("__index")
    for signal in spec.signals:
        y = pl.col(signal).cast(pl.Float64)
        for window in spec.windows:
            mean = y.rolling_mean(window, min_samples=1).over(unit)
            expressions.append(mean.alias(f"{signal}__mean{window}"))
            std = y.rolling_std(window, min_samples=2).over(unit)
            expressions.append(std.alias(f"{signal}__std{window}"))
            expressions.append(_rolling_slope(x, y, window, unit).alias(f"{signal}__slope{window}"))
        for span in spec.ewm_spans:
            ewm = y.ewm_mean(span=span, ignore_nulls=True).over(unit)
            expressions.append(ewm.alias(f"{signal}__ewm{span}"))
        # The asset's own baseline: the mean of its first rows, seen only once they happened.
        early = y.cum_sum().over(unit) / y.cum_count().over(unit)
        expressions.append(
            pl.when(x < max(spec.windows)).then(early).otherwise(None).alias(f"__early_{signal}")
        )
    if spec.load_column is not None:
        load = pl.col(spec.load_column).cast(pl.Float64)
        window = max(spec.windows)
        expressions.append(
            load.rolling_mean(window, min_samples=1)
            .over(unit)
            .alias(f"{spec.load_column}__mean{window}")
        )
    expressions.append((x + 1.0).alias("__observed_rows"))
    data = data.with_columns(expressions)
    short = min(spec.windows)
    drifts = [
        (
            pl.col(f"{signal}__mean{short}") - pl.col(f"__early_{signal}").forward_fill().over(unit)
        ).alias(f"{signal}__drift")
        for signal in spec.signals
    ]
    early_columns = [f"__early_{signal}" for signal in spec.signals]
    return data.with_columns(drifts).drop(["__index", *early_columns])


def _rolling_slope(x: pl.Expr, y: pl.Expr, window: int, unit: str) -> pl.Expr:
    """Least-squares slope of ``y`` on the row index over the last ``window`` present rows."""
    present = y.is_not_null().cast(pl.Float64)
    xv = pl.when(y.is_not_null()).then(x).otherwise(0.0)
    yv = y.fill_null(0.0)
    n = present.rolling_sum(window, min_samples=1).over(unit)
    sx = xv.rolling_sum(window, min_samples=1).over(unit)
    sy = yv.rolling_sum(window, min_samples=1).over(unit)
    sxy = (xv * yv).rolling_sum(window, min_samples=1).over(unit)
    sxx = (xv * xv).rolling_sum(window, min_samples=1).over(unit)
    denominator = n * sxx - sx * sx
    return pl.when((n >= 2) & (denominator.abs() > 1e-12)).then((n * sxy - sx * sy) / denominator)
