"""The simulated plant: SimPy processes for flow, failures, crews and parts.

Events that change the plant (a cycle, a state, a failure, a repair, an order, a unit) are
SimPy events; what is sampled on a clock (condition tags, meters, health truth) is computed
afterwards, a chunk at a time, from the trajectories the events left (see ``chunk.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from bisect import bisect_right
from collections import Counter, defaultdict, deque
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from typing import Any, Final

import numpy as np
import simpy

from andon.model import EquipmentInfo, Model
from andon.model.schema import (
    EquipmentRole,
    FailureMode,
    LineKind,
    Product,
    RoutingStep,
    SpecLimit,
)
from andon.sim.calendar import CLOSED, PRODUCING, SimCalendar
from andon.sim.policy import ProductionOrder, ScheduleView
from andon.sim.scenario import HoldRule, Scenario, SitePractice
from andon.sim.wear import HealthPath, draw_path, initial_path

__all__ = ["STATE_NAMES", "Plant"]

S_RUN, S_IDLE, S_STARVED, S_BLOCKED, S_SETUP, S_WARMUP = 0, 1, 2, 3, 4, 5
S_BREAK, S_PM, S_DOWN, S_OFF, S_MICRO = 6, 7, 8, 9, 10
STATE_NAMES = (
    "running",
    "idle",
    "starved",
    "blocked",
    "setup",
    "setup",
    "planned_down",
    "planned_down",
    "unplanned_down",
    "offline",
    "idle",
)
STATE_REASONS: tuple[str | None, ...] = (
    None,
    "no_order",
    None,
    None,
    "changeover",
    "warmup",
    "break",
    "preventive",
    None,
    "no_shift",
    "micro_stop",
)
CAUSE_NAMES = (
    "running",
    "idle",
    "starved",
    "blocked",
    "changeover",
    "warmup",
    "break",
    "preventive",
    "down",
    "off",
    "micro_stop",
)

Gen = Generator[Any, Any, Any]

_UTILITY_BASE: Final = 0.3
"""Load of a utility other than compressed air with no production running, share of its
capacity (a water-treatment skid or a chiller keeps circulating)."""


class _Draws:
    """Buffered random draws: numpy blocks served one Python float at a time."""

    __slots__ = ("_lognormal", "_n", "_u", "rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._n: list[float] = []
        self._u: list[float] = []
        self._lognormal: dict[float, tuple[float, float]] = {}
        """Per coefficient of variation: the log-normal's sigma and half its variance."""

    def normal(self) -> float:
        if not self._n:
            self._n = self.rng.standard_normal(2048).tolist()
        return self._n.pop()

    def uniform(self) -> float:
        if not self._u:
            self._u = self.rng.random(2048).tolist()
        return self._u.pop()

    def exponential(self, mean: float) -> float:
        return -mean * math.log(1.0 - self.uniform())

    def lognormal(self, mean: float, cv: float) -> float:
        if cv <= 0:
            return mean
        law = self._lognormal.get(cv)
        if law is None:
            s2 = math.log(1.0 + cv * cv)
            law = self._lognormal[cv] = (math.sqrt(s2), s2 / 2)
        sigma, half = law
        return mean * math.exp(sigma * self.normal() - half)


@dataclass
class _Crew:
    id: str
    res: simpy.Resource
    starts: np.ndarray
    ends: np.ndarray
    skills: tuple[str, ...]
    hourly_cost: float

    def next_on(self, t: float) -> float:
        i = int(np.searchsorted(self.ends, t, side="right"))
        if i >= self.starts.size:
            return float("inf")
        return max(t, float(self.starts[i]))

    def on_shift(self, t: float) -> bool:
        return self.next_on(t) <= t


@dataclass
class _Site:
    path: str
    id: str
    cal: SimCalendar
    practice: SitePractice
    crews: list[_Crew]
    stock: dict[str, simpy.Container]
    on_order: dict[str, int]
    running: int = 0
    utilities: list[_Eq] = field(default_factory=list)
    leak_kwh: float = 0.0
    # Energy orders (see "energy orders" below): when the compressed-air leaks are fixed and
    # from when compressors are staged off while nothing produces; never by default.
    leak_fixed_from: float = math.inf
    staged_from: float = math.inf


@dataclass
class _Unit:
    serial: str
    product: str
    lot: str
    order: _Order
    route: tuple[int, ...]
    steps: tuple[RoutingStep, ...]
    pos: int = 0
    z_up: float = 0.0
    h_down: float = 0.0
    night: bool = False
    lot_offset: float = 0.0
    defective: bool = False
    cause: str | None = None
    """Why the unit is defective, once judged (``""`` when it is not); ``None`` before."""
    inspected: bool = False


@dataclass
class _Hold:
    """A quality hold of an order: where it was decided, the units it keeps in quarantine
    (with the station each passed), and the event that ends it early."""

    path: str
    release: simpy.Event
    units: deque[tuple[_Eq, _Unit]] = field(default_factory=deque)


@dataclass
class _Order:
    order: ProductionOrder
    line: _Line
    released: int = 0
    done: int = 0
    hold_drawn: bool = False
    """Whether the scenario's hold rule has judged the order (once, at its first unit)."""
    hold: _Hold | None = None


@dataclass
class _Cell:
    path: str
    id: str
    index: int
    buffer: simpy.Store
    equipment: list[_Eq] = field(default_factory=list)


@dataclass
class _Line:
    path: str
    site: _Site
    cells: list[_Cell]
    routes: dict[str, tuple[tuple[int, ...], tuple[RoutingStep, ...]]]
    products: tuple[Product, ...]
    queue: deque[_Order] = field(default_factory=deque)
    wake: simpy.Event | None = None
    unit_count: int = 0
    lot_count: int = 0
    lot: str = ""
    lot_offset: float = 0.0
    wip: int = 0
    draws: _Draws | None = None
    hold_draws: _Draws | None = None
    """Draws of the scenario's quality holds (their own stream: no hold, no draw)."""
    lab_assay: bool = False
    """A process cell without an inspection station: the lab assays each batch at the end."""


