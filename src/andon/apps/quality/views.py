"""What the quality surfaces show, computed from the store: an SPC chart of one parameter at
one station with its limits, zones and violated rules; the T² and SPE of a product's
signatures with the contributions of each alarm; a unit's genealogy and signature.

The API (``/api/v1/quality``) and the console draw these values; nothing here renders.

Protocol of the charts. SPC: an individuals chart (one value per unit, in time order);
Phase I limits from the first ``baseline_share`` of the window's units with out-of-control
points removed (:func:`andon.apps.quality.spc.phase_one`), Western Electric rules on every
point (zones at one, two and three sigma). Multivariate: PCA T² and SPE on the product's
specification parameters at each cell (one row per unit), fitted on the first half of the
window's units and its limits set on the next quarter, held out, to the stated false-alarm
rate (:func:`andon.apps.quality.multivariate.calibrate`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from andon.apps.quality.multivariate import PcaMonitor, calibrate
from andon.apps.quality.release import batch_signatures, signature_variables
from andon.apps.quality.signature import frame_of
from andon.apps.quality.spc import WESTERN_ELECTRIC, CannotJudge, ChartKind, phase_one, run_rules
from andon.model import Model
from andon.store import quality_queries as qq
from andon.store.base import Store

__all__ = [
    "MultivariateAlarm",
    "MultivariateView",
    "SpcPoint",
    "SpcView",
    "UnitView",
    "multivariate_view",
    "spc_view",
    "unit_view",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SpcPoint:
    """One unit's value on the chart and the rules it violates (their names)."""

    ts_us: int
    serial: str
    value: float
    zone: int
    """How many sigma from the centre, 0 to 3 (3: beyond the control limits)."""
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SpcView:
    """An individuals chart of one parameter of one product at one station."""

    product: str
    station: str
    parameter: str
    centre: float
    sigma: float
    lower: float
    upper: float
    zones: tuple[float, ...]
    """The zone boundaries: centre ± 1, 2 and 3 sigma, lowest first."""
    lsl: float | None
    usl: float | None
    baseline_units: int
    points: tuple[SpcPoint, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class MultivariateAlarm:
    """A unit whose T² or SPE passes its limit, with each variable's part of the statistic."""

    serial: str
    ts_us: int
    statistic: str
    value: float
    limit: float
    contributions: tuple[tuple[str, float], ...]
    """Variable and its part, largest first."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MultivariateView:
    """PCA T² and SPE of a product's unit signatures, their limits and the alarms."""

    product: str
    variables: tuple[str, ...]
    false_alarm_rate: float
    limits: dict[str, float]
    fitted_on: int
    calibrated_on: int
    ts_us: tuple[int, ...]
    serials: tuple[str, ...]
    t2: tuple[float, ...]
    spe: tuple[float, ...]
    alarms: tuple[MultivariateAlarm, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitView:
    """A unit's records: its genealogy links, its signature and its inspections."""

    serial: str
    product: str | None
    lot: str | None
    genealogy: tuple[dict[str, object], ...]
    signature: tuple[dict[str, object], ...]
    inspections: tuple[dict[str, object], ...]


def _no_data(what: str) -> CannotJudge:
    return CannotJudge(code="quality.no_data", reason=what)


def spc_view(
    store: Store,
    model: Model,
    *,
    product: str,
    station: str,
    parameter: str,
    start: int,
    end: int,
    baseline_share: float = 0.5,
) -> SpcView | CannotJudge:
    """Return the individuals chart of ``parameter`` of ``product`` at ``station``."""
    units = frame_of(qq.unit_signatures(store, start=start, end=end))
    if units.height:
        units = units.filter(
            (pl.col("path") == station)
            & (pl.col("product") == product)
            & (pl.col("parameter") == parameter)
            & (pl.col("ts_us") >= start)
        ).sort(["ts_us", "serial"])
    if units.height == 0:
        return _no_data(f"no {parameter} of {product} at {station} in the window")
    values = units.get_column("value").cast(pl.Float64).to_numpy()
    baseline = values[: max(int(len(values) * baseline_share), 1)]
    phase = phase_one(baseline, kind=ChartKind.INDIVIDUALS)
    if isinstance(phase, CannotJudge):
        return phase
    mean, sigma = phase.estimate.mean, phase.estimate.sigma
    flags = run_rules(values, centre=mean, sigma=sigma, rules=WESTERN_ELECTRIC)
    names = [r.name for r in flags.rules]
    zone = np.minimum(np.floor(np.abs(values - mean) / sigma), 3).astype(int)
    cell = station.split("/")[4] if station.count("/") >= 4 else ""
    spec = next(
        (
            s
            for s in model.products[product].spec_limits
            if s.parameter == parameter and s.cell == cell
        ),
        None,
    ) if product in model.products else None  # fmt: skip
    points = tuple(
        SpcPoint(
            ts_us=int(ts),
            serial=str(serial),
            value=float(v),
            zone=int(z),
            rules=tuple(names[k] for k in np.flatnonzero(flags.flags[:, i])),
        )
        for i, (ts, serial, v, z) in enumerate(
            zip(
                units.get_column("ts_us").to_list(),
                units.get_column("serial").to_list(),
                values,
                zone,
                strict=True,
            )
        )
    )
    return SpcView(
        product=product,
        station=station,
        parameter=parameter,
        centre=mean,
        sigma=sigma,
        lower=mean - 3 * sigma,
        upper=mean + 3 * sigma,
        zones=tuple(mean + k * sigma for k in (-3, -2, -1, 1, 2, 3)),
        lsl=None if spec is None else spec.lsl,
        usl=None if spec is None else spec.usl,
        baseline_units=len(baseline),
        points=points,
    )


def multivariate_view(
    store: Store,
    model: Model,
    *,
    product: str,
    start: int,
    end: int,
    false_alarm_rate: float = 0.01,
    max_alarms: int = 20,
) -> MultivariateView | CannotJudge:
    """Return PCA T² and SPE of ``product``'s unit signatures in ``[start, end)``."""
    if product not in model.products:
        return _no_data(f"no product {product!r} in the model")
    variables = signature_variables(model, product)
    units = frame_of(qq.unit_signatures(store, start=start, end=end))
    if units.height:
        units = units.filter(pl.col("product") == product)
    rows = batch_signatures(units, variables).drop_nulls(subset=list(variables))
    if rows.height < 40 or len(variables) < 2:
        return CannotJudge(
            code="quality.too_few_units",
            reason=(
                f"{rows.height} units of {product} with the whole signature "
                f"({len(variables)} variables): the chart needs 40 units and 2 variables"
            ),
        )
    x = rows.select(variables).to_numpy().astype(np.float64)
    fit_n, cal_n = rows.height // 2, rows.height // 4
    if not (x[:fit_n].std(axis=0) > 0).all():
        return CannotJudge(code="quality.no_variation", reason="a signature variable never varies")
    monitor = PcaMonitor(variance=0.9)
    monitor.fit(x[:fit_n])
    limits = calibrate(monitor.score(x[fit_n : fit_n + cal_n]), false_alarm_rate=false_alarm_rate)
    scores = monitor.score(x)
    alarms: list[MultivariateAlarm] = []
    ts = rows.get_column("last_us").to_list()
    serials = rows.get_column("serial").to_list()
    for name in ("t2", "spe"):
        over = np.flatnonzero(scores[name] > limits.limits[name])
        if over.size == 0:
            continue
        parts = monitor.contributions(x[over], name)
        for k, i in enumerate(over):
            order = np.argsort(-parts[k], kind="stable")
            alarms.append(
                MultivariateAlarm(
                    serial=str(serials[i]),
                    ts_us=int(ts[i]),
                    statistic=name,
                    value=float(scores[name][i]),
                    limit=float(limits.limits[name]),
                    contributions=tuple((variables[j], float(parts[k][j])) for j in order),
                )
            )
    alarms.sort(key=lambda a: (-a.value / a.limit, a.serial))
    return MultivariateView(
        product=product,
        variables=tuple(variables),
        false_alarm_rate=false_alarm_rate,
        limits={k: float(v) for k, v in limits.limits.items()},
        fitted_on=fit_n,
        calibrated_on=cal_n,
        ts_us=tuple(int(t) for t in ts),
        serials=tuple(str(s) for s in serials),
        t2=tuple(float(v) for v in scores["t2"]),
        spe=tuple(float(v) for v in scores["spe"]),
        alarms=tuple(alarms[:max_alarms]),
    )


def unit_view(store: Store, *, serial: str, end: int) -> UnitView | None:
    """Return a unit's genealogy, signature and inspections before ``end``; ``None`` for a
    serial no record names."""
    own = frame_of(qq.unit_signatures(store, start=0, end=end, serials=(serial,)))
    links = frame_of(qq.genealogy_links(store, start=0, end=end, serials=(serial,)))
    tests = frame_of(qq.inspections(store, start=0, end=end, serials=(serial,)))
    if own.height == 0 and links.height == 0 and tests.height == 0:
        return None
    product = str(own.get_column("product")[0]) if own.height else None
    lots = [v for v in own.get_column("lot").to_list() if v is not None] if own.height else []
    return UnitView(
        serial=serial,
        product=product,
        lot=str(lots[0]) if lots else None,
        genealogy=tuple(links.sort(["ts_us", "parent"]).to_dicts()),
        signature=tuple(
            own.sort(["ts_us", "path", "parameter"])
            .select("ts_us", "path", "parameter", "value")
            .to_dicts()
        ),
        inspections=tuple(
            tests.sort("ts_us").select("ts_us", "path", "test", "passed", "value").to_dicts()
        ),
    )
