"""A schedule of flexible work against the site's price and grid carbon, solved with HiGHS.

Jobs have a release and a due step, a duration and a power profile (kW per step), the
machines that may run them and a start-up cost; the grid has a price and a grid carbon per
step, a carbon price, a peak power limit and a demand charge on the plan's peak. The
mixed-integer programme (one binary per job, machine and start step; one job at a time on
each machine; the peak at least every step's power) minimises money: energy at the step's
price, carbon at the carbon price, start-ups, the demand charge, and a penalty per step a
job ends after its due step, so that a request that cannot be met still gets the closest
plan, and the late jobs are named.

It always publishes a plan: HiGHS's best incumbent when the time limit stops it (with its
optimality gap), else a greedy plan (each job, in release order, at its cheapest feasible
start), so that no plan is never the answer.

>>> import numpy as np
>>> grid = Grid(step_h=1.0, price=np.array([0.3, 0.3, 0.1, 0.3]), carbon_g=np.full(4, 100.0))
>>> job = Job(id="j1", release=0, due=4, power_kw=(10.0,), machines=("m1",))
>>> plan = solve([job], grid)
>>> plan.placements[0].start, plan.status
(2, 'optimal')
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

__all__ = ["Grid", "Job", "Placement", "Plan", "asap", "solve", "trade_off"]

LATE_PENALTY: Final = 1e4
"""Money per step a job ends after its due step: lateness is avoided whenever it can be."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """A movable job: ``release`` and ``due`` are steps (it may start at ``release`` and
    should end by ``due``), ``power_kw`` its draw in each step it runs."""

    id: str
    release: int
    due: int
    power_kw: tuple[float, ...]
    machines: tuple[str, ...]
    startup_cost: float = 0.0

    @property
    def duration(self) -> int:
        """Steps the job runs."""
        return len(self.power_kw)


@dataclass(frozen=True, slots=True, kw_only=True)
class Grid:
    """The site's steps: length, price per kWh, grid gCO2e per kWh, limits and charges."""

    step_h: float
    price: npt.NDArray[np.float64]
    carbon_g: npt.NDArray[np.float64]
    carbon_price_per_t: float = 0.0
    peak_kw: float | None = None
    demand_charge_per_kw: float = 0.0

    @property
    def steps(self) -> int:
        """Steps in the horizon."""
        return int(self.price.size)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where and when a job runs, and how many steps after its due step it ends."""

    job: str
    machine: str
    start: int
    end: int
    late_steps: int


@dataclass(frozen=True, slots=True)
class Plan:
    """A feasible plan, its money, carbon and peak, and how it was found."""

    placements: tuple[Placement, ...]
    energy_cost: float
    carbon_kg: float
    peak_kw: float
    objective: float
    status: str
    """``optimal``, ``time_limit`` (HiGHS's incumbent), ``greedy`` or ``asap``."""
    gap: float | None
    solve_s: float
    unplaced: tuple[str, ...] = ()
    """Jobs that fit nowhere in the horizon (no eligible machine, or longer than it)."""

    @property
    def late_jobs(self) -> tuple[str, ...]:
        """Jobs that end after their due step."""
        return tuple(p.job for p in self.placements if p.late_steps > 0)


def _start_costs(job: Job, grid: Grid) -> npt.NDArray[np.float64]:
    """Money (energy and carbon) of starting the job at each feasible start step."""
    n = grid.steps - job.duration + 1
    if n <= 0:
        return np.zeros(0)
    rate = grid.price + grid.carbon_price_per_t * grid.carbon_g / 1e6
    kwh = np.asarray(job.power_kw) * grid.step_h
    windows = np.lib.stride_tricks.sliding_window_view(rate, job.duration)[:n]
    return np.asarray(windows @ kwh, dtype=float)


def _evaluate(
    jobs: Sequence[Job], grid: Grid, starts: dict[str, tuple[str, int]], *, status: str,
    gap: float | None, seconds: float, unplaced: tuple[str, ...],
) -> Plan:  # fmt: skip
    power = np.zeros(grid.steps)
    placements = []
    energy = carbon = startup = late_penalty = 0.0
    for job in jobs:
        if job.id not in starts:
            continue
        machine, s = starts[job.id]
        end = s + job.duration
        power[s:end] += job.power_kw
        kwh = np.asarray(job.power_kw) * grid.step_h
        energy += float(kwh @ grid.price[s:end])
        carbon += float(kwh @ grid.carbon_g[s:end]) / 1000.0
        startup += job.startup_cost
        late = max(0, end - job.due)
        late_penalty += LATE_PENALTY * late
        placements.append(Placement(job.id, machine, s, end, late))
    peak = float(power.max()) if power.size else 0.0
    objective = (
        energy
        + grid.carbon_price_per_t * carbon / 1000.0
        + startup
        + grid.demand_charge_per_kw * peak
        + late_penalty
    )
    return Plan(tuple(placements), energy, carbon, peak, objective, status, gap, seconds, unplaced)


def _placeable(jobs: Sequence[Job], grid: Grid) -> tuple[list[Job], tuple[str, ...]]:
    ok = [j for j in jobs if j.machines and j.duration <= grid.steps - j.release]
    return ok, tuple(sorted(j.id for j in jobs if j not in ok))


def asap(jobs: Sequence[Job], grid: Grid, *, cheapest: bool = False) -> Plan:
    """Return the as-soon-as-possible plan (each job, in release order, at the earliest
    start on a free eligible machine); with ``cheapest``, at its cheapest feasible start
    instead (the greedy fallback). The peak limit is respected where it can be."""
    started = time.perf_counter()
    ok, unplaced = _placeable(jobs, grid)
    busy: dict[str, npt.NDArray[np.bool_]] = {}
    power = np.zeros(grid.steps)
    limit = np.inf if grid.peak_kw is None else grid.peak_kw
    starts: dict[str, tuple[str, int]] = {}
    for job in sorted(ok, key=lambda j: (j.release, j.due, j.id)):
        costs = _start_costs(job, grid)
        best: tuple[float, int, str] | None = None
        for machine in job.machines:
            taken = busy.setdefault(machine, np.zeros(grid.steps, dtype=bool))
            for s in range(job.release, grid.steps - job.duration + 1):
                end = s + job.duration
                if taken[s:end].any() or (power[s:end] + job.power_kw > limit).any():
                    continue
                late = max(0, end - job.due) * LATE_PENALTY
                key = (late + (float(costs[s]) if cheapest else float(s)), s, machine)
                if best is None or key < best:
                    best = key
                if not cheapest:
                    break
        if best is None:
            unplaced = (*unplaced, job.id)
            continue
        _, s, machine = best
        busy[machine][s : s + job.duration] = True
        power[s : s + job.duration] += job.power_kw
        starts[job.id] = (machine, s)
    status = "greedy" if cheapest else "asap"
    return _evaluate(
        jobs, grid, starts, status=status, gap=None, seconds=time.perf_counter() - started,
        unplaced=tuple(sorted(unplaced)),
    )  # fmt: skip


def solve(jobs: Sequence[Job], grid: Grid, *, time_limit_s: float = 30.0) -> Plan:
    """Return the least-money plan HiGHS finds within the time limit (see the module)."""
    started = time.perf_counter()
    ok, unplaced = _placeable(jobs, grid)
    columns: list[tuple[int, str, int]] = []  # job index, machine, start
    cost: list[float] = []
    for j, job in enumerate(ok):
        costs = _start_costs(job, grid)
        for machine in job.machines:
            for s in range(job.release, grid.steps - job.duration + 1):
                late = max(0, s + job.duration - job.due) * LATE_PENALTY
                columns.append((j, machine, s))
                cost.append(float(costs[s]) + job.startup_cost + late)
    if not columns:
        return _evaluate(jobs, grid, {}, status="optimal", gap=0.0, seconds=0.0, unplaced=unplaced)
    n = len(columns)
    peak_col = n
    machines = sorted({m for _, m, _ in columns})
    m_index = {m: i for i, m in enumerate(machines)}
    rows, cols, vals = [], [], []
    lower, upper = [], []
    row = 0
    # each job once
    for k, (j, _, _) in enumerate(columns):
        rows.append(j)
        cols.append(k)
        vals.append(1.0)
    row = len(ok)
    lower += [1.0] * len(ok)
    upper += [1.0] * len(ok)
    # one job at a time per machine and step; the peak at least each step's power
    t_steps = grid.steps
    for k, (j, machine, s) in enumerate(columns):
        job = ok[j]
        for offset in range(job.duration):
            t = s + offset
            rows.append(row + m_index[machine] * t_steps + t)
            cols.append(k)
            vals.append(1.0)
            rows.append(row + len(machines) * t_steps + t)
            cols.append(k)
            vals.append(job.power_kw[offset])
    lower += [0.0] * (len(machines) * t_steps)
    upper += [1.0] * (len(machines) * t_steps)
    power_rows = row + len(machines) * t_steps
    for t in range(t_steps):
        rows.append(power_rows + t)
        cols.append(peak_col)
        vals.append(-1.0)
    lower += [-np.inf] * t_steps
    upper += [0.0] * t_steps
    matrix = coo_matrix((vals, (rows, cols)), shape=(len(lower), n + 1)).tocsr()
    objective = np.asarray([*cost, grid.demand_charge_per_kw])
    peak_limit = np.inf if grid.peak_kw is None else grid.peak_kw
    result = milp(
        objective,
        constraints=LinearConstraint(matrix, np.asarray(lower), np.asarray(upper)),
        integrality=np.asarray([1] * n + [0]),
        bounds=Bounds(np.zeros(n + 1), np.asarray([1.0] * n + [peak_limit])),
        options={"time_limit": time_limit_s, "disp": False},
    )
    seconds = time.perf_counter() - started
    if result.x is None:
        fallback = asap(jobs, grid, cheapest=True)
        return Plan(
            fallback.placements, fallback.energy_cost, fallback.carbon_kg, fallback.peak_kw,
            fallback.objective, "greedy", None, seconds, fallback.unplaced,
        )  # fmt: skip
    chosen = np.flatnonzero(result.x[:n] > 0.5)
    starts = {ok[columns[k][0]].id: (columns[k][1], columns[k][2]) for k in chosen}
    status = "optimal" if result.status == 0 else "time_limit"
    gap = float(getattr(result, "mip_gap", 0.0) or 0.0)
    return _evaluate(jobs, grid, starts, status=status, gap=gap, seconds=seconds, unplaced=unplaced)


def trade_off(
    jobs: Sequence[Job], grid: Grid, carbon_prices: Sequence[float], *, time_limit_s: float = 10.0
) -> list[tuple[float, float, float]]:
    """Return the money-carbon trade-off: (carbon price per t, energy money, kg CO2e) of the
    plan at each carbon price."""
    out = []
    for price in carbon_prices:
        plan = solve(
            jobs,
            Grid(
                step_h=grid.step_h, price=grid.price, carbon_g=grid.carbon_g,
                carbon_price_per_t=price, peak_kw=grid.peak_kw,
                demand_charge_per_kw=grid.demand_charge_per_kw,
            ),
            time_limit_s=time_limit_s,
        )  # fmt: skip
        out.append((float(price), plan.energy_cost, plan.carbon_kg))
    return out