class _Eq:
    """One simulated equipment: its wear clock, health paths and chunk trajectories."""

    def __init__(
        self,
        *,
        index: int,
        info: EquipmentInfo,
        site: _Site,
        rng: np.random.Generator,
        scenario: Scenario,
        ref_year: int,
        t0: float,
    ) -> None:
        self.index = index
        self.info = info
        self.path = info.path
        self.site = site
        self.draws = _Draws(rng)
        self.modes: tuple[FailureMode, ...] = info.equipment_class.failure_modes
        age = max(0, ref_year - (info.equipment.install_year or ref_year))
        p = site.practice
        self.base_rate = p.wear_factor * (1.0 + p.age_wear_per_year * age)
        self.rate = self.base_rate
        self.paths: list[HealthPath] = [
            initial_path(
                rng,
                mtbf_h=m.mtbf_h,
                shape=scenario.wear_shape,
                signal=bool(m.signals),
                age_share=1.0,
                kind=m.degradation_kind,
                pf_interval_h=m.pf_interval_h,
                pf_cv=m.pf_cv,
            )
            for m in self.modes
        ]
        self.segs: list[list[tuple[float, HealthPath]]] = [[(-math.inf, p)] for p in self.paths]
        self.fail_w = min((pp.fail_w for pp in self.paths), default=math.inf)
        self._knots: list[tuple[float, list[float], list[float]] | None] | None = None
        """:meth:`knots`, built when first read; ``None`` again whenever a path renews."""
        self.W = 0.0
        self.ck_t: list[float] = [t0]
        self.ck_w: list[float] = [0.0]
        self.cyc_s: list[float] = []
        self.cyc_e: list[float] = []
        self.state = S_OFF
        self.reason: str | None = "no_shift"
        self.st_t: list[float] = [t0]
        self.st_c: list[int] = [S_OFF]
        self.st_row: tuple[int, int] = (-1, -1)
        """(buffer generation, row) of the equipment's newest state record."""
        power = info.equipment_class.power_kw
        self.power = (
            power.running,
            power.idle,
            power.idle,
            power.idle,
            power.idle,
            power.warmup,
            power.off if p.off_in_breaks else power.idle,
            power.off,
            power.off,
            power.off,
            power.idle,
        )
        self.pw_t: list[float] = [t0]
        self.pw_p: list[float] = [power.off]
        self.pw_s: list[int] = [S_OFF]
        self.warmup_s = power.warmup_min * 60.0
        self.switch_off: tuple[float, float] | None = None
        """An energy order's switch-off rule: (from, idle seconds before switching off)."""
        self.switched_off = False
        self.protected: tuple[float, float] | None = None
        """A flow order's protection span (from, to): a failure in it calls the crew out at
        once and expedites the parts."""
        self.awaiting: set[str] = set()
        """The parts the open work order waits for on the shelf."""
        self.rushed: set[str] = set()
        """The parts of the open work order expedited for a protection."""
        # Hours since the last intervention, as the plant's CMMS would show at the start:
        # the most recent renewal of any mode, in running hours.
        elapsed = [-p.offset for p in self.paths]
        self.op_hours = min(elapsed) / self.base_rate if elapsed else 0.0
        self.pm: list[tuple[float, tuple[int, ...]]] = []
        self.wake: simpy.Event | None = None
        self.down = False
        self.open_work: tuple[float, bool] | None = None
        """(opened at, preventive) of the work order in progress, until it closes."""
        self.open_modes: tuple[int, ...] = ()
        """The failure modes of that work order."""
        self.cold = True
        self.last_product: str | None = None
        self.cell: _Cell | None = None
        self.line: _Line | None = None
        self.last_run_s = 0.0
        """Running seconds of the last cycle (its breaks left out)."""
        self.counts_per_unit = info.cell.counts_per_unit
        """Counts of the equipment's cell in one line unit (24 bottles in a case)."""
        self.per_count = info.cell.units_per_count
        """Line units that make one count of the equipment's cell (80 cases to a pallet)."""
        self.inspects = info.role is EquipmentRole.INSPECTION
        self.ideal_s = info.ideal_cycle_time_s
        self.cycle_by_step: dict[int, float] = {}
        """Cycle time per line unit by routing step (its id: steps live as long as the run)."""
        """Line units that make one count of the equipment's cell (24 bottles to a case)."""

    def health_now(self) -> list[float]:
        return [float(p.health(self.W)) if p.signal else 0.0 for p in self.paths]

    def max_health(self) -> float:
        h = 0.0
        for knots in self.knots():
            if knots is not None:
                h = max(h, _interp(self.W - knots[0], knots[1], knots[2]))
        return h

    def knots(self) -> list[tuple[float, list[float], list[float]] | None]:
        """Each path's (offset, wear, health) knots as Python floats, ``None`` where it shows
        no signal: read once per path rather than at every unit (the hot path)."""
        if self._knots is None:
            self._knots = [
                (p.offset, p.w.tolist(), p.x.tolist()) if p.signal else None for p in self.paths
            ]
        return self._knots

    def due_pm(self, now: float) -> tuple[int, ...] | None:
        for i, (start, modes) in enumerate(self.pm):
            if start <= now:
                del self.pm[i]
                return modes
        return None

    def next_pm(self) -> float:
        return min((s for s, _ in self.pm), default=math.inf)


