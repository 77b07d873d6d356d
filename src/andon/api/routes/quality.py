"""``/api/v1/quality``: SPC charts, T² and SPE with the contributions of an alarm, a unit's
genealogy, signature, risk and factors, and the units and lots on hold.

The values come from :mod:`andon.apps.quality.views` (the protocol of each chart is there)
and from the quality app's stored risk model; what the data cannot support answers 422 with
the reason's code (``spc.too_few_subgroups``, ``quality.too_few_units`` ...).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.routes._params import PATH_PATTERN, Since, Until, check_range
from andon.api.security import Authorized
from andon.apps.quality import HOLD, QualityApp
from andon.apps.quality.spc import CannotJudge
from andon.apps.quality.views import multivariate_view, spc_view, unit_view
from andon.decisions import DecisionFilter, Principal, Role, Status
from andon.store import quality_queries as qq
from andon.time import DAY_US

router = APIRouter(prefix="/api/v1/quality", tags=["quality"], responses=PROBLEM_RESPONSES)

RULES = {
    ("GET", "/api/v1/quality/spc"): Role.VIEWER,
    ("GET", "/api/v1/quality/multivariate"): Role.VIEWER,
    ("GET", "/api/v1/quality/units/{serial}"): Role.VIEWER,
    ("GET", "/api/v1/quality/held"): Role.VIEWER,
}

Ctx = Annotated[ApiContext, Depends(context)]
Name = Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")]


class SpcPointOut(BaseModel):
    """One unit on an SPC chart."""

    ts: dt.datetime
    serial: str
    value: float
    zone: int
    rules: list[str]


class SpcOut(BaseModel):
    """An individuals chart with its limits, zones and the rules each point violates."""

    product: str
    station: str
    parameter: str
    centre: float
    sigma: float
    lower: float
    upper: float
    zones: list[float]
    lsl: float | None
    usl: float | None
    baseline_units: int
    points: list[SpcPointOut]


class AlarmOut(BaseModel):
    """A unit past a multivariate limit, with each variable's part."""

    serial: str
    ts: dt.datetime
    statistic: str
    value: float
    limit: float
    contributions: dict[str, float]


class MultivariateOut(BaseModel):
    """PCA T² and SPE of a product's unit signatures."""

    product: str
    variables: list[str]
    false_alarm_rate: float
    limits: dict[str, float]
    fitted_on: int
    calibrated_on: int
    serials: list[str]
    ts: list[dt.datetime]
    t2: list[float]
    spe: list[float]
    alarms: list[AlarmOut]


class FactorOut(BaseModel):
    """A factor behind a unit's risk, in plain words."""

    name: str
    text: str
    weight: float | None


class UnitOut(BaseModel):
    """A unit's genealogy, signature, tests, risk and factors."""

    serial: str
    product: str | None
    lot: str | None
    genealogy: list[dict[str, object]]
    signature: list[dict[str, object]]
    inspections: list[dict[str, object]]
    p_latent: float | None
    model_version: str | None
    factors: list[FactorOut]
    missing_stations: int | None


class HeldOut(BaseModel):
    """Units and lots an approved hold keeps in quarantine."""

    decision_id: str
    station: str
    status: str
    decided_at: dt.datetime | None
    units: list[str]
    lots: list[str]


