"""``/api/v1/energy``: energy accounts, ISO 50006 baselines, waste findings and a schedule.

The figures are the energy app's (:mod:`andon.apps.energy.views`), the same the console
shows: energy per site, machine and state category with its money and CO2e, each site hour
against price and grid carbon; each meter's baseline with its ASHRAE Guideline 14 figures;
every waste a decision could remove with its value a year; and flexible jobs planned with
HiGHS against the site's hourly tariff beside as-soon-as-possible.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.routes._params import PathPrefix, Since, Until, check_range
from andon.api.security import Authorized
from andon.apps.energy.app import EnergyApp
from andon.apps.energy.baseline import CV_RMSE_MAX, NMBE_MAX
from andon.apps.energy.schedule import Job, Plan
from andon.apps.energy.views import (
    MAX_STEPS,
    ScheduleRequest,
    energy_report,
    plan_schedule,
    waste_findings,
)
from andon.decisions import Principal, Role
from andon.records import to_micros
from andon.time import to_iso

router = APIRouter(prefix="/api/v1/energy", tags=["energy"], responses=PROBLEM_RESPONSES)

RULES = {
    ("GET", "/api/v1/energy/accounts"): Role.VIEWER,
    ("GET", "/api/v1/energy/baselines"): Role.VIEWER,
    ("GET", "/api/v1/energy/waste"): Role.VIEWER,
    ("POST", "/api/v1/energy/schedule"): Role.OPERATOR,
}

Ctx = Annotated[ApiContext, Depends(context)]

MAX_RANGE = dt.timedelta(days=92)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StateEnergy(_Out):
    """Energy of one machine in one state category (running, setup, warmup, idle, off)."""

    path: str
    site: str
    category: str
    hours: float
    kwh: float
    cost: float | None
    kg_co2e: float | None


class SiteHour(_Out):
    """One site hour: the site meter's energy, the tariff and production machines on."""

    site: str
    hour: dt.datetime
    kwh: float | None
    price_per_kwh: float | None
    gco2e_per_kwh: float | None
    producing: float


class DataQuality(_Out):
    """A data-quality flag of the meters or the tariff: what and where."""

    code: str
    where: str
    text: str


class EnergyAccounts(_Out):
    """The energy accounts of a period: per site, machine, state and site hour."""

    since: dt.datetime
    until: dt.datetime
    sites: list[dict[str, float | str | None]]
    machines: list[dict[str, float | str | None]]
    states: list[StateEnergy]
    hours: list[SiteHour]
    flags: list[DataQuality]


class BaselineOut(_Out):
    """One meter's ISO 50006 baseline and its ASHRAE Guideline 14 figures (in %)."""

    meter: str
    variables: list[str]
    coefficients: list[float]
    hours: int
    cv_rmse: float
    nmbe: float
    cv_rmse_test: float
    nmbe_test: float
    kwh_per_unit: float | None
    meets_guideline_14: bool


class Baselines(_Out):
    """The baselines of the newest fit, with the Guideline 14 bounds they are judged by."""

    cv_rmse_max: float = CV_RMSE_MAX
    nmbe_max: float = NMBE_MAX
    items: list[BaselineOut]


class WasteOut(_Out):
    """A waste a decision could remove, valued a year."""

    kind: str
    subject: str
    kwh_per_year: float
    value_per_year: float
    kg_co2e_per_year: float
    kw: float | None
    idle_minutes: float | None
    since: dt.datetime | None


class WasteFindings(_Out):
    """Every waste found in the period, largest value first."""

    since: dt.datetime
    until: dt.datetime
    items: list[WasteOut]


class JobIn(_Out):
    """A flexible job: steps from the plan's start, its kW in each step it runs."""

    id: str = Field(min_length=1, max_length=200)
    release: int = Field(ge=0)
    due: int = Field(ge=1)
    power_kw: list[float] = Field(min_length=1, max_length=MAX_STEPS)
    machines: list[str] = Field(min_length=1, max_length=100)
    startup_cost: float = Field(default=0.0, ge=0)


