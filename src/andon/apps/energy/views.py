"""What the energy surfaces show: accounts, baselines, waste findings and a planned schedule.

Plain values built from the app's own functions, read by the REST API and the console alike,
so that both show the same figures: :func:`energy_report` (energy per site, machine and
state, by hour against price and carbon, the data-quality flags), :func:`waste_findings`
(each removable waste with its value a year) and :func:`plan_schedule` (flexible jobs
planned against the site's hourly tariff, beside as-soon-as-possible).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from andon.apps.energy.accounting import EnergyAccount, account
from andon.apps.energy.schedule import Grid, Job, Plan, asap, solve
from andon.apps.energy.waste import Waste, leaks, switch_off_rules, utilities_without_demand
from andon.errors import InputError, Problem
from andon.model import Model
from andon.model.calendar import tariff_at
from andon.store.base import Store
from andon.time import HOUR_US

__all__ = [
    "EnergyReport",
    "HourRow",
    "ScheduleRequest",
    "ScheduledPlan",
    "StateRow",
    "energy_report",
    "plan_schedule",
    "waste_findings",
]

MAX_STEPS = 7 * 24 * 4
"""The longest horizon a request may plan: a week at 15-minute steps."""


def _num(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class StateRow:
    """Energy of one machine in one state category over the period."""

    path: str
    site: str
    category: str
    hours: float
    kwh: float
    cost: float | None
    kg_co2e: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HourRow:
    """One site hour: metered energy, the price and grid carbon, production machines on."""

    site: str
    hour_us: int
    kwh: float | None
    price_per_kwh: float | None
    gco2e_per_kwh: float | None
    producing: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyReport:
    """The energy accounts of a period for the paths a user may see."""

    start_us: int
    end_us: int
    sites: list[dict[str, float | str | None]]
    machines: list[dict[str, float | str | None]]
    states: list[StateRow]
    hours: list[HourRow]
    flags: list[dict[str, str]]


def _visible(path: str, prefix: str, can_see: Callable[[str], bool]) -> bool:
    return (path == prefix or path.startswith(prefix + "/")) and can_see(path)


def energy_report(
    store: Store,
    model: Model,
    *,
    start: int,
    end: int,
    prefix: str | None = None,
    can_see: Callable[[str], bool] = lambda _: True,
    acc: EnergyAccount | None = None,
) -> EnergyReport:
    """Return energy per site, machine and state, and each site hour, under ``prefix``."""
    root = (prefix or model.root).rstrip("/")
    acc = acc if acc is not None else account(store, model, start=start, end=end)

    def keep(path: str) -> bool:
        return _visible(path, root, can_see) or _visible(root, path, can_see)

    sites = [
        {k: (_num(v) if k != "site" else str(v)) for k, v in row.items()}
        for row in acc.by_site.to_dicts()
        if keep(str(row["site"]))
    ]
    machines = [
        {k: (_num(v) if k != "path" else str(v)) for k, v in row.items()}
        for row in acc.by_equipment.sort("path").to_dicts()
        if _visible(str(row["path"]), root, can_see)
    ]
    states = [
        StateRow(
            path=str(row["path"]),
            site=str(row["site"]),
            category=str(row["category"]),
            hours=float(row["hours"]),
            kwh=float(row["kwh"]),
            cost=_num(row["cost"]),
            kg_co2e=_num(row["kg_co2e"]),
        )
        for row in acc.by_state.sort(["path", "category"]).to_dicts()
        if _visible(str(row["path"]), root, can_see)
    ]
    hours = [
        HourRow(
            site=str(row["site"]),
            hour_us=int(row["hour"]) * HOUR_US,
            kwh=_num(row["kwh"]),
            price_per_kwh=_num(row["price_per_kwh"]),
            gco2e_per_kwh=_num(row["gco2e_per_kwh"]),
            producing=float(row["producing"] or 0.0),
        )
        for row in acc.site_hours.sort(["site", "hour"]).to_dicts()
        if keep(str(row["site"]))
    ]
    flags = [
        {"code": f.code, "where": f.where, "text": f.text}
        for f in acc.flags
        if keep(f.where) or f.where.startswith(root)
    ]
    return EnergyReport(
        start_us=acc.start_us,
        end_us=acc.end_us,
        sites=sites,
        machines=machines,
        states=states,
        hours=hours,
        flags=flags,
    )


def waste_findings(
    store: Store,
    model: Model,
    *,
    start: int,
    end: int,
    reference_base_kw: dict[str, float] | None = None,
    acc: EnergyAccount | None = None,
) -> list[Waste]:
    """Return every waste a decision could remove in the period, largest value first.

    ``reference_base_kw`` (each site's fitted base load) finds steps of base load; without it
    only compressed-air leaks, idle machines and utilities run against no demand are found.
    """
    acc = acc if acc is not None else account(store, model, start=start, end=end)
    found = [
        *switch_off_rules(store, model, acc, start=start, end=end),
        *leaks(model, acc, reference_base_kw=reference_base_kw or {}),
        *utilities_without_demand(model, acc),
    ]
    return sorted(found, key=lambda w: (-w.value_per_year, w.subject, w.kind))


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleRequest:
    """Flexible jobs to plan at one site from ``start_us`` over ``steps`` of ``step_minutes``."""

    site: str
    start_us: int
    steps: int
    jobs: tuple[Job, ...]
    step_minutes: float = 60.0
    carbon_price_per_t: float = 0.0
    peak_kw: float | None = None
    demand_charge_per_kw: float = 0.0
    time_limit_s: float = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledPlan:
    """A plan of the request with the grid it was made on and as-soon-as-possible beside it."""

    request: ScheduleRequest
    grid: Grid
    plan: Plan
    asap: Plan

    @property
    def saving(self) -> float:
        """Share of as-soon-as-possible's energy money the plan saves (0 when it costs 0)."""
        base = self.asap.energy_cost
        return 0.0 if base <= 0 else (base - self.plan.energy_cost) / base


def site_grid(model: Model, request: ScheduleRequest) -> Grid:
    """Return the grid of a request: the site's tariff at each step's start."""
    site = model.sites.get(request.site)
    if site is None:
        raise _invalid("schedule.unknown_site", f"{request.site!r} is no site of the model")
    step_us = round(request.step_minutes * 60e6)
    times = request.start_us + step_us * np.arange(request.steps, dtype=np.int64)
    price, carbon = tariff_at(site, times)
    if np.isnan(price).any():
        raise _invalid("schedule.no_tariff", f"site {request.site} has no tariff to plan against")
    return Grid(
        step_h=request.step_minutes / 60.0,
        price=price,
        carbon_g=carbon,
        carbon_price_per_t=request.carbon_price_per_t,
        peak_kw=request.peak_kw,
        demand_charge_per_kw=request.demand_charge_per_kw,
    )


def _invalid(code: str, message: str, path: str = "body") -> InputError:
    return InputError(
        "the schedule request is invalid", [Problem(code=code, message=message, path=path)]
    )


def _check(request: ScheduleRequest) -> None:
    """Raise an :class:`InputError` with every problem of the request, each where it is."""
    problems: list[Problem] = []

    def bad(code: str, message: str, path: str) -> None:
        problems.append(Problem(code=code, message=message, path=path))

    if not 1 <= request.steps <= MAX_STEPS:
        bad("schedule.bad_steps", f"steps must be 1 to {MAX_STEPS}, got {request.steps}", "steps")
    if not 0 < request.step_minutes <= 240:
        bad(
            "schedule.bad_step",
            f"step_minutes must be in (0, 240], got {request.step_minutes:g}",
            "step_minutes",
        )
    seen: set[str] = set()
    for index, job in enumerate(request.jobs):
        where = f"jobs[{index}]"
        if job.id in seen:
            bad("schedule.duplicate_job", f"job {job.id!r} is given twice", where)
        seen.add(job.id)
        if job.release < 0 or job.due <= job.release:
            bad(
                "schedule.bad_window",
                f"job {job.id!r}: due ({job.due}) must come after release ({job.release}) >= 0",
                where,
            )
        if not job.power_kw or any(not math.isfinite(p) or p < 0 for p in job.power_kw):
            bad(
                "schedule.bad_power",
                f"job {job.id!r}: power_kw must be one finite, non-negative kW per step",
                where,
            )
        if not job.machines:
            bad("schedule.no_machine", f"job {job.id!r} names no machine", where)
    if problems:
        raise InputError("the schedule request is invalid", problems)


def plan_schedule(model: Model, request: ScheduleRequest) -> ScheduledPlan:
    """Plan the request's jobs with HiGHS against the site's tariff, and ASAP beside it."""
    _check(request)
    grid = site_grid(model, request)
    jobs: Sequence[Job] = request.jobs
    return ScheduledPlan(
        request=request,
        grid=grid,
        plan=solve(jobs, grid, time_limit_s=request.time_limit_s),
        asap=asap(jobs, grid),
    )
