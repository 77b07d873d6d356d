"""Real-time release of batches: a batch whose multivariate signature lies inside the normal
region is released before its lab result, with the confidence that the lab will pass it.

The signature of a batch is the value of every parameter its product's specification
names, at the cell of the routing that records it (``charging:charge_ratio``,
``reaction:acid_value``, ...). The normal region of a product is a Hotelling T² ellipsoid
around the batches the lab passed:

* the centre, the scale and the covariance come from the older half of the passed batches
  (by time);
* the limit is the ``1 - false_alarm_rate`` quantile of T² on the newer half of the passed
  batches, held out of the fit (the protocol of :mod:`andon.apps.quality.multivariate.limits`: an F
  quantile assumes Gaussian, independent batches and a process that does not drift);
* the confidence is measured on the same newer half of every batch judged by the lab
  (passed and failed): of the batches inside the region, the share the lab passed, as the
  mean of its Beta posterior under Jeffreys' prior, ``1 - (failed + 1/2) / (inside + 1)``.
  With few batches the confidence stays modest however clean they were: 20 clean batches
  inside give 0.976, not 1.

Where a product has too few judged batches, or a signature variable never varies, the
region is not fitted and the reason is kept (:class:`~andon.apps.quality.spc.CannotJudge`):
nothing is released early on a region learnt from nothing.

>>> import polars as pl, numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(80, 2))
>>> batches = pl.DataFrame({"serial": [f"b{k}" for k in range(80)], "last_us": range(80),
...     "passed": [True] * 80, "a:x": x[:, 0], "a:y": x[:, 1]})
>>> region = fit_region(batches, product="P", line="s/a/l", variables=("a:x", "a:y"),
...     false_alarm_rate=0.05)
>>> bool(region.t2(np.array([[0.0, 0.0], [8.0, 0.0]]))[1] > region.limit)
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from andon.apps.quality.spc import CannotJudge
from andon.model import Model
from andon.model.schema import LineKind

__all__ = [
    "MIN_BATCHES",
    "ReleaseRegion",
    "batch_lines",
    "batch_signatures",
    "fit_region",
    "regions_from_json",
    "regions_json",
    "signature_variables",
]

FloatArray = npt.NDArray[np.float64]

MIN_BATCHES = 20
"""Batches the lab judged that a product needs before its region is fitted: ten passed to
fit on, ten to set the limit and measure the confidence."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseRegion:
    """The normal region of one product's batch signature, its limit and confidence."""

    product: str
    line: str
    variables: tuple[str, ...]
    """``cell:parameter`` of each signature variable, in the order of the matrices."""
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    precision: tuple[tuple[float, ...], ...]
    """Inverse covariance of the scaled normal batches."""
    limit: float
    """T² above which a batch lies outside the region."""
    false_alarm_rate: float
    """The design rate: the share of good batches left outside, waiting for the lab."""
    measured_false_alarm: float
    """The share of the held-out passed batches outside the region."""
    fitted_on: int
    judged: int
    """Held-out batches the lab judged, passed and failed."""
    inside: int
    failed_inside: int

    @property
    def confidence(self) -> float:
        """P(the lab passes a batch inside the region): Jeffreys' posterior mean."""
        return 1.0 - (self.failed_inside + 0.5) / (self.inside + 1.0)

    def t2(self, matrix: FloatArray) -> FloatArray:
        """Hotelling T² of each row of ``matrix`` (batches by :attr:`variables`)."""
        z = (matrix - np.asarray(self.mean)) / np.asarray(self.scale)
        return np.asarray(np.einsum("ij,jk,ik->i", z, np.asarray(self.precision), z))

    def contributions(self, matrix: FloatArray) -> FloatArray:
        """Each variable's part of T² per batch (``z_j (P z)_j``; they sum to T²)."""
        z = (matrix - np.asarray(self.mean)) / np.asarray(self.scale)
        return np.asarray(z * (z @ np.asarray(self.precision)))

    def to_json(self) -> dict[str, Any]:
        """Return the region as plain JSON data."""
        return {
            "product": self.product,
            "line": self.line,
            "variables": list(self.variables),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "precision": [list(r) for r in self.precision],
            "limit": self.limit,
            "false_alarm_rate": self.false_alarm_rate,
            "measured_false_alarm": self.measured_false_alarm,
            "fitted_on": self.fitted_on,
            "judged": self.judged,
            "inside": self.inside,
            "failed_inside": self.failed_inside,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReleaseRegion:
        """Rebuild a region from :meth:`to_json`."""
        return cls(
            product=str(data["product"]),
            line=str(data["line"]),
            variables=tuple(data["variables"]),
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            precision=tuple(tuple(float(v) for v in r) for r in data["precision"]),
            limit=float(data["limit"]),
            false_alarm_rate=float(data["false_alarm_rate"]),
            measured_false_alarm=float(data["measured_false_alarm"]),
            fitted_on=int(data["fitted_on"]),
            judged=int(data["judged"]),
            inside=int(data["inside"]),
            failed_inside=int(data["failed_inside"]),
        )


def regions_json(regions: Sequence[ReleaseRegion]) -> str:
    """Return regions as one JSON string (sorted, so the same fit gives the same text)."""
    return json.dumps([r.to_json() for r in regions], sort_keys=True)


def regions_from_json(text: str) -> tuple[ReleaseRegion, ...]:
    """Rebuild the regions of :func:`regions_json`."""
    return tuple(ReleaseRegion.from_json(d) for d in json.loads(text))


def batch_lines(model: Model) -> tuple[str, ...]:
    """Paths of the model's process cells (lines of kind ``process_cell``): batch lines."""
    return tuple(sorted(p for p, line in model.lines.items() if line.kind is LineKind.PROCESS_CELL))


def signature_variables(model: Model, product: str) -> tuple[str, ...]:
    """``cell:parameter`` of each parameter the product's specification names."""
    spec = model.products[product].spec_limits
    return tuple(sorted({f"{s.cell}:{s.parameter}" for s in spec}))


def batch_signatures(units: pl.DataFrame, variables: Sequence[str]) -> pl.DataFrame:
    """One row per batch of ``units`` (unit records: ``ts_us``, ``serial``, ``path``,
    ``product``, ``lot``, ``parameter``, ``value``): ``serial``, ``product``, ``lot``,
    ``line``, ``last_us`` (its newest record) and one column per variable (null where the
    batch has no record of it yet), oldest first."""
    names = list(variables)
    if units.height == 0:
        schema: dict[str, Any] = {
            "serial": pl.Utf8, "product": pl.Utf8, "lot": pl.Utf8, "line": pl.Utf8,
            "last_us": pl.Int64, **dict.fromkeys(names, pl.Float64),
        }  # fmt: skip
        return pl.DataFrame(schema=schema)
    parts = pl.col("path").str.split("/")
    rows = units.with_columns(
        parts.list.slice(0, 4).list.join("/").alias("line"),
        (parts.list.get(4, null_on_oob=True) + ":" + pl.col("parameter")).alias("variable"),
    )
    heads = rows.group_by("serial").agg(
        pl.col("product").first(),
        pl.col("lot").drop_nulls().first(),
        pl.col("line").first(),
        pl.col("ts_us").max().alias("last_us"),
    )
    wide = (
        rows.filter(pl.col("variable").is_in(names))
        .group_by("serial", "variable")
        .agg(pl.col("value").last())
        .pivot(on="variable", index="serial", values="value")
    )
    for name in names:
        if name not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(name))
    return (
        heads.join(wide.select("serial", *names), on="serial", how="left")
        .with_columns([pl.col(n).cast(pl.Float64) for n in names])
        .sort(["last_us", "serial"])
    )