class Plant:
    """The simulated enterprise, built from a model and a scenario, run chunk by chunk."""

    def __init__(
        self,
        model: Model,
        scenario: Scenario,
        *,
        seed: int,
        days: float,
        schedule: Any,
    ) -> None:
        self.model = model
        self.scenario = scenario
        self.seed = seed
        self.schedule = schedule
        self.env = simpy.Environment()
        start = dt.datetime.fromisoformat(scenario.start.replace("Z", "+00:00"))
        self.start = start
        self.start_us = int(start.timestamp()) * 1_000_000
        self.horizon_s = days * 86_400.0
        ref_year = start.year
        self.sites: dict[str, _Site] = {}
        for site_path, site in model.sites.items():
            cal = SimCalendar(site, start=start, days=math.ceil(days) + 1)
            crews = []
            for crew in site.crews:
                s, e = cal.crew_spans(crew.shifts)
                crews.append(
                    _Crew(
                        crew.id,
                        simpy.Resource(self.env, capacity=crew.size),
                        s,
                        e,
                        crew.skills,
                        crew.hourly_cost,
                    )
                )
            stock = {
                part.id: simpy.Container(self.env, init=part.stock.get(site.id, 0))
                for part in model.parts.values()
            }
            self.sites[site_path] = _Site(
                site_path,
                site.id,
                cal,
                scenario.practice(site.id),
                crews,
                stock,
                dict.fromkeys(stock, 0),
            )
        self.rec = _Records()
        self.equipment: list[_Eq] = []
        for index, (path, info) in enumerate(model.equipment.items()):
            rng = np.random.default_rng([seed, 1, index])
            eq = _Eq(
                index=index,
                info=info,
                site=self.sites[info.site_path],
                rng=rng,
                scenario=scenario,
                ref_year=ref_year,
                t0=0.0,
            )
            del path
            self.equipment.append(eq)
        self.by_path = {eq.path: eq for eq in self.equipment}
        for eq in self.equipment:
            # Every state timeline starts at the start: offline until the first shift. A
            # state set in the same instant (a shift running at the start) replaces it.
            self._record_state(eq, 0.0, S_OFF, STATE_REASONS[S_OFF])
        self.lines: list[_Line] = self._build_lines()
        self.costs: defaultdict[str, float] = defaultdict(float)
        self.cost_by_kind: defaultdict[str, float] = defaultdict(float)
        """Maintenance money by the degradation kind of the modes worked on (``wear``, ``pf``,
        ``random``): downtime, labour, service and parts of each work order, a job on several
        modes shared between them by their nominal hours. Expedite fees and holding costs
        belong to the shelf, not to a mode, and are left out."""
        self.truth_failures: list[tuple[float, str, str, str, float, float, float]] = []
        self.truth_units: list[tuple[float, str, str, str, bool, str, bool, bool, float]] = []
        self.finished: list[tuple[str, str, bool]] = []  # serial, product, defective
        self.counts_acc: dict[tuple[int, str], list[int]] = {}
        self.work_orders = 0
        self._specs: dict[tuple[str, str], tuple[SpecLimit, ...]] = {}
        self.holds = self._hold_rules()
        """Product id -> (the cell whose check holds its orders, the rule)."""
        self.held: dict[str, _Order] = {}
        """Orders under a quality hold now, by id."""
        for line_index, line in enumerate(self.lines):
            line.draws = _Draws(np.random.default_rng([seed, 2, line_index]))
            if self.holds:
                line.hold_draws = _Draws(np.random.default_rng([seed, 3, line_index]))
            self.env.process(self._release(line))
            for cell in line.cells:
                for eq in cell.equipment:
                    self.env.process(self._run(eq))
        for runtime in self.sites.values():
            if runtime.utilities:
                self.env.process(self._utilities(runtime))
        self.env.process(self._days())
        self.env.process(self._counts())

    # ----------------------------------------------------------------- building
    def _build_lines(self) -> list[_Line]:
        lines: list[_Line] = []
        routed: set[str] = set()
        root = self.model.root
        for line_path, line in self.model.lines.items():
            site = self.sites["/".join(line_path.split("/")[:2])]
            cells: list[_Cell] = []
            for i, cell_model in enumerate(line.cells):
                cap = max(1, cell_model.buffer_capacity)
                cells.append(
                    _Cell(
                        f"{line_path}/{cell_model.id}",
                        cell_model.id,
                        i,
                        simpy.Store(self.env, cap),
                    )
                )
            index = {c.id: c.index for c in cells}
            routes: dict[str, tuple[tuple[int, ...], tuple[RoutingStep, ...]]] = {}
            products: list[Product] = []
            for product in self.model.products.values():
                for routing in product.routings:
                    if f"{root}/{routing.line}" != line_path:
                        continue
                    route = tuple(index[s.cell] for s in routing.steps if s.cell in index)
                    if route:
                        routes[product.id] = (route, routing.steps)
                        products.append(product)
            used = {i for r, _ in routes.values() for i in r}
            for runtime_cell in cells:
                for eq_model in line.cells[runtime_cell.index].equipment:
                    eq = self.by_path[f"{runtime_cell.path}/{eq_model.id}"]
                    if runtime_cell.index in used:
                        eq.cell = runtime_cell
                        runtime_cell.equipment.append(eq)
                        routed.add(eq.path)
            if routes:
                runtime_line = _Line(line_path, site, cells, routes, tuple(products))
                members = [m for c in cells for m in c.equipment]
                runtime_line.lab_assay = line.kind is LineKind.PROCESS_CELL and not any(
                    m.inspects for m in members
                )
                lines.append(runtime_line)
                for member in members:
                    member.line = runtime_line
        for eq in self.equipment:
            if eq.path in routed:
                continue
            # Outside every routing, equipment runs as its role says: a utility serves the
            # site's production; a machine no product is routed through waits for work.
            if eq.info.role is EquipmentRole.UTILITY:
                eq.site.utilities.append(eq)
            else:
                self.env.process(self._standby(eq))
        return lines

    # ----------------------------------------------------------------- states
    def set_state(
        self, eq: _Eq, code: int, reason: str | None = None, power: float | None = None
    ) -> None:
        now = self.env.now
        if reason is None:
            reason = STATE_REASONS[code]
        if code != eq.state or reason != eq.reason:
            self._record_state(eq, now, code, reason)
            if eq.state == S_RUN and code != S_RUN:
                eq.site.running -= 1
            elif code == S_RUN and eq.state != S_RUN:
                eq.site.running += 1
            eq.state = code
            eq.reason = reason
        p = eq.power[code] if power is None else power
        if p != eq.pw_p[-1] or code != eq.pw_s[-1]:
            eq.pw_t.append(now)
            eq.pw_p.append(p)
            eq.pw_s.append(code)

    def _record_state(self, eq: _Eq, now: float, code: int, reason: str | None) -> None:
        """Record a state; one state per equipment and instant, the last one set winning."""
        row = (now, eq.path, STATE_NAMES[code], reason)
        rows = self.rec.rows["state"]
        generation, index = eq.st_row
        if eq.st_t[-1] == now and generation == self.rec.generation and index >= 0:
            rows[index] = row
        else:
            eq.st_row = (self.rec.generation, len(rows))
            rows.append(row)
        if eq.st_t[-1] == now:
            eq.st_c[-1] = code
        else:
            eq.st_t.append(now)
            eq.st_c.append(code)

    # ----------------------------------------------------------------- production
    def _days(self) -> Gen:
        day = 0
        while True:
            for line in self.lines:
                self._plan_line(line, day)
            day += 1
            yield self.env.timeout(86_400.0)

    def _plan_line(self, line: _Line, day: int) -> None:
        now = self.env.now
        producing = line.site.cal.producing_seconds(now, now + 86_400.0)
        bottleneck = 1.0
        for cell in line.cells:
            if not cell.equipment:
                continue
            times = []
            for product in line.products:
                route, steps = line.routes[product.id]
                for i, step in zip(route, steps, strict=False):
                    if i == cell.index:
                        times.append(self._cycle_s(cell.equipment[0], step))
            if times:
                bottleneck = max(bottleneck, float(np.mean(times)) / len(cell.equipment))
        capacity = int(producing / bottleneck)
        mix = {p.id: p.mix for p in line.products}
        view = ScheduleView(
            now_us=self.us(now),
            day=day,
            line=line.path,
            products=tuple(mix),
            mix=mix,
            capacity_units=capacity,
            backlog_units=line.wip,
        )
        for order in self.schedule.orders(view):
            if order.product not in line.routes or order.quantity <= 0:
                continue
            line.queue.append(_Order(order, line))
            line.wip += order.quantity
            self.rec.order(
                (now, order.order_id, order.product, order.quantity, "released", line.path)
            )
        if line.wake is not None and not line.wake.triggered and line.queue:
            line.wake.succeed()

    def _release(self, line: _Line) -> Gen:
        draws = line.draws
        assert draws is not None
        lot_size = self.scenario.lot_size
        site_id = line.site.id
        tag = line.path.split("/", 2)[2].replace("/", "-")
        while True:
            if not line.queue:
                line.wake = self.env.event()
                yield line.wake
                continue
            order = line.queue[0]
            if order.released == 0 and (start_us := order.order.start_us) is not None:
                wait = (start_us - self.start_us) / 1e6 - self.env.now
                if wait > 0:
                    yield self.env.timeout(wait)
                    if order.order.start_us != start_us:
                        continue  # an energy order shifted the start meanwhile
            route, steps = line.routes[order.order.product]
            first = line.cells[route[0]].buffer
            while order.released < order.order.quantity:
                if line.unit_count % lot_size == 0:
                    line.lot_count += 1
                    line.lot = f"LOT-{site_id}-{tag}-{line.lot_count:05d}"
                    line.lot_offset = 0.4 * draws.normal()
                line.unit_count += 1
                serial = f"{site_id.upper()}-{tag}-{line.unit_count:07d}"
                unit = _Unit(
                    serial,
                    order.order.product,
                    line.lot,
                    order,
                    route,
                    steps,
                    lot_offset=line.lot_offset,
                )
                yield first.put(unit)
                if order.released == 0:
                    self.rec.order(
                        (
                            self.env.now,
                            order.order.order_id,
                            order.order.product,
                            order.order.quantity,
                            "started",
                            line.path,
                        )
                    )
                order.released += 1
                self.rec.genealogy((self.env.now, unit.lot, serial, "consumed"))
            line.queue.popleft()

    def _cycle_s(self, eq: _Eq, step: RoutingStep) -> float:
        """Return the cycle time per line unit: a cell's cycle is per count of its own."""
        known = eq.cycle_by_step.get(id(step))
        if known is None:
            per_count = step.cycle_time_s or eq.ideal_s or 60.0
            known = eq.cycle_by_step[id(step)] = per_count * eq.counts_per_unit / eq.per_count
        return known

    def _wait(self, eq: _Eq, delay: float) -> Gen:
        eq.wake = self.env.event()
        yield self.env.timeout(max(delay, 0.0)) | eq.wake
        eq.wake = None

    def _run(self, eq: _Eq) -> Gen:
        env = self.env
        cell = eq.cell
        line = eq.line
        assert cell is not None
        assert line is not None
        cal = eq.site.cal
        practice = eq.site.practice
        draws = eq.draws
        buffers = [c.buffer for c in line.cells]
        unit: _Unit | None = None
        while True:
            now = env.now
            modes = eq.due_pm(now)
            if modes is not None and self._parts_ready(eq, modes):
                yield from self._work(eq, modes, preventive=True)
                continue
            label, shift, seg_end = cal.at(now)
            if label != PRODUCING:
                if label == CLOSED:
                    self.set_state(eq, S_OFF)
                    eq.cold = True
                    eq.switched_off = False
                elif eq.switched_off:
                    self._switch_off(eq, S_BREAK)
                else:
                    self.set_state(eq, S_BREAK)
                    if practice.off_in_breaks:
                        eq.cold = True
                    elif (off := self._switch_off_at(eq, now)) < min(seg_end, eq.next_pm()):
                        yield from self._wait(eq, off - now)
                        if self.env.now < off:
                            continue  # woken by a work order
                        self._switch_off(eq, S_BREAK)
                yield from self._wait(eq, min(seg_end, eq.next_pm()) - self.env.now)
                continue
            if eq.cold and eq.warmup_s > 0 and not (eq.switched_off and unit is None):
                self.set_state(eq, S_WARMUP)
                eq.cold = False
                eq.switched_off = False
                yield env.timeout(eq.warmup_s)
                continue
            eq.cold = False
            if unit is None:
                buf = cell.buffer
                if buf.items:
                    unit = yield buf.get()
                else:
                    if eq.switched_off:
                        self._switch_off(eq, S_OFF)
                    else:
                        self.set_state(eq, S_STARVED)
                    get = buf.get()
                    eq.wake = env.event()
                    off = self._switch_off_at(eq, now) if not eq.switched_off else math.inf
                    yield get | env.timeout(min(seg_end, off) - now) | eq.wake
                    eq.wake = None
                    if not get.triggered:
                        get.cancel()
                        if env.now >= off and env.now < seg_end:
                            self._switch_off(eq, S_OFF)
                        continue
                    unit = get.value
                continue
            step = unit.steps[unit.pos]
            if unit.product != eq.last_product:
                if eq.last_product is not None and step.setup_min > 0:
                    self.set_state(eq, S_SETUP)
                    yield env.timeout(step.setup_min * 60.0)
                eq.last_product = unit.product
            base = self._cycle_s(eq, step)
            ideal = eq.ideal_s or base
            load = min(2.0, max(0.5, base / ideal))
            eq.rate = eq.base_rate * load
            duration = base * practice.speed_factor * draws.lognormal(1.0, practice.cycle_cv)
            failed = yield from self._cycle(eq, duration)
            if failed >= 0:
                self._scrap(eq, unit)
                unit = None
                yield from self._failure(eq, failed)
                continue
            scrapped = self._process(eq, unit, step, shift)
            if not scrapped and eq.inspects:
                scrapped = self._inspect(eq, unit)
            if scrapped or (self.holds and self._quarantined(eq, unit, step)):
                unit = None
            elif unit.pos + 1 >= len(unit.route):
                self._finish(eq, unit)
                unit = None
            else:
                unit.pos += 1
                out = buffers[unit.route[unit.pos]]
                put = out.put(unit)
                if not put.triggered:
                    self.set_state(eq, S_BLOCKED)
                    yield put
                unit = None
            if draws.uniform() < practice.micro_stop_prob:
                self.set_state(eq, S_MICRO)
                yield env.timeout(draws.exponential(practice.micro_stop_mean_s))

    def _cycle(self, eq: _Eq, duration: float) -> Gen:
        """Run one cycle of ``duration`` running seconds; return the failing mode or -1.

        A cycle that reaches a break or the end of a shift stops there and goes on when
        production does (a batch of hours pauses for the break, as its time is not planned
        production time); wear accrues only while it runs.
        """
        env = self.env
        cal = eq.site.cal
        start = env.now
        eq.cyc_s.append(start)
        eq.cyc_e.append(start + duration)
        remaining = duration
        ran = 0.0
        failing = -1
        while True:
            now = env.now
            label, _, seg_end = cal.at(now)
            if label != PRODUCING:
                self.set_state(eq, S_OFF if label == CLOSED else S_BREAK)
                yield env.timeout(max(seg_end - now, 0.0))
                continue
            piece = min(remaining, seg_end - now)
            w0 = eq.W
            dw = piece * eq.rate / 3600.0
            self.set_state(eq, S_RUN)
            if w0 + dw >= eq.fail_w:
                piece = max(0.0, (eq.fail_w - w0) / eq.rate * 3600.0)
                dw = eq.fail_w - w0
                failing = min(range(len(eq.paths)), key=lambda i: eq.paths[i].fail_w)
            eq.ck_t.append(now)
            eq.ck_w.append(w0)
            eq.ck_t.append(now + piece)
            eq.ck_w.append(w0 + dw)
            eq.W = w0 + dw
            eq.op_hours += piece / 3600.0
            yield env.timeout(piece)
            remaining -= piece
            ran += piece
            if failing >= 0 or remaining <= 1e-9:
                break
        eq.cyc_e[-1] = env.now
        eq.last_run_s = ran
        return failing

    def _process(self, eq: _Eq, unit: _Unit, step: RoutingStep, shift: int) -> bool:
        """Record the unit's process signature at this station; return whether it is scrapped."""
        now = self.env.now
        key = (unit.product, step.cell)
        specs = self._specs.get(key)
        if specs is None:
            product = self.model.products[unit.product]
            specs = self._specs[key] = tuple(s for s in product.spec_limits if s.cell == step.cell)
        mech = self._mechanism(unit.product)
        downstream = mech is not None and step.cell == mech[2]
        health = eq.max_health() if specs or downstream else 0.0
        scrapped = False
        unit_row = self.rec.unit
        for spec in specs:
            z = eq.draws.normal() + 1.5 * health * health
            if unit.pos == 0:
                z += unit.lot_offset
            if mech is not None and spec.parameter == mech[1] and step.cell == mech[0]:
                unit.z_up = z
            value = _spec_value(spec.target, spec.lsl, spec.usl, z)
            unit_row((now, unit.serial, eq.path, unit.product, unit.lot, spec.parameter, value))
            if (spec.lsl is not None and value < spec.lsl) or (
                spec.usl is not None and value > spec.usl
            ):
                scrapped = True
        cycle = eq.last_run_s
        unit_row((now, unit.serial, eq.path, unit.product, unit.lot, "cycle_time_s", cycle))
        if downstream:
            unit.h_down = health
            unit.night = eq.site.cal.is_night(shift)
        acc = self.counts_acc.get((eq.index, unit.product))
        if acc is None:
            acc = self.counts_acc[(eq.index, unit.product)] = [0, 0]
        if scrapped:
            acc[1] += 1
            self._done(unit)
            self._truth_unit(unit, defective=False, cause="spec", detected=True, scrapped=True)
        else:
            acc[0] += 1
        return scrapped

    def _mechanism(self, product_id: str) -> tuple[str, str, str, float, float] | None:
        cache = self.__dict__.setdefault("_mech", {})
        if product_id in cache:
            return cache[product_id]  # type: ignore[no-any-return]
        mech = self.scenario.defects.get(product_id)
        result: tuple[str, str, str, float, float] | None = None
        if mech is not None:
            result = (
                mech.upstream_cell,
                mech.upstream_parameter,
                mech.downstream_cell,
                mech.strength,
                mech.z0,
            )
        else:
            product = self.model.products[product_id]
            if product.spec_limits and product.routings:
                steps = [s.cell for s in product.routings[0].steps]
                up = product.spec_limits[0]
                later = [
                    c for c in steps if up.cell in steps and steps.index(c) > steps.index(up.cell)
                ]
                inspecting = self._inspection_cells()
                later = [c for c in later if c not in inspecting]
                if later:
                    result = (up.cell, up.parameter, later[-1], 0.3, 1.5)
        cache[product_id] = result
        return result

    def _inspection_cells(self) -> frozenset[str]:
        """Return the ids of the cells that hold an inspection station."""
        return frozenset(eq.info.cell.id for eq in self.equipment if eq.inspects)

    def _scrap(self, eq: _Eq, unit: _Unit) -> None:
        acc = self.counts_acc.setdefault((eq.index, unit.product), [0, 0])
        acc[1] += 1
        self._done(unit)
        self._truth_unit(unit, defective=False, cause="breakdown", detected=True, scrapped=True)

    def _done(self, unit: _Unit) -> None:
        order = unit.order
        order.done += 1
        order.line.wip -= 1
        if order.done >= order.order.quantity:
            o = order.order
            self.rec.order(
                (self.env.now, o.order_id, o.product, o.quantity, "completed", order.line.path)
            )
            self.costs["orders_completed"] += 1
            if self.us(self.env.now) > o.due_us:
                self.costs["orders_late"] += 1

    def _judge(self, eq: _Eq, unit: _Unit) -> None:
        """Decide once whether a unit is defective, from what it went through so far."""
        if unit.cause is not None:
            return
        practice = eq.site.practice
        mech = self._mechanism(unit.product)
        p = practice.defect_base_rate
        p_mech = 0.0
        if mech is not None:
            shift_factor = practice.night_defect_factor if unit.night else 1.0
            sig = 1.0 / (1.0 + math.exp(-6.0 * (abs(unit.z_up) - mech[4])))
            p_mech = mech[3] * sig * unit.h_down**4 * shift_factor
        u = eq.draws.uniform()
        unit.defective = u < p + p_mech
        unit.cause = ("interaction" if u >= p else "base") if unit.defective else ""

    def _inspect(self, eq: _Eq, unit: _Unit) -> bool:
        """Inspect a unit at ``eq`` (an inspection station, or the lab of a process cell);
        return whether it was rejected, and so left the flow as scrap."""
        self._judge(eq, unit)
        draws = eq.draws
        unit.inspected = True
        if draws.uniform() >= self.scenario.inspection_fraction:
            return False
        defective = unit.defective
        score = draws.normal() + (2.5 + 0.8 * draws.normal() if defective else 0.0)
        passed = score < self.scenario.inspection_limit
        test = "lab_assay" if self._is_batch(unit) else "final_test"
        self.rec.inspection(
            (self.env.now, unit.serial, eq.path, test, passed, score, None if passed else "FT-FAIL")
        )
        if passed:
            return False
        acc = self.counts_acc.setdefault((eq.index, unit.product), [0, 0])
        acc[0] -= 1
        acc[1] += 1
        self._done(unit)
        self._truth_unit(
            unit,
            defective=defective,
            cause=(unit.cause or "") if defective else "false_alarm",
            detected=True,
            scrapped=True,
        )
        return True

    def _finish(self, eq: _Eq, unit: _Unit) -> None:
        """A unit leaves the line: shipped, after the lab's assay where a process cell has
        no inspection station of its own."""
        line = unit.order.line
        if not unit.inspected and line.lab_assay and self._inspect(eq, unit):
            return
        self._judge(eq, unit)
        self._done(unit)
        defective = unit.defective
        self._truth_unit(
            unit,
            defective=defective,
            cause=(unit.cause or "") if defective else "",
            detected=False,
            scrapped=False,
        )
        self.finished.append((unit.serial, unit.product, defective))

    def _is_batch(self, unit: _Unit) -> bool:
        line = self.model.lines[unit.order.line.path]
        return line.kind.value == "process_cell"

    def _truth_unit(
        self, unit: _Unit, *, defective: bool, cause: str, detected: bool, scrapped: bool
    ) -> None:
        field_ts = math.nan
        if defective and not detected:
            field_ts = self.env.now + unit.order.line.draws.exponential(  # type: ignore[union-attr]
                self.scenario.field_failure_days * 86_400.0
            )
        self.truth_units.append(
            (
                self.env.now,
                unit.serial,
                unit.product,
                unit.order.line.path,
                defective,
                cause,
                detected,
                scrapped,
                field_ts,
            )
        )

    def _counts(self) -> Gen:
        """Report counts hourly, each in its cell's counting unit (bottles at a filler, whole
        pallets at a palletizer: the cases of a pallet not yet full are carried to the next
        hour)."""
        carry: dict[tuple[int, str], list[int]] = {}
        while True:
            yield self.env.timeout(3600.0)
            now = self.env.now
            for key, (items_good, items_scrap) in sorted(self.counts_acc.items()):
                eq = self.equipment[key[0]]
                n, k = eq.per_count, eq.counts_per_unit
                good, scrap = items_good * k, items_scrap * k
                if n > 1:
                    left = carry.setdefault(key, [0, 0])
                    good, left[0] = divmod(left[0] + good, n)
                    scrap, left[1] = divmod(left[1] + scrap, n)
                if good or scrap:
                    self.rec.count((now, eq.path, key[1], good, scrap, 0))
            self.counts_acc.clear()

    # ----------------------------------------------------------------- utilities
    def _systems(self, site: _Site) -> list[tuple[list[_Eq], bool]]:
        """Return the site's utility systems: the utility equipment of one cell (a compressor
        house, a water-treatment skid, a chiller plant), and whether it makes compressed air
        (its cell or an equipment of it carries a compressed-air meter)."""
        groups: dict[str, list[_Eq]] = {}
        for eq in site.utilities:
            groups.setdefault(eq.info.cell_path, []).append(eq)
        systems = []
        for members in groups.values():
            info = members[0].info
            meters = [*info.cell.meters, *(m for eq in members for m in eq.info.equipment.meters)]
            systems.append((members, any(m.medium == "compressed_air" for m in meters)))
        return systems

    def _utilities(self, site: _Site) -> Gen:
        """Run the site's utility systems every five minutes on the load production puts on
        them.

        A compressed-air system supplies ``air_use_kw`` per running machine and the site's
        leaks; any other utility (water treatment, chilled water, steam) runs at a base load
        around the clock and follows the share of the site's production machines running.
        """
        step = 300.0
        practice = site.practice
        air = self.scenario.air_use_kw
        systems = self._systems(site)
        producing = max(
            1, sum(1 for eq in self.equipment if eq.site is site and eq.line is not None)
        )
        while True:
            now = self.env.now
            for eq in site.utilities:
                modes = eq.due_pm(now)
                if modes is not None and not eq.down and self._parts_ready(eq, modes):
                    self.env.process(self._utility_work(eq, modes, preventive=True))
            leak_kw = practice.air_leak_kw if now < site.leak_fixed_from else 0.0
            for members, compressed_air in systems:
                avail = [eq for eq in members if not eq.down]
                capacity = sum(max(eq.power[S_RUN] - eq.power[S_IDLE], 1e-9) for eq in avail)
                if compressed_air and self._staged_off(site, now):
                    for eq in avail:
                        self.set_state(eq, S_OFF, reason="staged_off")
                    continue
                if compressed_air:
                    demand = air * site.running + leak_kw
                else:
                    demand = capacity * (
                        _UTILITY_BASE + (1 - _UTILITY_BASE) * min(1.0, site.running / producing)
                    )
                util = min(1.0, demand / capacity) if capacity > 0 else 0.0
                extra = 0.0
                for eq in avail:
                    extra += util * (eq.power[S_RUN] - eq.power[S_IDLE])
                    self._utility_step(eq, util, step)
                if compressed_air and demand > 0:
                    site.leak_kwh += leak_kw / demand * extra * step / 3600.0
            yield self.env.timeout(step)

    def _utility_step(self, eq: _Eq, util: float, step: float) -> None:
        """Run one utility equipment for ``step`` seconds at ``util`` of its capacity."""
        now = self.env.now
        span = eq.power[S_RUN] - eq.power[S_IDLE]
        self.set_state(eq, S_RUN if util > 0 else S_IDLE, power=eq.power[S_IDLE] + util * span)
        dw = util * step * eq.rate / 3600.0
        if eq.W + dw >= eq.fail_w:
            t_fail = step * (eq.fail_w - eq.W) / max(dw, 1e-12)
            self.env.process(self._utility_failure(eq, t_fail))
            dw = eq.fail_w - eq.W
            eq.down = True
        eq.ck_t.append(now)
        eq.ck_w.append(eq.W)
        eq.W += dw
        eq.op_hours += util * step / 3600.0
        eq.ck_t.append(now + step)
        eq.ck_w.append(eq.W)

    def _standby(self, eq: _Eq) -> Gen:
        """Equipment no product is routed through: idle in shifts, as the calendar says
        otherwise; it wears only by its preventive work's renewal (it never runs)."""
        cal = eq.site.cal
        while True:
            now = self.env.now
            modes = eq.due_pm(now)
            if modes is not None and self._parts_ready(eq, modes):
                yield from self._work(eq, modes, preventive=True)
                continue
            label, _, seg_end = cal.at(now)
            if label == PRODUCING:
                self.set_state(eq, S_IDLE)
            elif label == CLOSED:
                self.set_state(eq, S_OFF)
            else:
                self.set_state(eq, S_BREAK)
            yield from self._wait(eq, min(seg_end, eq.next_pm()) - now)

    def _utility_failure(self, eq: _Eq, delay: float) -> Gen:
        yield self.env.timeout(delay)
        index = min(range(len(eq.paths)), key=lambda i: eq.paths[i].fail_w)
        yield from self._failure(eq, index)

    def _utility_work(self, eq: _Eq, modes: tuple[int, ...], *, preventive: bool) -> Gen:
        eq.down = True
        yield from self._work(eq, modes, preventive=preventive)

    # ----------------------------------------------------------------- maintenance
    def _failure(self, eq: _Eq, index: int) -> Gen:
        eq.down = True
        mode = eq.modes[index]
        t_fail = self.env.now
        self.set_state(eq, S_DOWN, mode.id)
        yield from self._work(eq, (index,), preventive=False, t_fail=t_fail)

    def _work(
        self, eq: _Eq, modes: tuple[int, ...], *, preventive: bool, t_fail: float | None = None
    ) -> Gen:
        env = self.env
        site = eq.site
        eq.down = True
        t_open = env.now
        if preventive:
            self.set_state(eq, S_PM)
        self.work_orders += 1
        eq.open_work = (t_open, preventive)
        eq.open_modes = modes
        eq.rushed = set()
        wo = f"WO-{site.id}-{self.work_orders:06d}"
        kind = "preventive" if preventive else "failure"
        names = ",".join(eq.modes[i].id for i in modes)
        self.rec.maintenance((t_open, wo, eq.path, kind, "opened", names, None))
        parts: Counter[str] = Counter()
        for i in modes:
            parts.update(eq.modes[i].parts)
        criticality = eq.info.equipment.criticality.value
        callout = not preventive and self._protected(eq, t_open)
        expedite = (not preventive) and (
            criticality in site.practice.expedite_criticality or callout
        )
        eq.awaiting = set(parts)
        if callout:
            self._rush(eq, parts)  # before the claims: they net what it ordered
        # Every part of the job is claimed at once, before the first wait: two jobs opened
        # in the same instant must not each see the last part on the shelf and both start.
        claims = [
            (part_id, self._claim(site, part_id, qty, expedite=expedite))
            for part_id, qty in sorted(parts.items())
        ]
        for part_id, claim in claims:
            yield claim
            eq.awaiting.discard(part_id)
            self._taken(site, part_id)
        crews = [
            c for c in site.crews if not c.skills or eq.info.equipment_class.id in c.skills
        ] or site.crews
        overtime = False
        crew: _Crew | None = None
        if crews:
            crew = min(crews, key=lambda c: (c.next_on(env.now), len(c.res.queue)))
            overtime = (preventive or callout) and not crew.on_shift(env.now)
            if not overtime:
                t_on = crew.next_on(env.now)
                if t_on > env.now and math.isfinite(t_on):
                    yield env.timeout(t_on - env.now)
            req = crew.res.request()
            yield req
        t_start = env.now
        self.rec.maintenance((t_start, wo, eq.path, kind, "started", names, None))
        hours = 0.0
        for i in modes:
            m = eq.modes[i]
            nominal = (m.preventive_h or m.repair_h / 2) if preventive else m.repair_h
            hours += nominal
        hours = eq.draws.lognormal(hours, 0.3)
        yield env.timeout(hours * 3600.0)
        if crew is not None:
            crew.res.release(req)
        t_end = env.now
        self.rec.maintenance(
            (t_end, wo, eq.path, kind, "closed", names, json.dumps(dict(sorted(parts.items()))))
        )
        for i in modes:
            mode = eq.modes[i]
            path = draw_path(
                eq.draws.rng,
                mtbf_h=mode.mtbf_h,
                shape=self.scenario.wear_shape,
                signal=bool(mode.signals),
                offset=eq.W,
                kind=mode.degradation_kind,
                pf_interval_h=mode.pf_interval_h,
                pf_cv=mode.pf_cv,
            )
            eq.paths[i] = path
            eq.segs[i].append((t_end, path))
        eq._knots = None  # the paths renewed: their knots are read again
        eq.fail_w = min(p.fail_w for p in eq.paths)
        eq.op_hours = 0.0
        rate = crew.hourly_cost if crew is not None else 0.0
        labour = hours * rate * (self.scenario.overtime_factor if overtime else 1.0)
        parts_cost = sum(self.model.parts[p].unit_cost * q for p, q in parts.items())
        service = sum(eq.modes[i].repair_cost for i in modes)
        downtime_h = site.cal.producing_seconds(t_open, t_end) / 3600.0
        cost_h = eq.info.equipment.downtime_cost_per_hour
        self._charge_kinds(
            eq,
            modes,
            downtime_h * cost_h + labour + parts_cost + (0.5 * service if preventive else service),
            preventive=preventive,
        )
        self.costs["parts_cost"] += parts_cost
        if preventive:
            self.costs["preventive_count"] += 1
            self.costs["preventive_cost"] += labour + 0.5 * service
            self.costs["planned_downtime_h"] += downtime_h
            self.costs["planned_downtime_cost"] += downtime_h * cost_h
        else:
            self.costs["failures"] += 1
            self.costs["repair_cost"] += labour + service
            self.costs["unplanned_downtime_h"] += downtime_h
            self.costs["unplanned_downtime_cost"] += downtime_h * cost_h
            mode0 = eq.modes[modes[0]]
            self.truth_failures.append(
                (
                    t_fail if t_fail is not None else t_open,
                    eq.path,
                    mode0.id,
                    mode0.degradation_kind,
                    t_start,
                    t_end,
                    downtime_h,
                )
            )
        eq.down = False
        eq.open_work = None
        if eq.line is not None:
            self.set_state(eq, S_IDLE)
            eq.cold = True

    def _charge_kinds(
        self, eq: _Eq, modes: tuple[int, ...], money: float, *, preventive: bool
    ) -> None:
        """Share a work order's money between the degradation kinds of its modes."""
        weights = [
            (eq.modes[i].preventive_h or eq.modes[i].repair_h / 2)
            if preventive
            else eq.modes[i].repair_h
            for i in modes
        ]
        total = sum(weights)
        for i, weight in zip(modes, weights, strict=True):
            share = weight / total if total > 0 else 1.0 / len(modes)
            self.cost_by_kind[eq.modes[i].degradation_kind] += money * share

    def _parts_ready(self, eq: _Eq, modes: tuple[int, ...]) -> bool:
        """Return whether the parts of a preventive job are on the shelf.

        If not, the missing parts are ordered at normal lead time and the job is put back an
        hour: equipment keeps running until its parts are there (no one stops a machine to
        wait for a delivery).
        """
        site = eq.site
        parts: Counter[str] = Counter()
        for i in modes:
            parts.update(eq.modes[i].parts)
        ready = True
        for part_id, qty in parts.items():
            level = int(site.stock[part_id].level)
            if level < qty:
                ready = False
                short = qty - level - site.on_order[part_id]
                if short > 0:
                    self.order_part(site, part_id, short, expedite=False)
        if not ready:
            eq.pm = [(self.env.now + 3600.0, modes), *eq.pm]
        return ready

    def _claim(self, site: _Site, part_id: str, qty: int, *, expedite: bool) -> simpy.events.Event:
        """Order what the shelf and open orders lack, and claim ``qty`` from the shelf."""
        stock = site.stock[part_id]
        short = qty - int(stock.level) - site.on_order[part_id]
        if short > 0:
            self.order_part(site, part_id, short, expedite=expedite)
        return stock.get(qty)

    def _taken(self, site: _Site, part_id: str) -> None:
        """Record the stock after a claim was served and reorder below the reorder point."""
        stock = site.stock[part_id]
        part = self.model.parts[part_id]
        self.rec.inventory(
            (self.env.now, part_id, site.path, int(stock.level), site.on_order[part_id])
        )
        position = int(stock.level) + site.on_order[part_id]
        if position <= part.reorder_point:
            self.order_part(
                site, part_id, max(1, part.reorder_point + 1 - position), expedite=False
            )

    def order_part(self, site: _Site, part_id: str, qty: int, *, expedite: bool) -> None:
        """Place a spare-part order that arrives after the (expedited) lead time."""
        part = self.model.parts[part_id]
        fast = expedite and part.expedite_lead_time_days is not None
        days = part.expedite_lead_time_days if fast else part.lead_time_days
        if fast:
            self.costs["expedite_cost"] += part.expedite_cost
            self.costs["expedite_count"] += 1
        site.on_order[part_id] += qty
        self.rec.inventory(
            (
                self.env.now,
                part_id,
                site.path,
                int(site.stock[part_id].level),
                site.on_order[part_id],
            )
        )
        self.env.process(self._deliver(site, part_id, qty, float(days or 0.0) * 86_400.0))

    def _deliver(self, site: _Site, part_id: str, qty: int, delay: float) -> Gen:
        yield self.env.timeout(delay)
        site.on_order[part_id] -= qty
        yield site.stock[part_id].put(qty)
        self.rec.inventory(
            (
                self.env.now,
                part_id,
                site.path,
                int(site.stock[part_id].level),
                site.on_order[part_id],
            )
        )

    def charge_open_work(self, end: float) -> None:
        """Charge the downtime of work orders still open at ``end`` (the end of the run).

        A failure still waiting for its parts or crew when the run ends has cost production
        all along: its downtime so far is charged and the failure counted, as a repair that
        closed would have been, so that a policy which leaves a machine down to the end
        does not look cheaper than one that brings it back. Labour, repair and parts of the
        unfinished work are not charged (they are not spent yet).
        """
        for eq in self.equipment:
            if eq.open_work is None:
                continue
            t_open, preventive = eq.open_work
            downtime_h = eq.site.cal.producing_seconds(t_open, end) / 3600.0
            cost_h = eq.info.equipment.downtime_cost_per_hour
            if preventive:
                self.costs["planned_downtime_h"] += downtime_h
                self.costs["planned_downtime_cost"] += downtime_h * cost_h
            else:
                self.costs["failures"] += 1
                self.costs["unplanned_downtime_h"] += downtime_h
                self.costs["unplanned_downtime_cost"] += downtime_h * cost_h
            if eq.open_modes:
                self._charge_kinds(eq, eq.open_modes, downtime_h * cost_h, preventive=preventive)
            eq.open_work = None

    def schedule_pm(self, path: str, modes: tuple[str, ...], start: float) -> None:
        """Plan preventive work on an equipment from ``start`` (simulated seconds).

        A new order replaces the equipment's pending one, so a policy can bring work forward.
        """
        eq = self.by_path[path]
        ids = [m.id for m in eq.modes]
        idx = tuple(ids.index(m) for m in modes if m in ids) or tuple(range(len(ids)))
        eq.pm = [(start, idx)]
        if eq.wake is not None and not eq.wake.triggered:
            eq.wake.succeed()

    def us(self, t: float) -> int:
        """Return UTC microseconds for a simulated time."""
        return self.start_us + round(t * 1e6)

    # ----------------------------------------------------------------- energy orders
    # What the energy app's approved actions change in the plant (andon.sim.executor): the
    # laws stay; an operator's switch-off rule, a repaired leak, a sequencer that stages the
    # compressors, a job moved to a later start.
    def set_switch_off(self, path: str, idle_s: float, start: float) -> None:
        """From ``start``, switch the machine off once it has idled ``idle_s`` seconds; it
        warms up again before its next unit."""
        self.by_path[path].switch_off = (start, max(idle_s, 0.0))

    def fix_leaks(self, site_path: str, start: float) -> None:
        """Repair the site's compressed-air leaks at ``start``."""
        site = self.sites[site_path]
        site.leak_fixed_from = min(site.leak_fixed_from, start)

    def stage_utilities(self, site_path: str, start: float) -> None:
        """From ``start``, switch the site's compressors off while no machine produces."""
        site = self.sites[site_path]
        site.staged_from = min(site.staged_from, start)

    def shift_order(self, order_id: str, start_us: int) -> bool:
        """Hold a released order not yet started until ``start_us``; whether it was found."""
        for line in self.lines:
            for queued in line.queue:
                if queued.order.order_id == order_id and queued.released == 0:
                    queued.order = replace(queued.order, start_us=start_us)
                    return True
        return False

    def _switch_off_at(self, eq: _Eq, now: float) -> float:
        """When an idle stretch beginning ``now`` reaches the machine's switch-off rule."""
        if eq.switch_off is None:
            return math.inf
        start, idle_s = eq.switch_off
        return max(now, start) + idle_s

    def _switch_off(self, eq: _Eq, code: int) -> None:
        self.set_state(eq, code, reason="switched_off", power=eq.power[S_OFF])
        eq.cold = True
        eq.switched_off = True

    def _staged_off(self, site: _Site, now: float) -> bool:
        if now < site.staged_from:
            return False
        utilities = sum(1 for eq in site.utilities if eq.state == S_RUN)
        return site.running - utilities <= 0

    # ----------------------------------------------------------------- quality holds
    # The scenario's hold rules (none by default: no order is ever held and no draw made)
    # and what the flow app's approved actions change (andon.sim.executor): a hold decided
    # early, a bottleneck cell protected.
    def _hold_rules(self) -> dict[str, tuple[str, HoldRule]]:
        """Product id -> the cell whose check holds its orders and the rule: the rule's cell,
        else the product's first inspection cell, else the last cell of its routing."""
        inspecting = self._inspection_cells()
        rules: dict[str, tuple[str, HoldRule]] = {}
        for product_id, rule in sorted(self.scenario.holds.items()):
            product = self.model.products[product_id]
            if rule.share <= 0 or not product.routings:
                continue
            cells = [step.cell for step in product.routings[0].steps]
            cell = rule.cell or next((c for c in cells if c in inspecting), cells[-1])
            rules[product_id] = (cell, rule)
        return rules

    def _quarantined(self, eq: _Eq, unit: _Unit, step: RoutingStep) -> bool:
        """Return whether the unit, just through ``step`` at ``eq``, waits in its order's
        quality hold; the order's first unit through the hold cell decides whether it is
        held (and for how long)."""
        found = self.holds.get(unit.product)
        if found is None or found[0] != step.cell:
            return False
        order = unit.order
        if not order.hold_drawn:
            order.hold_drawn = True
            rule = found[1]
            draws = order.line.hold_draws
            assert draws is not None
            if draws.uniform() < rule.share:
                hours = draws.lognormal(rule.mean_h, rule.cv)
                order.hold = _Hold(eq.path, self.env.event())
                self.env.process(self._hold(order, hours))
        if order.hold is None:
            return False
        order.hold.units.append((eq, unit))
        return True

    def _hold(self, order: _Order, hours: float) -> Gen:
        """Hold an order for ``hours`` (less when a decision ends it), then move its
        quarantined units on in the order they came."""
        hold = order.hold
        assert hold is not None
        o = order.order
        self.held[o.order_id] = order
        self.rec.order((self.env.now, o.order_id, o.product, o.quantity, "held", hold.path))
        yield self.env.timeout(hours * 3600.0) | hold.release
        del self.held[o.order_id]
        self.rec.order((self.env.now, o.order_id, o.product, o.quantity, "unheld", hold.path))
        buffers = [c.buffer for c in order.line.cells]
        while hold.units:
            eq, unit = hold.units.popleft()
            if unit.pos + 1 >= len(unit.route):
                self._finish(eq, unit)
            else:
                unit.pos += 1
                yield buffers[unit.route[unit.pos]].put(unit)
        order.hold = None

    def release_hold(self, order_id: str) -> bool:
        """End an order's quality hold now (the lab expedited, the release rule applied),
        at the rule's expedite cost; whether the order was held."""
        order = self.held.get(order_id)
        if order is None or order.hold is None or order.hold.release.triggered:
            return False
        order.hold.release.succeed()
        found = self.holds.get(order.order.product)
        self.costs["hold_expedite_cost"] += found[1].expedite_cost if found else 0.0
        self.costs["holds_released"] += 1
        return True

    def protect_cell(self, cell_path: str, start: float, end: float) -> int:
        """From ``start`` to ``end``, a failure of the cell's machines calls a crew out at
        once (at the overtime rate off its shift) and expedites the missing parts; a machine
        of the cell down now has its missing parts expedited at once. Return the machines."""
        members = [eq for eq in self.equipment if eq.info.cell_path == cell_path]
        for eq in members:
            eq.protected = (start, end)
            if eq.open_work is None or eq.open_work[1] or start > self.env.now:
                continue
            parts: Counter[str] = Counter()
            for i in eq.open_modes:
                parts.update(eq.modes[i].parts)
            self._rush(eq, parts)
        return len(members)

    def _rush(self, eq: _Eq, parts: Counter[str]) -> None:
        """Expedite what the shelf lacks of the parts the open work waits for, whatever is
        on order at normal lead time already (it would come too late); once per job."""
        for part_id in sorted(eq.awaiting - eq.rushed):
            short = parts[part_id] - int(eq.site.stock[part_id].level)
            if short > 0:
                self.order_part(eq.site, part_id, short, expedite=True)
                eq.rushed.add(part_id)

    def _protected(self, eq: _Eq, t: float) -> bool:
        span = eq.protected
        return span is not None and span[0] <= t < span[1]


