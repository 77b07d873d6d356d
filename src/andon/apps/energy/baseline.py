"""Energy baselines per ISO 50006, checked against ASHRAE Guideline 14.

Each meter's hourly energy is regressed (ordinary least squares) on the relevant variables
ISO 50006 asks for: the production below the meter (good units at its lines' last cells),
the machine-hours running and on (operating time), the runs started in the hour and the hour
before (batches and cycles begun), and heating and cooling degree-hours where the caller
gives them. The energy performance indicators are the specific energy
(kWh per unit) and the ratio of measured to expected energy; the CUSUM of savings is the
running sum of expected less measured energy over the reporting period (ISO 50006 annex).

The model is judged as ASHRAE Guideline 14 judges hourly baselines: CV(RMSE) at most 30 %
and NMBE within ±10 %, both with ``n - p`` degrees of freedom, on the baseline period; and,
more strictly, fitted on its first three quarters and judged on the last.

>>> import numpy as np
>>> y = np.array([10.0, 12.0, 14.0, 16.0]); fit = y.copy()
>>> cv_rmse(y, fit, p=1), nmbe(y, fit, p=1)
(0.0, 0.0)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from andon.apps.energy.accounting import EnergyAccount
from andon.model import Model

__all__ = [
    "CV_RMSE_MAX",
    "NMBE_MAX",
    "Baseline",
    "Performance",
    "cusum",
    "cv_rmse",
    "design",
    "fit_baselines",
    "nmbe",
    "performance",
]

CV_RMSE_MAX: Final = 30.0
"""ASHRAE Guideline 14: the largest hourly CV(RMSE), percent."""
NMBE_MAX: Final = 10.0
"""ASHRAE Guideline 14: the largest hourly |NMBE|, percent."""
VARIABLES: Final = ("units", "running_h", "on_h", "starts", "starts_before")
_MIN_HOURS: Final = 24


def cv_rmse(measured: npt.NDArray[np.float64], fitted: npt.NDArray[np.float64], *, p: int) -> float:
    """Return the coefficient of variation of the RMSE, percent (Guideline 14, n - p)."""
    n = measured.size
    mean = float(measured.mean())
    if n <= p or mean == 0.0:
        return float("inf")
    return float(100.0 * np.sqrt(np.sum((measured - fitted) ** 2) / (n - p)) / mean)


def nmbe(measured: npt.NDArray[np.float64], fitted: npt.NDArray[np.float64], *, p: int) -> float:
    """Return the normalised mean bias error, percent (Guideline 14, n - p)."""
    n = measured.size
    mean = float(measured.mean())
    if n <= p or mean == 0.0:
        return float("inf")
    return float(100.0 * np.sum(measured - fitted) / ((n - p) * mean))


def cusum(
    measured: npt.NDArray[np.float64], expected: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Return the CUSUM of savings: the running sum of expected less measured energy."""
    return np.cumsum(expected - measured)


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """One meter's fitted energy baseline and its Guideline 14 figures."""

    meter: str
    variables: tuple[str, ...]
    coefficients: tuple[float, ...]
    """Intercept (kWh per hour) first, then one per variable."""
    hours: int
    cv_rmse: float
    nmbe: float
    cv_rmse_test: float
    nmbe_test: float
    kwh_per_unit: float | None

    @property
    def meets_guideline_14(self) -> bool:
        """Whether the hourly model meets Guideline 14 on its baseline hours, as the
        guideline judges a baseline model."""
        return abs(self.cv_rmse) <= CV_RMSE_MAX and abs(self.nmbe) <= NMBE_MAX

    @property
    def holds_out(self) -> bool:
        """Whether the model fitted on the first three quarters of the hours meets the same
        bounds on the last quarter (a stricter check than the guideline's)."""
        return abs(self.cv_rmse_test) <= CV_RMSE_MAX and abs(self.nmbe_test) <= NMBE_MAX

    def expected(self, x: pl.DataFrame) -> npt.NDArray[np.float64]:
        """Return the expected kWh of each hour of a design frame (:func:`design`)."""
        coef = np.asarray(self.coefficients)
        columns = [x[v].to_numpy().astype(float) for v in self.variables]
        matrix = (
            np.column_stack([np.ones(x.height), *columns]) if columns else np.ones((x.height, 1))
        )
        return np.asarray(matrix @ coef, dtype=float)

    def to_json(self) -> dict[str, object]:
        """Return the baseline as a JSON object."""
        return {
            "meter": self.meter,
            "variables": list(self.variables),
            "coefficients": list(self.coefficients),
            "hours": self.hours,
            "cv_rmse": self.cv_rmse,
            "nmbe": self.nmbe,
            "cv_rmse_test": self.cv_rmse_test,
            "nmbe_test": self.nmbe_test,
            "kwh_per_unit": self.kwh_per_unit,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Baseline:
        """Return the baseline a :meth:`to_json` object describes."""
        text = json.loads(json.dumps(data))
        return cls(
            meter=str(text["meter"]),
            variables=tuple(str(v) for v in text["variables"]),
            coefficients=tuple(float(c) for c in text["coefficients"]),
            hours=int(text["hours"]),
            cv_rmse=float(text["cv_rmse"]),
            nmbe=float(text["nmbe"]),
            cv_rmse_test=float(text["cv_rmse_test"]),
            nmbe_test=float(text["nmbe_test"]),
            kwh_per_unit=None if text["kwh_per_unit"] is None else float(text["kwh_per_unit"]),
        )


def design(
    model: Model,
    acc: EnergyAccount,
    meter: str,
    *,
    degree_hours: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Return the meter's full hours with its kWh and the relevant variables.

    Columns: ``hour``, ``kwh``, ``units``, ``running_h``, ``on_h``, ``starts`` and
    ``starts_before`` (runs begun in the hour and in the hour before: the batches or cycles
    started, whose first phases draw most in batch plants) and, with ``degree_hours``
    (``hour``, ``hdh``, ``cdh``), those two.
    """
    owner = model.meters[meter].owner_path + "/"
    below = [p for p in model.equipment if (p + "/").startswith(owner)]
    hours = acc.meter_hours.filter((pl.col("meter") == meter) & (pl.col("seconds") == 3600.0))
    eq = acc.equipment_hours.filter(pl.col("path").is_in(below))
    operating = eq.group_by("hour").agg(
        (pl.col("seconds").filter(pl.col("category") == "running").sum() / 3600.0).alias(
            "running_h"
        ),
        (pl.col("seconds").filter(pl.col("category") != "off").sum() / 3600.0).alias("on_h"),
        pl.col("starts").filter(pl.col("category") == "running").sum().cast(pl.Float64),
    )
    counted = acc.count_hours.filter(pl.col("path").is_in(below))
    last = counted.filter(pl.col("last_cell"))
    units = (
        (last if last.height else counted)
        .group_by("hour")
        .agg(pl.col("good").sum().cast(pl.Float64).alias("units"))
    )
    frame = (
        hours.select("hour", "kwh")
        .join(operating, on="hour", how="left")
        .join(units, on="hour", how="left")
        .with_columns(pl.col("running_h", "on_h", "units", "starts").fill_null(0.0))
        .sort("hour")
    )
    before = frame.select(pl.col("hour") + 1, pl.col("starts").alias("starts_before"))
    frame = frame.join(before, on="hour", how="left").with_columns(
        pl.col("starts_before").fill_null(0.0)
    )
    if degree_hours is not None:
        frame = frame.join(degree_hours.select("hour", "hdh", "cdh"), on="hour", how="inner")
    return frame.sort("hour")


def _variables(frame: pl.DataFrame) -> list[str]:
    """The regressors that vary in the frame (a constant one adds nothing to the intercept)."""
    names = [*VARIABLES, *(v for v in ("hdh", "cdh") if v in frame.columns)]
    return [v for v in names if float(frame[v].to_numpy().std()) > 0.0]


def _fit(frame: pl.DataFrame, variables: Sequence[str]) -> npt.NDArray[np.float64]:
    y = frame["kwh"].to_numpy()
    x = np.column_stack([np.ones(frame.height), *(frame[v].to_numpy() for v in variables)])
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return np.asarray(coef, dtype=float)


def fit_baselines(
    model: Model,
    acc: EnergyAccount,
    *,
    degree_hours: pl.DataFrame | None = None,
) -> list[Baseline]:
    """Return a baseline per meter with at least a day of full hours."""
    out = []
    for meter in sorted(model.meters):
        frame = design(model, acc, meter, degree_hours=degree_hours)
        if frame.height < _MIN_HOURS or float(frame["kwh"].sum()) <= 0.0:
            continue
        variables = _variables(frame)
        p = len(variables) + 1
        cut = frame.height * 3 // 4
        train, test = frame.slice(0, cut), frame.slice(cut)
        held = _fit(train, variables)
        held_out = Baseline(
            meter=meter,
            variables=tuple(variables),
            coefficients=tuple(float(c) for c in held),
            hours=cut,
            cv_rmse=0.0,
            nmbe=0.0,
            cv_rmse_test=0.0,
            nmbe_test=0.0,
            kwh_per_unit=None,
        ).expected(test)
        coef = _fit(frame, variables)
        whole = Baseline(
            meter=meter,
            variables=tuple(variables),
            coefficients=tuple(float(c) for c in coef),
            hours=frame.height,
            cv_rmse=0.0,
            nmbe=0.0,
            cv_rmse_test=0.0,
            nmbe_test=0.0,
            kwh_per_unit=None,
        )
        y = frame["kwh"].to_numpy()
        fitted = whole.expected(frame)
        y_test = test["kwh"].to_numpy()
        units = float(frame["units"].sum())
        out.append(
            Baseline(
                meter=meter,
                variables=whole.variables,
                coefficients=whole.coefficients,
                hours=frame.height,
                cv_rmse=cv_rmse(y, fitted, p=p),
                nmbe=nmbe(y, fitted, p=p),
                cv_rmse_test=cv_rmse(y_test, held_out, p=p),
                nmbe_test=nmbe(y_test, held_out, p=p),
                kwh_per_unit=float(y.sum()) / units if units > 0 else None,
            )
        )
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Performance:
    """A meter's energy performance over a reporting period against its baseline (ISO 50006).

    ``enpi_ratio`` is measured over expected energy (below 1: better than the baseline);
    ``kwh_per_unit`` the specific energy; ``cusum_kwh`` the CUSUM of savings, hour by hour.
    """

    meter: str
    hours: int
    measured_kwh: float
    expected_kwh: float
    enpi_ratio: float | None
    kwh_per_unit: float | None
    cusum_kwh: tuple[float, ...]

    @property
    def savings_kwh(self) -> float:
        """Expected less measured energy over the period (the CUSUM's last value)."""
        return self.cusum_kwh[-1] if self.cusum_kwh else 0.0


def performance(
    model: Model,
    acc: EnergyAccount,
    baseline: Baseline,
    *,
    degree_hours: pl.DataFrame | None = None,
) -> Performance:
    """Return a meter's EnPIs and CUSUM of savings over the account's period."""
    frame = design(model, acc, baseline.meter, degree_hours=degree_hours)
    for name in baseline.variables:
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(0.0).alias(name))
    measured = frame["kwh"].to_numpy().astype(float)
    expected = baseline.expected(frame)
    units = float(frame["units"].sum()) if frame.height else 0.0
    total = float(measured.sum())
    wanted = float(expected.sum())
    return Performance(
        meter=baseline.meter,
        hours=frame.height,
        measured_kwh=total,
        expected_kwh=wanted,
        enpi_ratio=total / wanted if wanted > 0 else None,
        kwh_per_unit=total / units if units > 0 else None,
        cusum_kwh=tuple(float(v) for v in cusum(measured, expected)),
    )