def fit_region(
    batches: pl.DataFrame,
    *,
    product: str,
    line: str,
    variables: Sequence[str],
    false_alarm_rate: float,
    min_batches: int = MIN_BATCHES,
) -> ReleaseRegion | CannotJudge:
    """Fit the normal region on judged batches (``passed`` and the variables' columns,
    oldest first; see the module for the protocol)."""
    names = list(variables)
    if not names:
        return CannotJudge(
            code="quality.no_signature", reason=f"{product} has no specification limits"
        )
    complete = batches.drop_nulls(subset=[*names, "passed"]).sort(["last_us", "serial"])
    if complete.height < min_batches:
        return CannotJudge(
            code="quality.too_few_batches",
            reason=f"{product}: {complete.height} batches with a whole signature and a lab result, "
            f"the region needs {min_batches}",
        )
    passed = complete.filter(pl.col("passed"))
    half = passed.height // 2
    if half < max(10, len(names) + 2):
        return CannotJudge(
            code="quality.too_few_batches",
            reason=f"{product}: {passed.height} batches passed the lab, the region needs "
            f"{2 * max(10, len(names) + 2)}",
        )
    fit_rows = passed.head(half)
    split_us = int(fit_rows.get_column("last_us").max())  # type: ignore[arg-type]
    x = fit_rows.select(names).to_numpy().astype(np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0, ddof=1)
    if not (scale > 0).all():
        flat = [n for n, s in zip(names, scale, strict=True) if not s > 0]
        return CannotJudge(
            code="quality.no_variation", reason=f"{product}: {', '.join(flat)} never varies"
        )
    z = (x - mean) / scale
    # a ridge keeps the precision finite where two variables move together on few batches
    cov = np.cov(z, rowvar=False).reshape(len(names), len(names)) + 1e-6 * np.eye(len(names))
    precision = np.linalg.inv(cov)
    later = complete.filter(pl.col("last_us") > split_us)
    region = ReleaseRegion(
        product=product,
        line=line,
        variables=tuple(names),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        precision=tuple(tuple(float(v) for v in r) for r in precision),
        limit=1.0,
        false_alarm_rate=false_alarm_rate,
        measured_false_alarm=0.0,
        fitted_on=half,
        judged=0,
        inside=0,
        failed_inside=0,
    )
    t2 = region.t2(later.select(names).to_numpy().astype(np.float64))
    good = later.get_column("passed").to_numpy().astype(bool)
    limit = float(np.quantile(t2[good], 1.0 - false_alarm_rate, method="higher"))
    inside = t2 <= limit
    return replace(
        region,
        limit=limit,
        measured_false_alarm=float((~inside[good]).mean()),
        judged=len(t2),
        inside=int(inside.sum()),
        failed_inside=int((inside & ~good).sum()),
    )