def _interp(x: float, xp: list[float], fp: list[float]) -> float:
    """Return ``numpy.interp(x, xp, fp)`` for one float, to the last bit, without numpy's
    per-call cost: the same bisection, the same slope formula and the same fallbacks."""
    n = len(xp)
    if math.isnan(x):
        return x
    if x < xp[0]:
        return fp[0]
    if x > xp[-1]:
        return fp[-1]
    j = bisect_right(xp, x) - 1
    if j >= n - 1 or xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    result = slope * (x - xp[j]) + fp[j]
    if math.isnan(result):
        result = slope * (x - xp[j + 1]) + fp[j + 1]
        if math.isnan(result) and fp[j] == fp[j + 1]:
            result = fp[j]
    return result


def _spec_value(target: float | None, lsl: float | None, usl: float | None, z: float) -> float:
    if lsl is not None and usl is not None:
        mid = target if target is not None else (lsl + usl) / 2
        return mid + z * (usl - lsl) / 8.0
    if usl is not None:
        if target is not None and target == 0:
            return abs(z) * usl / 4.0
        sd = max(abs(usl) * 0.02, 1e-6)
        base = target if target is not None else usl - 4 * sd
        return base + z * sd
    if lsl is not None:
        sd = max(abs(lsl) * 0.02, 1e-6)
        base = target if target is not None else lsl + 4 * sd
        return base + z * sd
    return (target or 0.0) + z