class ScheduleIn(_Out):
    """Flexible jobs to plan at a site against its hourly price and grid carbon."""

    site: str = Field(min_length=1, max_length=500)
    start: AwareDatetime
    steps: int = Field(ge=1, le=MAX_STEPS)
    step_minutes: float = Field(default=60.0, gt=0, le=240)
    jobs: list[JobIn] = Field(min_length=1, max_length=500)
    carbon_price_per_t: float = Field(default=0.0, ge=0)
    peak_kw: float | None = Field(default=None, gt=0)
    demand_charge_per_kw: float = Field(default=0.0, ge=0)
    time_limit_s: float = Field(default=10.0, gt=0, le=60)


class PlacementOut(_Out):
    """Where and when one job runs."""

    job: str
    machine: str
    start: dt.datetime
    end: dt.datetime
    late_steps: int


class PlanOut(_Out):
    """A plan's placements and money."""

    status: str
    gap: float | None
    solve_s: float
    energy_cost: float
    carbon_kg: float
    peak_kw: float
    objective: float
    placements: list[PlacementOut]
    unplaced: list[str]
    late_jobs: list[str]


class ScheduleOut(_Out):
    """The plan HiGHS found and the as-soon-as-possible plan beside it."""

    site: str
    price_per_kwh: list[float]
    gco2e_per_kwh: list[float]
    plan: PlanOut
    asap: PlanOut
    saving_share: float