def _time(us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(us / 1e6, tz=dt.UTC)


def _us(value: dt.datetime) -> int:
    return round(value.timestamp() * 1_000_000)


def _window(
    ctx: ApiContext, since: dt.datetime | None, until: dt.datetime | None
) -> tuple[int, int]:
    check_range(since, until)
    if until is not None:
        end = _us(until)
    else:
        newest = qq.latest_unit(ctx.store, end=2**62)
        end = (newest + 1) if newest is not None else _us(dt.datetime.now(dt.UTC))
    start = _us(since) if since is not None else end - 7 * DAY_US
    if end <= start:
        raise ApiProblem(422, "range.invalid", "until must be after since")
    return start, end


def _cannot(judge: CannotJudge) -> ApiProblem:
    return ApiProblem(422, judge.code, judge.reason)


def _product(ctx: ApiContext, product: str) -> None:
    if product not in ctx.model.products:
        raise ApiProblem(404, "quality.unknown_product", f"no product {product!r} in the model")


@router.get("/spc")
def get_spc(
    *,
    who: Authorized,
    ctx: Ctx,
    product: Name,
    station: Annotated[str, Query(max_length=500, pattern=PATH_PATTERN)],
    parameter: Name,
    since: Since = None,
    until: Until = None,
) -> SpcOut:
    """Return the individuals chart of one parameter of a product at a station: Phase I
    limits from the first half of the window, zones, and the Western Electric rules each
    point violates. The window defaults to the 7 days before the newest unit record."""
    _product(ctx, product)
    station = station.rstrip("/")
    if station not in ctx.model.equipment:
        raise ApiProblem(404, "quality.unknown_station", f"no station {station!r} in the model")
    if not who.can_see(station):
        raise ApiProblem(403, "auth.site", f"{station} is outside your sites")
    start, end = _window(ctx, since, until)
    view = spc_view(
        ctx.store, ctx.model, product=product, station=station, parameter=parameter,
        start=start, end=end,
    )  # fmt: skip
    if isinstance(view, CannotJudge):
        raise _cannot(view)
    return SpcOut(
        product=view.product,
        station=view.station,
        parameter=view.parameter,
        centre=view.centre,
        sigma=view.sigma,
        lower=view.lower,
        upper=view.upper,
        zones=list(view.zones),
        lsl=view.lsl,
        usl=view.usl,
        baseline_units=view.baseline_units,
        points=[
            SpcPointOut(
                ts=_time(p.ts_us), serial=p.serial, value=p.value, zone=p.zone, rules=list(p.rules)
            )
            for p in view.points
        ],
    )


def _product_visible(ctx: ApiContext, who: Principal, product: str) -> None:
    lines = [f"{ctx.model.root}/{r.line}" for r in ctx.model.products[product].routings]
    if lines and not any(who.can_see(line) for line in lines):
        raise ApiProblem(403, "auth.site", f"{product} is made outside your sites")


@router.get("/multivariate")
def get_multivariate(
    *,
    who: Authorized,
    ctx: Ctx,
    product: Name,
    since: Since = None,
    until: Until = None,
    false_alarm_rate: Annotated[float, Query(gt=0.0, lt=0.5)] = 0.01,
) -> MultivariateOut:
    """Return PCA T² and SPE of a product's signatures (its specification parameters at
    each cell), limits set on held-out units to the false-alarm rate, and the alarms with
    each variable's contribution."""
    _product(ctx, product)
    _product_visible(ctx, who, product)
    start, end = _window(ctx, since, until)
    view = multivariate_view(
        ctx.store, ctx.model, product=product, start=start, end=end,
        false_alarm_rate=false_alarm_rate,
    )  # fmt: skip
    if isinstance(view, CannotJudge):
        raise _cannot(view)
    return MultivariateOut(
        product=view.product,
        variables=list(view.variables),
        false_alarm_rate=view.false_alarm_rate,
        limits=view.limits,
        fitted_on=view.fitted_on,
        calibrated_on=view.calibrated_on,
        serials=list(view.serials),
        ts=[_time(t) for t in view.ts_us],
        t2=list(view.t2),
        spe=list(view.spe),
        alarms=[
            AlarmOut(
                serial=a.serial,
                ts=_time(a.ts_us),
                statistic=a.statistic,
                value=a.value,
                limit=a.limit,
                contributions=dict(a.contributions),
            )
            for a in view.alarms
        ],
    )


@router.get("/units/{serial}")
def get_unit(*, serial: str, who: Authorized, ctx: Ctx) -> UnitOut:
    """Return a unit's genealogy links, its signature at every station, its tests, and its
    latent-defect risk with the factors behind it (none before the app's first fit)."""
    if len(serial) > 200:
        raise ApiProblem(422, "quality.serial", "a serial has at most 200 characters")
    end = 2**62
    view = unit_view(ctx.store, serial=serial, end=end)
    if view is None:
        raise ApiProblem(404, "quality.unknown_unit", f"no record names the unit {serial!r}")
    paths = {str(row["path"]) for row in view.signature}
    if paths and not any(who.can_see(p) for p in paths):
        raise ApiProblem(404, "quality.unknown_unit", f"no record names the unit {serial!r}")
    assessment = (
        QualityApp().assess_unit(ctx.store, ctx.model, serial=serial, now=end)
        if view.signature
        else None
    )
    return UnitOut(
        serial=view.serial,
        product=view.product,
        lot=view.lot,
        genealogy=list(view.genealogy),
        signature=list(view.signature),
        inspections=list(view.inspections),
        p_latent=None if assessment is None else assessment.p_latent,
        model_version=None if assessment is None else assessment.model_version,
        factors=[]
        if assessment is None
        else [FactorOut(name=f.name, text=f.text, weight=f.weight) for f in assessment.factors],
        missing_stations=None if assessment is None else assessment.missing_stations,
    )


@router.get("/held")
def get_held(*, who: Authorized, ctx: Ctx) -> list[HeldOut]:
    """Return the units and lots that approved holds keep in quarantine, newest first."""
    records = ctx.decisions.list(
        DecisionFilter(app="quality", statuses=(Status.APPROVED, Status.EXECUTED)),
        who=who,
        limit=500,
    )
    return [
        HeldOut(
            decision_id=r.id,
            station=r.subject,
            status=r.status.value,
            decided_at=None if r.decided_at is None else _time(r.decided_at),
            units=list(r.action.units),
            lots=list(r.action.lots),
        )
        for r in records
        if r.action.kind == HOLD
    ]
