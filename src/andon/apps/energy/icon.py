"""The ICON Challenge 2014 energy-cost aware scheduling problem (CSPLib prob059).

Tasks with a duration, an earliest start, a latest end, a constant power and integer resource
needs run on machines with resource capacities, several at once while every resource fits; a
machine in use must be on, draws its idle power while on, and pays its start-up and shut-down
costs each time it is switched; every machine is off at the start and the end of the day.
The cost of a schedule is computed with the actual price after the fact (the formal
description, Simonis, O'Sullivan, Mehta, Hurley and De Cauwer, 2014, section 2.4.3)::

    cost = c_J + c_M + c_up + c_down
    c_J  = sum_j sum_{t in [s_j, s_j + d_j)} p_j r_t q / 60
    c_M  = sum_m sum_t v_mt idle_m r_t q / 60
    c_up = sum_m sum_t y_mt up_m,   c_down = sum_m sum_t z_mt down_m

:func:`read_instance` and :func:`read_prices` read the challenge's text files,
:func:`check` returns every broken constraint, :func:`cost` the objective, :func:`on_periods`
the cheapest on/off of each machine for the tasks it runs (between two busy spans a machine
stays on when idling costs less than switching off and on again), :func:`asap` the
as-soon-as-possible schedule and :func:`price_aware` andon's plan on a price forecast.

>>> inst = Instance(q=480, capacity=((4,),), idle=(1.0,), up=(2.0,), down=(1.0,),
...                 tasks=(Task(duration=1, earliest=0, latest=3, power=10.0, use=(2,)),))
>>> prices = np.array([5.0, 1.0, 3.0])  # three 8-hour periods
>>> cost(inst, {0: (0, 1)}, prices)  # (10 + 1 idle) x 8 h at 1, switched on and off once
91.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from andon.errors import InputError, Problem

__all__ = [
    "MACHINE_WEIGHTS",
    "Instance",
    "Schedule",
    "Task",
    "asap",
    "check",
    "cost",
    "on_periods",
    "price_aware",
    "read_instance",
    "read_prices",
]

MACHINE_WEIGHTS = (1.0, 2.0, 4.0)
"""Weights of a machine's on-time against the tasks' energy in andon's placements."""