def _range(since: dt.datetime | None, until: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    check_range(since, until)
    end = until or dt.datetime.now(dt.UTC)
    start = since or end - dt.timedelta(days=7)
    if end <= start:
        raise ApiProblem(422, "range.invalid", "until must be after since")
    if end - start > MAX_RANGE:
        raise ApiProblem(422, "range.too_long", "an energy range spans at most 92 days")
    return start, end


def _prefix(who: Principal, ctx: ApiContext, path: str | None) -> str:
    prefix = (path or ctx.model.root).rstrip("/")
    if path is not None and prefix.count("/") >= 1 and not who.can_see(prefix):
        raise ApiProblem(403, "auth.site", f"{prefix} is outside your sites")
    return prefix


def _time(us: int) -> dt.datetime:
    return dt.datetime.fromisoformat(to_iso(us))


@router.get("/accounts")
def get_accounts(
    *, who: Authorized, ctx: Ctx, path: PathPrefix = None, since: Since = None, until: Until = None
) -> EnergyAccounts:
    """Return energy per site, machine and state, and each site hour against price and carbon.

    The range defaults to the last 7 days and may span at most 92 days.
    """
    start, end = _range(since, until)
    report = energy_report(
        ctx.store,
        ctx.model,
        start=to_micros(start),
        end=to_micros(end),
        prefix=_prefix(who, ctx, path),
        can_see=who.can_see,
    )
    return EnergyAccounts(
        since=start,
        until=end,
        sites=report.sites,
        machines=report.machines,
        states=[
            StateEnergy(
                path=s.path,
                site=s.site,
                category=s.category,
                hours=s.hours,
                kwh=s.kwh,
                cost=s.cost,
                kg_co2e=s.kg_co2e,
            )
            for s in report.states
        ],
        hours=[
            SiteHour(
                site=h.site,
                hour=_time(h.hour_us),
                kwh=h.kwh,
                price_per_kwh=h.price_per_kwh,
                gco2e_per_kwh=h.gco2e_per_kwh,
                producing=h.producing,
            )
            for h in report.hours
        ],
        flags=[DataQuality(**f) for f in report.flags],
    )


@router.get("/baselines")
def get_baselines(*, who: Authorized, ctx: Ctx, until: Until = None) -> Baselines:
    """Return each meter's baseline of the newest fit before ``until`` (default now), with
    its hourly CV(RMSE) and NMBE on the fit's hours and on the held-out hours."""
    now = to_micros(until or dt.datetime.now(dt.UTC))
    items = [
        BaselineOut(**b.to_json(), meets_guideline_14=b.meets_guideline_14)
        for b in EnergyApp().baselines(ctx.store, now=now)
        if who.can_see(b.meter)
    ]
    return Baselines(items=items)


@router.get("/waste")
def get_waste(
    *, who: Authorized, ctx: Ctx, path: PathPrefix = None, since: Since = None, until: Until = None
) -> WasteFindings:
    """Return every waste a decision could remove in the range (default the last 7 days):
    idle machines with their best switch-off rule, leaks, utilities run against no demand."""
    start, end = _range(since, until)
    prefix = _prefix(who, ctx, path)
    end_us = to_micros(end)
    found = waste_findings(
        ctx.store,
        ctx.model,
        start=to_micros(start),
        end=end_us,
        reference_base_kw=EnergyApp().reference_base_kw(ctx.store, now=end_us),
    )
    items = [
        WasteOut(
            kind=w.kind,
            subject=w.subject,
            kwh_per_year=w.kwh_per_year,
            value_per_year=w.value_per_year,
            kg_co2e_per_year=w.kg_co2e_per_year,
            kw=w.kw,
            idle_minutes=w.idle_minutes,
            since=None if w.since_us is None else _time(w.since_us),
        )
        for w in found
        if who.can_see(w.subject) and (w.subject + "/").startswith(prefix + "/")
    ]
    return WasteFindings(since=start, until=end, items=items)


@router.post("/schedule")
def post_schedule(body: ScheduleIn, who: Authorized, ctx: Ctx) -> ScheduleOut:
    """Plan flexible jobs against the site's hourly price and grid carbon with HiGHS.

    Always a plan: the best incumbent with its gap when the time limit stops the solver, a
    greedy plan when it finds none; jobs that cannot meet their due step are named late,
    jobs that fit on no machine unplaced. As-soon-as-possible is planned beside it.
    """
    if not who.can_see(body.site):
        raise ApiProblem(403, "auth.site", f"{body.site} is outside your sites")
    start_us = to_micros(body.start)
    request = ScheduleRequest(
        site=body.site,
        start_us=start_us,
        steps=body.steps,
        step_minutes=body.step_minutes,
        jobs=tuple(
            Job(
                id=j.id,
                release=j.release,
                due=j.due,
                power_kw=tuple(j.power_kw),
                machines=tuple(j.machines),
                startup_cost=j.startup_cost,
            )
            for j in body.jobs
        ),
        carbon_price_per_t=body.carbon_price_per_t,
        peak_kw=body.peak_kw,
        demand_charge_per_kw=body.demand_charge_per_kw,
        time_limit_s=body.time_limit_s,
    )
    scheduled = plan_schedule(ctx.model, request)
    step_us = round(body.step_minutes * 60e6)
    return ScheduleOut(
        site=body.site,
        price_per_kwh=[float(v) for v in scheduled.grid.price],
        gco2e_per_kwh=[float(v) for v in scheduled.grid.carbon_g],
        plan=_plan_out(scheduled.plan, start_us, step_us),
        asap=_plan_out(scheduled.asap, start_us, step_us),
        saving_share=scheduled.saving,
    )


def _plan_out(plan: Plan, start_us: int, step_us: int) -> PlanOut:
    return PlanOut(
        status=plan.status,
        gap=plan.gap,
        solve_s=plan.solve_s,
        energy_cost=plan.energy_cost,
        carbon_kg=plan.carbon_kg,
        peak_kw=plan.peak_kw,
        objective=plan.objective,
        placements=[
            PlacementOut(
                job=p.job,
                machine=p.machine,
                start=_time(start_us + p.start * step_us),
                end=_time(start_us + p.end * step_us),
                late_steps=p.late_steps,
            )
            for p in plan.placements
        ],
        unplaced=list(plan.unplaced),
        late_jobs=sorted(p.job for p in plan.placements if p.late_steps > 0),
    )
