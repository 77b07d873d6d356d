"""The intervention plan: for every asset at risk, the option with the least expected cost.

Each asset and failure mode gets a set of options: intervene now, intervene in one of the
site's maintenance windows in the horizon (with the part from stock, ordered, or expedited
to arrive in time), move production to another line and intervene now, order the part and
watch, or defer and watch. An option's expected cost over the horizon is

    F(t) * (cost of a failure before t) + (1 - F(t)) * (cost of the planned work at t)
    + the life given up by renewing early + parts, expediting and holding,

with ``F`` the asset's probability of failure by ``t``. Deferring pays the risk of failing
in the horizon and, if the asset survives it, the planned work it still owes. The choices
interact through shared crews (technician hours per slot) and shared stock (parts on hand
per site), so the plan is one optimisation: OR-Tools CP-SAT picks one option per asset under
those limits, warm-started from each asset's cheapest option.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from andon.apps.maintenance.criticality import Criticality, MaintenanceSlot, PlanningCalendar
from andon.model.schema import FailureMode, SparePart

__all__ = [
    "AssetRisk",
    "PlanOption",
    "PlanResult",
    "PlannedAsset",
    "curve_cdf",
    "failure_cdf",
    "options_for",
    "solve_plan",
]

_HOURS_PER_DAY = 24.0
_SHAPE = 1.5
"""Within the horizon the hazard rises (wear-out): F(t) = 1 - (1 - p)^((t/H)^1.5)."""


def failure_cdf(
    p_horizon: float,
    horizon_h: float,
    t_h: float | np.ndarray,
    *,
    rul_h: float | None = None,
    rul_low_h: float | None = None,
    rul_high_h: float | None = None,
) -> np.ndarray:
    """Return P(failure by ``t_h``) given P(failure within ``horizon_h``).

    The calibrated probability fixes the level at the horizon; the shape before it comes
    from the RUL and its 10th-90th percentile band (a log-normal through them), or, without
    a band, from a wear-out power law ``1 - (1 - p)^((t/H)^1.5)``.
    """
    t = np.clip(np.asarray(t_h, dtype=np.float64), 0.0, None)
    if rul_h is not None and rul_low_h is not None and rul_high_h is not None:
        median = max(rul_h, 1.0)
        sigma = max(math.log(max(rul_high_h, 1.0) / max(rul_low_h, 1.0)) / (2 * 1.2816), 0.15)
        at_horizon = _lognormal_cdf(np.array([horizon_h]), median, sigma)[0]
        if at_horizon > 1e-6:
            shape = _lognormal_cdf(np.minimum(t, horizon_h), median, sigma) / at_horizon
            beyond = np.clip(t / horizon_h, 1.0, None)
            survive = max(1.0 - p_horizon, 1e-12)
            after = 1.0 - survive**beyond
            return np.asarray(np.where(t <= horizon_h, p_horizon * shape, after), dtype=np.float64)
    ratio = t / horizon_h
    survive = max(1.0 - p_horizon, 1e-12)
    return np.asarray(1.0 - survive ** (ratio**_SHAPE), dtype=np.float64)


def curve_cdf(
    curve: Sequence[tuple[float, float]], t_h: np.ndarray, *, scale: float = 1.0
) -> np.ndarray:
    """Return P(failure by ``t_h``) from points of the failure curve, linear between them.

    Before the first point the curve rises from zero at now; beyond the last, the hazard of
    the last stretch goes on. ``scale`` moves the whole curve (for an uncertainty band).
    """
    xs = np.array([0.0, *(x for x, _ in curve)], dtype=np.float64)
    ys = np.clip(np.array([0.0, *(y for _, y in curve)], dtype=np.float64) * scale, 0.0, 1.0)
    ys = np.maximum.accumulate(ys)
    t = np.clip(t_h, 0.0, None)
    inside = np.interp(np.minimum(t, xs[-1]), xs, ys)
    survive_last = max(1.0 - ys[-1], 1e-12)
    beyond = np.clip(t / max(xs[-1], 1e-9), 1.0, None)
    after = 1.0 - survive_last**beyond
    return np.asarray(np.where(t <= xs[-1], inside, after), dtype=np.float64)


def _lognormal_cdf(t: np.ndarray, median: float, sigma: float) -> np.ndarray:
    from scipy.special import ndtr  # noqa: PLC0415

    safe = np.maximum(t, 1e-9)
    return np.asarray(ndtr((np.log(safe) - math.log(median)) / sigma), dtype=np.float64)


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetRisk:
    """One asset and failure mode at ``now``: its risk, its economics, what is known."""

    subject: str
    site: str
    equipment_class: str
    mode: FailureMode
    p_fail: float
    p_low: float
    p_high: float
    horizon_h: float
    rul_h: float
    rul_low_h: float
    rul_high_h: float
    confidence: float
    criticality: Criticality
    crew_hourly_cost: float
    part_wait_unknown: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    p_new: float = 0.0
    """P(failure within the horizon) of the mode once renewed (age zero)."""
    curve: tuple[tuple[float, float], ...] = ()
    """``(hours from now, P(failure by then))`` from the risk model; empty: shape from the RUL."""

    def cdf(self, t_h: float | np.ndarray, p_horizon: float | None = None) -> np.ndarray:
        """P(failure by ``t_h`` hours from now), at the asset's risk or at ``p_horizon``."""
        t = np.atleast_1d(np.asarray(t_h, dtype=np.float64))
        if self.curve:
            return curve_cdf(
                self.curve,
                t,
                scale=1.0 if p_horizon is None or self.p_fail <= 1e-12 else p_horizon / self.p_fail,
            )
        return failure_cdf(
            self.p_fail if p_horizon is None else p_horizon,
            self.horizon_h,
            np.atleast_1d(np.asarray(t_h, dtype=np.float64)),
            rul_h=self.rul_h,
            rul_low_h=self.rul_low_h,
            rul_high_h=self.rul_high_h,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanOption:
    """One course of action for one asset, with what it costs and what it uses."""

    kind: str
    action: str
    eval_h: float
    fail_cost: float
    else_cost: float
    fixed_cost: float
    slot: str | None = None
    crew_hours: float = 0.0
    stock_use: Mapping[str, int] = field(default_factory=dict)
    expedited: tuple[str, ...] = ()
    ordered: tuple[str, ...] = ()

    def expected_cost(self, risk: AssetRisk, p_horizon: float | None = None) -> float:
        """Expected cost for an asset, at its risk or at ``p_horizon`` within the horizon."""
        f = float(risk.cdf(self.eval_h, p_horizon)[0])
        return f * self.fail_cost + (1.0 - f) * self.else_cost + self.fixed_cost


@dataclass(frozen=True, slots=True)
class PlannedAsset:
    """The plan's choice for one asset, beside every option it weighed."""

    risk: AssetRisk
    options: tuple[PlanOption, ...]
    chosen: int
    do_nothing: int

    @property
    def choice(self) -> PlanOption:
        """The chosen option."""
        return self.options[self.chosen]

    def cost(self, index: int, p_horizon: float | None = None) -> float:
        """Expected cost of option ``index`` (at the asset's risk, or at ``p_horizon``)."""
        p = self.risk.p_fail if p_horizon is None else p_horizon
        return self.options[index].expected_cost(self.risk, p)

    def saving(self, p_horizon: float | None = None) -> float:
        """Expected saving of the choice against doing nothing."""
        return self.cost(self.do_nothing, p_horizon) - self.cost(self.chosen, p_horizon)


@dataclass(frozen=True, slots=True)
class PlanResult:
    """The plan, the solver's status, and how long it took."""

    assets: tuple[PlannedAsset, ...]
    status: str
    objective: float
    seconds: float
    slot_use: Mapping[str, tuple[float, float]]


def _part_hours(part: SparePart, *, expedite: bool) -> float:
    days = part.expedite_lead_time_days if expedite else part.lead_time_days
    return math.inf if days is None else days * _HOURS_PER_DAY


def options_for(
    risk: AssetRisk,
    calendar: PlanningCalendar,
    parts: Mapping[str, SparePart],
    on_hand: Mapping[str, int],
    *,
    move_share: float = 0.5,
    life_value_factor: float = 1.0,
    on_order: Mapping[str, int] | None = None,
) -> tuple[list[PlanOption], int]:
    """Return the options for one asset and the index of doing nothing (run to failure).

    ``life_value_factor`` weighs the life an early renewal gives up (1: the renewal cost
    rate of the mode, planned cost over MTBF). ``on_order`` counts parts already ordered
    for the site: a part short on the shelf but on order is not ordered again.

    A part whose lead time reaches past the horizon is judged over its lead time: leaving
    it unordered costs the chance that the mode fails before a part ordered now could
    arrive, times the shortage (the downtime waiting for it, or the expedite fee and the
    shorter wait); ordering it costs holding it for the lead time. So a part with no stock
    and a long lead is ordered when that chance times the shortage exceeds holding it.
    """
    mode = risk.mode
    crit = risk.criticality
    horizon = risk.horizon_h
    preventive_h = mode.preventive_h or mode.repair_h / 2.0
    needed = {pid: qty for pid, qty in mode.parts.items() if pid in parts}
    parts_cost = sum(parts[pid].unit_cost * qty for pid, qty in needed.items())
    missing = [pid for pid, qty in needed.items() if on_hand.get(pid, 0) < qty]
    ordered_already = on_order or {}
    to_order = [
        pid for pid in missing if on_hand.get(pid, 0) + ordered_already.get(pid, 0) < needed[pid]
    ]
    # Planned service costs half a repair's (no collateral damage, no diagnosis).
    service = 0.5 * mode.repair_cost
    crew = risk.crew_hourly_cost

    # Waiting for parts after a failure: nothing if on hand, else the cheaper of normal or
    # expedited delivery (expediting costs money, waiting costs downtime).
    def failure_cost(at_h: np.ndarray, *, ordered_at_h: float | None) -> np.ndarray:
        wait = np.zeros_like(at_h)
        extra = np.zeros_like(at_h)
        for pid in missing:
            part = parts[pid]
            lead = _part_hours(part, expedite=False)
            normal = (
                np.full_like(at_h, lead)
                if ordered_at_h is None
                else np.maximum(ordered_at_h + lead - at_h, 0.0)
            )
            fast = np.minimum(_part_hours(part, expedite=True), normal)
            slow_cost = crit.downtime_cost(calendar, at_h + mode.repair_h, normal)
            if np.isfinite(fast).all():
                fast_cost = part.expedite_cost + crit.downtime_cost(
                    calendar, at_h + mode.repair_h, fast
                )
                use_fast = fast_cost < slow_cost
                wait = np.maximum(wait, np.where(use_fast, fast, normal))
                extra = extra + np.where(use_fast, part.expedite_cost, 0.0)
            else:
                wait = np.maximum(wait, normal)
        down = crit.downtime_cost(calendar, at_h, mode.repair_h + wait)
        labour = crew * mode.repair_h
        return np.asarray(down + labour + mode.repair_cost + parts_cost + extra, dtype=np.float64)

    def mean_failure_cost(until_h: float, *, ordered_at_h: float | None = None) -> float:
        """Failure cost averaged over when, before ``until_h``, the failure happens."""
        if until_h <= 0.0:
            return float(failure_cost(np.array([0.0]), ordered_at_h=ordered_at_h)[0])
        grid = np.linspace(0.0, until_h, 9)
        cdf = risk.cdf(grid)
        weights = np.diff(cdf)
        mids = (grid[:-1] + grid[1:]) / 2.0
        costs = failure_cost(mids, ordered_at_h=ordered_at_h)
        total = float(weights.sum())
        if total <= 1e-12:
            return float(costs.mean())
        return float((weights * costs).sum() / total)

    def planned_cost(start_h: float, *, share: float = 1.0) -> float:
        down = float(crit.downtime_cost(calendar, np.array([start_h]), np.array([preventive_h]))[0])
        return down * share + service + crew * preventive_h + parts_cost

    slots = calendar.slots
    cheapest_planned = min(planned_cost(slot.start_h) for slot in slots)
    life_h = max(mode.mtbf_h, 1.0)

    # Renewal reward: a renewal costs at least ``cheapest_planned`` every ``life_h``
    # operating hours, so an operating hour of life is worth ``rate``. Every option is
    # priced as "renewed by the end of the horizon": renewing at t gives up the production
    # hours between t and the horizon; deferring pays the failure risk until then and, if
    # the asset survives, the renewal it still owes. Against its next chance (tomorrow),
    # renewing now wins when P(failure before then) x (failure - planned cost) exceeds
    # the value of the hours given up: the classic age-replacement condition.
    rate = life_value_factor * cheapest_planned / life_h
    hours_to_horizon = calendar.planned_hours(0.0, horizon)
    renewed_fail = mean_failure_cost(horizon)

    def life_given_up(start_h: float) -> float:
        given_up = max(hours_to_horizon - calendar.planned_hours(0.0, start_h), 0.0)
        # A renewed part can fail too before the horizon ends (at random, for a mode no
        # tag shows): that risk is paid as well.
        left = max(horizon - start_h, 0.0) / horizon
        return rate * given_up + risk.p_new * left * renewed_fail

    # Deferred past the horizon, the renewal is still owed, less the life the asset has
    # beyond the horizon (its expected remaining life, in production hours), counted for
    # one horizon at most: past that, the asset is judged again and the renewal it owes is
    # no further away than the next judgement says.
    production_share = hours_to_horizon / horizon if horizon > 0 else 1.0
    life_beyond = min(production_share * max(risk.rul_h - horizon, 0.0), hours_to_horizon)
    owed_if_watched = max(cheapest_planned - rate * life_beyond, 0.0)

    holding = {
        pid: parts[pid].holding_cost_per_year * qty * horizon / (365.0 * _HOURS_PER_DAY)
        for pid, qty in needed.items()
    }
    ahead = _lead_time_look_ahead(risk, parts, needed, to_order, production_share)
    options: list[PlanOption] = []
    fail_h = mean_failure_cost(horizon)
    options.append(
        PlanOption(
            kind="watch",
            action=f"defer and watch {mode.id}",
            eval_h=horizon,
            fail_cost=fail_h,
            else_cost=owed_if_watched,
            fixed_cost=ahead.unordered,
        )
    )
    do_nothing = 0
    if to_order:
        ordered = tuple(to_order)
        options.append(
            PlanOption(
                kind="order_part",
                action=f"order {_parts_text(needed, to_order)} and watch {mode.id}",
                eval_h=horizon,
                fail_cost=mean_failure_cost(horizon, ordered_at_h=0.0),
                else_cost=owed_if_watched,
                fixed_cost=sum(holding[p] for p in to_order) + ahead.ordered,
                ordered=ordered,
            )
        )
    for slot in slots:
        options.extend(
            _slot_options(
                slot=slot,
                needed=needed,
                missing=missing,
                parts=parts,
                fail_cost=mean_failure_cost(slot.start_h),
                planned=planned_cost(slot.start_h),
                life=life_given_up(slot.start_h),
                holding=holding,
                preventive_h=preventive_h,
                mode=mode,
                awaited=len(to_order) < len(missing),
            )
        )
    if crit.alternative_line is not None and not missing:
        move_cost = crit.changeover_h * crit.cost_per_hour * crit.capacity_share
        options.append(
            PlanOption(
                kind="move_production",
                action=f"move production to {crit.alternative_line} and intervene on {mode.id} now",
                eval_h=0.0,
                fail_cost=0.0,
                else_cost=planned_cost(0.0, share=1.0 - move_share),
                fixed_cost=move_cost + life_given_up(0.0),
                slot="now",
                crew_hours=preventive_h,
                stock_use=dict(needed),
            )
        )
    return options, do_nothing


@dataclass(frozen=True, slots=True)
class _LookAhead:
    unordered: float
    """Expected shortage beyond the horizon, within the lead time, if nothing is ordered."""
    ordered: float
    """Expected shortage left and extra holding beyond the horizon if ordered now."""


def _lead_time_look_ahead(
    risk: AssetRisk,
    parts: Mapping[str, SparePart],
    needed: Mapping[str, int],
    to_order: Sequence[str],
    production_share: float,
) -> _LookAhead:
    """Price the failures between the horizon and the lead time of the parts to order."""
    horizon = risk.horizon_h
    leads = {pid: _part_hours(parts[pid], expedite=False) for pid in to_order}
    long = {pid: h for pid, h in leads.items() if math.isfinite(h) and h > horizon}
    if not long:
        return _LookAhead(0.0, 0.0)
    lead = max(long.values())
    f_h, f_lead = (float(v) for v in risk.cdf(np.array([horizon, lead])))
    beyond = max(f_lead - f_h, 0.0)
    crit = risk.criticality
    cost_h = crit.cost_per_hour * crit.capacity_share * production_share
    shortage = 0.0
    for pid, hours in long.items():
        part = parts[pid]
        slow = hours * cost_h
        fast_h = _part_hours(part, expedite=True)
        fast = part.expedite_cost + fast_h * cost_h if math.isfinite(fast_h) else math.inf
        shortage = max(shortage, min(slow, fast))
    # The rule of a spare's position (order when P(needed within the lead time) times the
    # shortage exceeds holding it): with the part on order the next failure finds a spare
    # coming, without it the whole shortage is paid; what ordering costs is holding it.
    extra_holding = sum(
        parts[pid].holding_cost_per_year * needed[pid] * (lead - horizon) / (365.0 * _HOURS_PER_DAY)
        for pid in long
    )
    return _LookAhead(beyond * shortage, extra_holding)


def _parts_text(needed: Mapping[str, int], which: Sequence[str]) -> str:
    return ", ".join(f"{pid} x{needed[pid]}" for pid in which)


def _slot_options(
    *,
    slot: MaintenanceSlot,
    needed: Mapping[str, int],
    missing: Sequence[str],
    parts: Mapping[str, SparePart],
    fail_cost: float,
    planned: float,
    life: float,
    holding: Mapping[str, float],
    preventive_h: float,
    mode: FailureMode,
    awaited: bool = False,
) -> list[PlanOption]:
    """Return the options of one slot; ``awaited``: a missing part is on order already, so
    it is not expedited again (the work waits for the order)."""
    if slot.id == "now":
        where = "now"
    elif slot.id.startswith("day+"):
        days = slot.id.removeprefix("day+")
        where = f"in {days} day{'s' if days != '1' else ''}"
    else:
        where = f"in window {slot.id}"
    on_hand_use = {pid: qty for pid, qty in needed.items() if pid not in missing}
    out: list[PlanOption] = []
    if not missing:
        out.append(
            PlanOption(
                kind="intervene",
                action=f"intervene on {mode.id} {where}, parts from stock",
                eval_h=slot.start_h,
                fail_cost=fail_cost,
                else_cost=planned,
                fixed_cost=life,
                slot=slot.id,
                crew_hours=preventive_h,
                stock_use=dict(needed),
            )
        )
        # The stock may be wanted by another asset: the part can also come by order.
        missing = list(needed)
        on_hand_use = {}
    normal_ok = all(_part_hours(parts[p], expedite=False) <= slot.start_h for p in missing)
    fast_ok = all(_part_hours(parts[p], expedite=True) <= slot.start_h for p in missing)
    hold = sum(holding[p] for p in missing)
    if normal_ok:
        out.append(
            PlanOption(
                kind="intervene",
                action=f"order {_parts_text(needed, missing)} and intervene on {mode.id} {where}",
                eval_h=slot.start_h,
                fail_cost=fail_cost,
                else_cost=planned,
                fixed_cost=life + hold,
                slot=slot.id,
                crew_hours=preventive_h,
                stock_use=on_hand_use,
                ordered=tuple(missing),
            )
        )
    elif fast_ok and not awaited:
        out.append(
            PlanOption(
                kind="expedite",
                action=f"expedite {_parts_text(needed, missing)} and intervene on {mode.id} "
                f"{where}",
                eval_h=slot.start_h,
                fail_cost=fail_cost,
                else_cost=planned,
                fixed_cost=life + hold + sum(parts[p].expedite_cost for p in missing),
                slot=slot.id,
                crew_hours=preventive_h,
                stock_use=on_hand_use,
                expedited=tuple(missing),
            )
        )
    return out


def solve_plan(
    assets: Sequence[tuple[AssetRisk, list[PlanOption], int]],
    *,
    crew_capacity: Mapping[tuple[str, str], float],
    stock: Mapping[tuple[str, str], int],
    time_limit_s: float = 8.0,
    workers: int = 2,
) -> PlanResult:
    """Choose one option per asset, minimising expected cost under crew and stock limits.

    ``crew_capacity`` maps (site, slot id) to technician hours; ``stock`` maps (site, part)
    to parts on hand. An option that would use a crew slot or stock the site lacks is
    refused. Returns the best plan found; ``status`` says whether it is proven optimal.
    """
    import time  # noqa: PLC0415

    from ortools.sat.python import cp_model  # noqa: PLC0415  (heavy import, plan time only)

    started = time.perf_counter()
    costs = [[opt.expected_cost(risk) for opt in options] for risk, options, _ in assets]
    greedy = [int(np.argmin(row)) for row in costs]
    crew_terms: dict[tuple[str, str], list[tuple[int, int, float]]] = defaultdict(list)
    stock_terms: dict[tuple[str, str], list[tuple[int, int, int]]] = defaultdict(list)
    for a, (risk, options, _) in enumerate(assets):
        for o, opt in enumerate(options):
            if opt.slot is not None and opt.crew_hours > 0:
                crew_terms[(risk.site, opt.slot)].append((a, o, opt.crew_hours))
            for pid, qty in opt.stock_use.items():
                stock_terms[(risk.site, pid)].append((a, o, qty))

    def feasible(choice: list[int]) -> bool:
        for key, terms in crew_terms.items():
            if sum(h for a, o, h in terms if choice[a] == o) > crew_capacity.get(key, 0.0) + 1e-9:
                return False
        for key, uses in stock_terms.items():
            if sum(q for a, o, q in uses if choice[a] == o) > stock.get(key, 0):
                return False
        return True

    if feasible(greedy):
        chosen, status = greedy, "optimal (no limit binds)"
    else:
        model = cp_model.CpModel()
        x = [
            [model.new_bool_var(f"x{a}_{o}") for o in range(len(row))]
            for a, row in enumerate(costs)
        ]
        for a, row in enumerate(x):
            model.add_exactly_one(row)
            model.add_hint(row[greedy[a]], value=True)
        for key, terms in crew_terms.items():
            cap = math.floor(crew_capacity.get(key, 0.0) * 100)
            model.add(sum(math.ceil(h * 100) * x[a][o] for a, o, h in terms) <= cap)
        for key, uses in stock_terms.items():
            model.add(sum(q * x[a][o] for a, o, q in uses) <= stock.get(key, 0))
        model.minimize(
            sum(round(c * 100) * x[a][o] for a, row in enumerate(costs) for o, c in enumerate(row))
        )
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = time_limit_s
        solver.parameters.num_workers = workers
        result = solver.solve(model)
        if result in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = [
                next(o for o, var in enumerate(row) if solver.boolean_value(var)) for row in x
            ]
            status = "optimal" if result == cp_model.OPTIMAL else "feasible (time limit)"
        else:
            # Doing nothing always fits: it uses no crew and no stock.
            chosen = [do_nothing for _, _, do_nothing in assets]
            status = "infeasible limits: nothing planned"
    planned = tuple(
        PlannedAsset(risk, tuple(options), chosen[a], do_nothing)
        for a, (risk, options, do_nothing) in enumerate(assets)
    )
    slot_use: dict[str, tuple[float, float]] = {}
    for key, terms in crew_terms.items():
        used = sum(h for a, o, h in terms if chosen[a] == o)
        slot_use[f"{key[0]}:{key[1]}"] = (used, crew_capacity.get(key, 0.0))
    objective = float(sum(costs[a][chosen[a]] for a in range(len(assets))))
    return PlanResult(planned, status, objective, time.perf_counter() - started, slot_use)