class _Records:
    """Row buffers of the event records of one chunk (one tuple per record, columns later)."""

    COLUMNS: Final = {
        "state": ("ts", "path", "state", "reason"),
        "count": ("ts", "path", "product", "good", "scrap", "rework"),
        "unit": ("ts", "serial", "path", "product", "lot", "parameter", "value"),
        "genealogy": ("ts", "parent", "child", "relation"),
        "inspection": ("ts", "serial", "path", "test", "passed", "value", "defect_code"),
        "order": ("ts", "order_id", "product", "quantity", "event", "path"),
        "maintenance": ("ts", "work_order", "path", "kind", "event", "failure_mode", "parts"),
        "inventory": ("ts", "part", "site", "on_hand", "on_order"),
    }

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in self.COLUMNS}
        self.state = self.rows["state"].append
        self.count = self.rows["count"].append
        self.unit = self.rows["unit"].append
        self.genealogy = self.rows["genealogy"].append
        self.inspection = self.rows["inspection"].append
        self.order = self.rows["order"].append
        self.maintenance = self.rows["maintenance"].append
        self.inventory = self.rows["inventory"].append

        self.generation = 0
        """Counts the clears, so that a row index of an earlier chunk is never reused."""

    def clear(self) -> None:
        for rows in self.rows.values():
            rows.clear()
        self.generation += 1