Schedule = Mapping[int, tuple[int, int]]
"""Task index -> (machine index, start period)."""
Prices = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """One task: periods of ``duration`` from ``earliest``, ending by ``latest``."""

    duration: int
    earliest: int
    latest: int
    power: float
    use: tuple[int, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Instance:
    """One day of the challenge: ``q`` minutes a period, machines and tasks."""

    q: int
    capacity: tuple[tuple[int, ...], ...]
    idle: tuple[float, ...]
    up: tuple[float, ...]
    down: tuple[float, ...]
    tasks: tuple[Task, ...]

    @property
    def periods(self) -> int:
        """Periods in the day (1440 / q)."""
        return 1440 // self.q

    @property
    def machines(self) -> int:
        """Number of machines."""
        return len(self.capacity)


def _numbers(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc


def read_instance(path: Path) -> Instance:
    """Read an ``instance.txt`` of the challenge (its section 2.6.1 format)."""
    words = _numbers(path)
    at = 0

    def take(n: int = 1) -> list[str]:
        nonlocal at
        if at + n > len(words):
            raise InputError(
                f"{path}: the file ends early",
                [Problem(code="icon.truncated", message="the file ends early", file=str(path))],
            )
        out = words[at : at + n]
        at += n
        return out

    try:
        q, resources, machines = (int(v) for v in take(3))
        capacity, idle, up, down = [], [], [], []
        for _ in range(machines):
            _, i, u, d = take(4)
            idle.append(float(i))
            up.append(float(u))
            down.append(float(d))
            capacity.append(tuple(int(v) for v in take(resources)))
        tasks = []
        for _ in range(int(take()[0])):
            _, dur, first, last, power = take(5)
            tasks.append(
                Task(
                    duration=int(dur),
                    earliest=int(first),
                    latest=int(last),
                    power=float(power),
                    use=tuple(int(v) for v in take(resources)),
                )
            )
    except ValueError as exc:
        raise InputError(
            f"{path}: not a number where one is expected ({exc})",
            [Problem(code="icon.not_a_number", message=str(exc), file=str(path))],
        ) from exc
    return Instance(
        q=q,
        capacity=tuple(capacity),
        idle=tuple(idle),
        up=tuple(up),
        down=tuple(down),
        tasks=tuple(tasks),
    )


def read_prices(path: Path) -> Prices:
    """Read a ``forecast.txt`` or ``actual.txt``: one price per period."""
    words = _numbers(path)
    try:
        count = int(words[0])
        values = np.array([float(v) for v in words[2 : 2 + 2 * count : 2]])
    except (ValueError, IndexError) as exc:
        raise InputError(f"{path}: not a price file ({exc})") from exc
    if values.size != count:
        raise InputError(f"{path}: {values.size} prices for {count} periods")
    return values


def _busy(inst: Instance, schedule: Schedule) -> npt.NDArray[np.bool_]:
    busy = np.zeros((inst.machines, inst.periods), dtype=bool)
    for j, (m, s) in schedule.items():
        busy[m, s : s + inst.tasks[j].duration] = True
    return busy


def on_periods(
    inst: Instance, busy: npt.NDArray[np.bool_], prices: Prices
) -> tuple[npt.NDArray[np.bool_], int]:
    """Return when each machine is on, cheapest for its busy periods, and the switch-ons.

    Between two busy spans a machine idles through the gap when ``idle * price`` over it
    costs less than its shut-down and start-up; it is off before its first and after its
    last span (all machines are off at the start and the end of the day).
    """
    on = busy.copy()
    starts = 0
    hours = inst.q / 60.0
    for m in range(inst.machines):
        periods = np.flatnonzero(busy[m])
        if periods.size == 0:
            continue
        starts += 1
        gaps = np.flatnonzero(np.diff(periods) > 1)
        for g in gaps:
            a, b = periods[g] + 1, periods[g + 1]
            if inst.idle[m] * hours * float(prices[a:b].sum()) < inst.up[m] + inst.down[m]:
                on[m, a:b] = True
            else:
                starts += 1
    return on, starts


def cost(inst: Instance, schedule: Schedule, prices: Prices) -> float:
    """Return the schedule's cost at ``prices``, each machine switched at the cheapest."""
    hours = inst.q / 60.0
    energy = sum(
        inst.tasks[j].power * hours * float(prices[s : s + inst.tasks[j].duration].sum())
        for j, (_, s) in schedule.items()
    )
    on, _ = on_periods(inst, _busy(inst, schedule), prices)
    total = energy
    for m in range(inst.machines):
        total += inst.idle[m] * hours * float(prices[on[m]].sum())
        switches = int(
            np.count_nonzero(np.diff(np.concatenate([[0], on[m].astype(int), [0]])) == 1)
        )
        total += switches * (inst.up[m] + inst.down[m])
    return total


def check(inst: Instance, schedule: Schedule) -> list[str]:
    """Return every broken constraint of the formal model (1)-(4), as text."""
    problems = [f"task {j} is not scheduled" for j in range(len(inst.tasks)) if j not in schedule]
    use = np.zeros((inst.machines, len(inst.capacity[0]), inst.periods), dtype=np.int64)
    for j, (m, s) in sorted(schedule.items()):
        task = inst.tasks[j]
        if not 0 <= m < inst.machines:
            problems.append(f"task {j} is on machine {m}, which does not exist")
            continue
        if s < task.earliest or s + task.duration > task.latest:
            problems.append(
                f"task {j} runs {s}..{s + task.duration}, outside {task.earliest}..{task.latest}"
            )
        use[m, :, s : s + task.duration] += np.asarray(task.use)[:, None]
    over = use > np.asarray(inst.capacity)[:, :, None]
    for m, r, t in zip(*np.nonzero(over), strict=True):
        problems.append(f"machine {m} resource {r} over capacity at period {t}")
    return problems


def _place(
    inst: Instance, prices: Prices | None, order: list[int], machine_weight: float = 1.0
) -> dict[int, tuple[int, int]]:
    """Place each task in ``order`` where it fits: at its earliest start (``prices`` None)
    or, on a forecast, where its energy and ``machine_weight`` times the machine time it
    adds (a machine on from its first to its last task) cost least."""
    periods = inst.periods
    hours = inst.q / 60.0
    cap = np.asarray(inst.capacity)
    use = np.zeros((inst.machines, cap.shape[1], periods), dtype=np.int64)
    first = np.full(inst.machines, -1)
    last = np.full(inst.machines, -1)
    cum = None if prices is None else np.concatenate([[0.0], np.cumsum(prices)])
    placed: dict[int, tuple[int, int]] = {}
    for j in order:
        task = inst.tasks[j]
        d = task.duration
        need = np.asarray(task.use)
        best: tuple[float, int, int] | None = None
        for m in range(inst.machines):
            fits = (use[m] + need[:, None] <= cap[m][:, None]).all(axis=0)
            bad = np.concatenate([[0], np.cumsum(~fits)])
            starts = np.arange(task.earliest, task.latest - d + 1)
            ok = starts[(bad[starts + d] - bad[starts]) == 0]
            if ok.size == 0:
                continue
            if cum is None:
                key = (float(ok[0]), m, int(ok[0]))
            else:
                run = task.power * hours * (cum[ok + d] - cum[ok])
                if first[m] < 0:
                    extra = inst.idle[m] * hours * (cum[ok + d] - cum[ok]) + inst.up[m]
                    extra = extra + inst.down[m]
                else:
                    lo = np.minimum(first[m], ok)
                    hi = np.maximum(last[m] + 1, ok + d)
                    now = cum[last[m] + 1] - cum[first[m]]
                    extra = inst.idle[m] * hours * (cum[hi] - cum[lo] - now)
                total = run + machine_weight * extra
                i = int(np.argmin(total))
                key = (float(total[i]), m, int(ok[i]))
            if best is None or key < best:
                best = key
        if best is None:
            continue
        _, m, s = best
        use[m, :, s : s + d] += need[:, None]
        first[m] = s if first[m] < 0 else min(first[m], s)
        last[m] = max(last[m], s + d - 1)
        placed[j] = (m, s)
    return placed


def _orders(inst: Instance) -> list[list[int]]:
    """The task orders tried, until one places every task: the least slack first (a tight
    window has few starts left), the largest resource-time first (so that the day packs),
    the earliest start first."""
    tasks = inst.tasks
    every = range(len(tasks))
    return [
        sorted(every, key=lambda j: (tasks[j].latest - tasks[j].earliest - tasks[j].duration, j)),
        sorted(every, key=lambda j: (-max(tasks[j].use) * tasks[j].duration, j)),
        sorted(every, key=lambda j: (tasks[j].earliest, j)),
    ]


def _best(
    inst: Instance, prices: Prices | None, machine_weight: float = 1.0
) -> dict[int, tuple[int, int]]:
    """Return the first order's schedule that places every task (or the one placing most)."""
    found: dict[int, tuple[int, int]] = {}
    for order in _orders(inst):
        placed = _place(inst, prices, order, machine_weight)
        if len(placed) == len(inst.tasks):
            return placed
        if len(placed) > len(found):
            found = placed
    return found


def asap(inst: Instance) -> dict[int, tuple[int, int]]:
    """Return the as-soon-as-possible schedule: each task (in the first of :func:`_orders`
    that places them all) at the first period it fits on any machine (the lowest on a tie)."""
    return _best(inst, None)


def price_aware(inst: Instance, forecast: Prices) -> dict[int, tuple[int, int]]:
    """Return andon's plan on a forecast: each task (in the first of :func:`_orders` that
    places them all) at the start and machine where its energy and the machine time it adds
    (a machine on from its first to its last task, weighted by each of
    :data:`MACHINE_WEIGHTS`) cost least at the forecast; of those plans and
    as-soon-as-possible, the one cheapest at the forecast (never at the actual price)."""
    plans = [asap(inst), *(_best(inst, forecast, w) for w in MACHINE_WEIGHTS)]
    complete = [p for p in plans if len(p) == len(inst.tasks)] or plans
    return min(complete, key=lambda p: (-len(p), cost(inst, p, forecast)))
