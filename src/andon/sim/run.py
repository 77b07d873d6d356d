"""``simulate``: run a plant model for some days in closed loop with pluggable policies."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from andon.contracts import in_class_units
from andon.errors import SimulationError
from andon.model import Model
from andon.model.calendar import tariff_at
from andon.records import KIND_SCHEMAS, RecordKind
from andon.sim.back_history import back_history as past_work_orders
from andon.sim.baselines import MixSchedule, ReleaseAll, RunToFailure
from andon.sim.chunk import ChunkBuilder
from andon.sim.engine import Plant
from andon.sim.pacer import Pacer
from andon.sim.policy import (
    BottleneckProtection,
    EnergyOrder,
    FlowOrder,
    JobShift,
    LeakRepair,
    MaintenancePolicy,
    PartStock,
    PlantView,
    ProductionSchedule,
    ReleasePolicy,
    SwitchOffRule,
    TruthView,
    UnitView,
)
from andon.sim.result import EnergyOutcome, MaintenanceCosts, QualityOutcome, SimResult
from andon.sim.scenario import Scenario, find_scenario, load_scenario
from andon.sim.sinks import MemorySink, Sink

__all__ = ["TRUTH_TABLES", "simulate"]

TRUTH_TABLES = ("truth_health", "truth_failures", "truth_units", "truth_energy")
"""Ground-truth tables a run writes through :meth:`Sink.write_truth`."""

Progress = Callable[[float, float], None]


def _scenario_for(model: Model, scenario: Scenario | str | Path | None) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if scenario is not None:
        return load_scenario(scenario, model=model)
    found = find_scenario(model)
    return load_scenario(found, model=model) if found is not None else Scenario()


def simulate(
    model: Model,
    *,
    days: float,
    seed: int = 0,
    policy: MaintenancePolicy | None = None,
    release: ReleasePolicy | None = None,
    schedule: ProductionSchedule | None = None,
    sink: Sink | None = None,
    scenario: Scenario | str | Path | None = None,
    epoch_h: float = 24.0,
    sample_rate_s: float | None = None,
    source: str | None = None,
    progress: Progress | None = None,
    speed: float | None = None,
    back_history: bool = False,
) -> SimResult:
    """Simulate ``days`` of the plant and return costs and outcomes from the ground truth.

    Records go to ``sink`` chunk by chunk (every ``epoch_h`` simulated hours), and after each
    chunk the maintenance ``policy`` and the ``release`` policy decide on what the chunk
    showed. ``scenario`` is a :class:`Scenario`, a YAML path, or ``None`` for the
    ``*.scenario`` YAML file beside the model files (defaults when there is none).
    ``sample_rate_s`` overrides every tag's rate (e.g. 1 for 1 Hz). ``speed`` paces the sink
    at that many simulated seconds per wall second (records are handed over in slices of
    about a wall second, each when its simulated time has come); ``None`` runs as fast as it
    can. The same seed gives the same records. ``back_history`` first writes the work
    orders the plant implies before its start (:mod:`andon.sim.back_history`).
    """
    if days <= 0:
        msg = f"days must be positive, got {days}"
        raise SimulationError(msg)
    if epoch_h <= 0 or (epoch_h * 3600) % 900:
        msg = f"epoch_h must be a positive multiple of 15 minutes, got {epoch_h}"
        raise SimulationError(msg)
    scen = _scenario_for(model, scenario)
    policy = policy or RunToFailure()
    release = release or ReleaseAll()
    schedule = schedule or MixSchedule()
    sink = sink if sink is not None else MemorySink()
    source = source or f"sim-{seed}"
    plant = Plant(model, scen, seed=seed, days=days, schedule=schedule)
    builder = ChunkBuilder(plant, source=source, sample_rate_s=sample_rate_s)
    horizon = days * 86_400.0
    epoch_s = epoch_h * 3600.0
    chunks = math.ceil(horizon / epoch_s)
    records: dict[str, int] = dict.fromkeys((k.value for k in RecordKind), 0)
    quality = dict.fromkeys(
        ("units", "scrapped", "defective", "detected", "latent_shipped", "held", "held_defective"),
        0,
    )
    money = {"hold_cost": 0.0, "field_failure_cost": 0.0, "holding_cost": 0.0}
    energy = {"kwh": 0.0, "cost": 0.0, "co2": 0.0, "leak": 0.0}
    failures: list[pa.Table] = []
    run_id = f"{source}:{model.root}:{days:g}"
    if speed is not None and speed <= 0:
        msg = f"speed must be positive, got {speed}"
        raise SimulationError(msg)
    pace = _Slicer(plant.start_us, Pacer(speed=speed or 1.0))
    if back_history:
        past = past_work_orders(plant, source=source)
        records[RecordKind.MAINTENANCE.value] += past.num_rows
        sink.write(RecordKind.MAINTENANCE, past, batch_id=f"{run_id}:maintenance:back-history")
    for chunk in range(chunks):
        t0 = chunk * epoch_s
        t1 = min(horizon, t0 + epoch_s)
        plant.env.run(until=t1)
        batches = builder.records()
        batches[RecordKind.SAMPLE] = builder.samples(t0, t1, chunk)
        meters, energy_truth = builder.energy(t0, t1)
        batches[RecordKind.ENERGY] = meters
        tariffs = builder.tariffs(t0, t1)
        batches[RecordKind.TARIFF] = tariffs
        _energy_money(builder, meters, tariffs, energy)
        energy["leak"] += float(
            pc.sum(energy_truth.filter(pc.equal(energy_truth["cause"], "air_leak"))["kwh"]).as_py()
            or 0.0
        )
        for kind, table in batches.items():
            records[kind.value] += table.num_rows
        advance = getattr(sink, "advance", None)
        if advance is not None:
            advance(plant.us(t1))  # the future bound of a checked sink runs on simulated time
        if speed is None:
            for kind, table in batches.items():
                if table.num_rows:
                    sink.write(kind, table, batch_id=f"{run_id}:{kind.value}:{chunk:05d}")
        else:
            pace.write(sink, batches, t0, t1, f"{run_id}:{{kind}}:{chunk:05d}")
        sink.write_truth("truth_health", builder.health_truth(t0, t1))
        sink.write_truth("truth_energy", energy_truth)
        failure_table = _failures_table(plant)
        if failure_table.num_rows:
            sink.write_truth("truth_failures", failure_table)
            failures.append(failure_table)
        held = _release(plant, release, batches, t1)
        units_table = _units_table(plant, held, quality, money)
        if units_table.num_rows:
            sink.write_truth("truth_units", units_table)
        end_chunk = getattr(sink, "end_chunk", None)
        if end_chunk is not None:
            end_chunk()
        _maintain(plant, policy, batches, t1, epoch_h)
        for site in plant.sites.values():
            for part_id, container in site.stock.items():
                per_year = model.parts[part_id].holding_cost_per_year
                money["holding_cost"] += container.level * per_year * (t1 - t0) / (8760 * 3600)
        builder.trim(t1)
        if progress is not None:
            progress(t1, horizon)
    sink.close()
    plant.charge_open_work(horizon)
    c = plant.costs
    costs = MaintenanceCosts(
        failures=int(c["failures"]),
        preventive_count=int(c["preventive_count"]),
        unplanned_downtime_h=float(c["unplanned_downtime_h"]),
        unplanned_downtime_cost=float(c["unplanned_downtime_cost"]),
        planned_downtime_h=float(c["planned_downtime_h"]),
        planned_downtime_cost=float(c["planned_downtime_cost"]),
        repair_cost=float(c["repair_cost"]),
        preventive_cost=float(c["preventive_cost"]),
        parts_cost=float(c["parts_cost"]),
        expedite_cost=float(c["expedite_cost"]),
        expedite_count=int(c["expedite_count"]),
        holding_cost=money["holding_cost"],
    )
    return SimResult(
        seed=seed,
        days=days,
        start_us=plant.start_us,
        end_us=plant.us(horizon),
        policy=policy.name,
        maintenance=costs,
        quality=QualityOutcome(
            hold_cost=money["hold_cost"], field_failure_cost=money["field_failure_cost"], **quality
        ),
        energy=EnergyOutcome(
            kwh=energy["kwh"],
            cost=energy["cost"],
            kg_co2e=energy["co2"] / 1000.0,
            air_leak_kwh=energy["leak"],
        ),
        records=records,
        good_units=quality["units"] - quality["scrapped"],
        orders_completed=int(c["orders_completed"]),
        orders_late=int(c["orders_late"]),
        failures=pa.concat_tables(failures) if failures else _failures_table(plant),
        cost_by_kind={
            kind: float(plant.cost_by_kind.get(kind, 0.0)) for kind in ("wear", "pf", "random")
        },
    )


def _energy_money(
    builder: ChunkBuilder, meters: pa.Table, tariffs: pa.Table, acc: dict[str, float]
) -> None:
    model = builder.plant.model
    if meters.num_rows == 0:
        return
    for site_path in model.sites:
        site_meters = [
            m.path
            for m in model.meters.values()
            if m.owner_path == site_path and m.meter.medium == "electricity"
        ]
        if not site_meters:
            continue
        rows = meters.filter(pc.is_in(meters["path"], pa.array(site_meters)))
        if rows.num_rows == 0:
            continue
        kwh = rows["kwh"].to_numpy()
        end = rows["ts"].cast(pa.int64()).to_numpy()
        interval = rows["interval_s"].to_numpy()
        site_t = tariffs.filter(pc.equal(tariffs["site"], site_path))
        acc["kwh"] += float(kwh.sum())
        if site_t.num_rows == 0:
            continue
        # the price of the local hour each interval starts in, as the model's tariff says
        began = end - np.round(interval * 1e6).astype(np.int64)
        price, carbon = tariff_at(builder.plant.sites[site_path].cal.site, began)
        acc["cost"] += float(np.sum(kwh * price))
        acc["co2"] += float(np.sum(kwh * carbon))


def _failures_table(plant: Plant) -> pa.Table:
    rows = plant.truth_failures
    plant.truth_failures = []
    ts_type = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "ts": pa.array([plant.us(r[0]) for r in rows], pa.int64()).cast(ts_type),
            "equipment": pa.array([r[1] for r in rows], pa.string()),
            "failure_mode": pa.array([r[2] for r in rows], pa.string()),
            "cause": pa.array([r[3] for r in rows], pa.string()),
            "repair_start": pa.array([plant.us(r[4]) for r in rows], pa.int64()).cast(ts_type),
            "repair_end": pa.array([plant.us(r[5]) for r in rows], pa.int64()).cast(ts_type),
            "downtime_h": pa.array([r[6] for r in rows], pa.float64()),
        }
    )


def _release(
    plant: Plant, release: ReleasePolicy, batches: dict[RecordKind, pa.Table], t1: float
) -> frozenset[str]:
    finished = plant.finished
    plant.finished = []
    if not finished:
        return frozenset()
    truth = None
    if getattr(release, "uses_truth", False):
        truth = frozenset(s for s, _, d in finished if d)
    view = UnitView(
        now_us=plant.us(t1),
        model=plant.model,
        serials=tuple(s for s, _, _ in finished),
        units=batches.get(RecordKind.UNIT, KIND_SCHEMAS[RecordKind.UNIT].empty_table()),
        inspections=batches.get(
            RecordKind.INSPECTION, KIND_SCHEMAS[RecordKind.INSPECTION].empty_table()
        ),
        truth_defective=truth,
    )
    return frozenset(release.hold(view)) & {s for s, _, _ in finished}


def _units_table(
    plant: Plant, held: frozenset[str], quality: dict[str, int], money: dict[str, float]
) -> pa.Table:
    rows = plant.truth_units
    plant.truth_units = []
    products = plant.model.products
    scen = plant.scenario
    for _, serial, product, _, defective, _, detected, scrapped, _ in rows:
        quality["units"] += 1
        quality["scrapped"] += int(scrapped)
        quality["defective"] += int(defective)
        quality["detected"] += int(defective and detected)
        scrap_cost = products[product].scrap_cost
        if serial in held:
            quality["held"] += 1
            quality["held_defective"] += int(defective)
            money["hold_cost"] += scen.hold_cost_factor * scrap_cost
        elif defective and not detected and not scrapped:
            quality["latent_shipped"] += 1
            money["field_failure_cost"] += scen.field_failure_cost_factor * scrap_cost
    ts_type = pa.timestamp("us", tz="UTC")
    field = [r[8] for r in rows]
    return pa.table(
        {
            "ts": pa.array([plant.us(r[0]) for r in rows], pa.int64()).cast(ts_type),
            "serial": pa.array([r[1] for r in rows], pa.string()),
            "product": pa.array([r[2] for r in rows], pa.string()),
            "line": pa.array([r[3] for r in rows], pa.string()),
            "defective": pa.array([r[4] for r in rows], pa.bool_()),
            "cause": pa.array([r[5] or None for r in rows], pa.string()),
            "detected": pa.array([r[6] for r in rows], pa.bool_()),
            "scrapped": pa.array([r[7] for r in rows], pa.bool_()),
            "latent": pa.array([r[4] and not r[6] and not r[7] for r in rows], pa.bool_()),
            "held": pa.array([r[1] in held for r in rows], pa.bool_()),
            "field_failure_ts": pa.array(
                [None if math.isnan(f) else plant.us(f) for f in field], pa.int64()
            ).cast(ts_type),
        }
    )


def _maintain(
    plant: Plant,
    policy: MaintenancePolicy,
    batches: dict[RecordKind, pa.Table],
    t1: float,
    epoch_h: float,
) -> None:
    model = plant.model
    inventory = {
        (site.path, part): PartStock(on_hand=int(c.level), on_order=site.on_order[part])
        for site in plant.sites.values()
        for part, c in site.stock.items()
    }
    windows = {
        path: tuple(
            (plant.us(s), plant.us(e)) for s, e in site.cal.windows if t1 <= s <= t1 + 14 * 86_400
        )
        for path, site in plant.sites.items()
    }
    truth = None
    if getattr(policy, "uses_truth", False):
        truth = TruthView(
            health={
                eq.path: dict(zip((m.id for m in eq.modes), eq.health_now(), strict=True))
                for eq in plant.equipment
            },
            failure_at_wear={
                eq.path: {m.id: p.fail_w - eq.W for m, p in zip(eq.modes, eq.paths, strict=True)}
                for eq in plant.equipment
            },
            wear_rate={eq.path: eq.rate for eq in plant.equipment},
            wear_shape=plant.scenario.wear_shape,
        )
    view = PlantView(
        now_us=plant.us(t1),
        epoch_h=epoch_h,
        model=model,
        # A policy compares machines with each other: it reads class units, as the store
        # holds them, not each machine's own (psi beside bar).
        samples=in_class_units(batches[RecordKind.SAMPLE], model),
        states=batches.get(RecordKind.STATE, KIND_SCHEMAS[RecordKind.STATE].empty_table()),
        maintenance=batches.get(
            RecordKind.MAINTENANCE, KIND_SCHEMAS[RecordKind.MAINTENANCE].empty_table()
        ),
        inventory=inventory,
        operating_hours={eq.path: eq.op_hours for eq in plant.equipment},
        down=frozenset(eq.path for eq in plant.equipment if eq.down),
        pending=frozenset(eq.path for eq in plant.equipment if eq.pm),
        windows=windows,
        truth=truth,
        held=frozenset(plant.held),
    )
    plan = policy.decide(view)
    for order in plan.preventive:
        if order.equipment not in plant.by_path:
            msg = f"policy {policy.name!r} ordered work on unknown equipment {order.equipment!r}"
            raise SimulationError(msg)
        start = t1 if order.start_us is None else max(t1, (order.start_us - plant.start_us) / 1e6)
        plant.schedule_pm(order.equipment, order.failure_modes, start)
    for part_order in plan.part_orders:
        site = plant.sites.get(part_order.site)
        if site is None or part_order.part not in site.stock or part_order.quantity <= 0:
            msg = (
                f"policy {policy.name!r} ordered {part_order.quantity} of part "
                f"{part_order.part!r} for site {part_order.site!r}, which the model lacks"
            )
            raise SimulationError(msg)
        plant.order_part(site, part_order.part, part_order.quantity, expedite=part_order.expedite)
    for energy_order in plan.energy:
        _energy_order(plant, policy.name, energy_order, t1)
    for flow_order in plan.flow:
        _flow_order(plant, policy.name, flow_order, t1)


def _energy_order(plant: Plant, policy: str, order: EnergyOrder, t1: float) -> None:
    """Carry out one energy order of a plan (from ``t1`` at the earliest)."""
    start = t1
    if not isinstance(order, JobShift) and order.start_us is not None:
        start = max(t1, (order.start_us - plant.start_us) / 1e6)
    if isinstance(order, SwitchOffRule):
        if order.equipment not in plant.by_path:
            msg = f"policy {policy!r} set a switch-off rule on unknown {order.equipment!r}"
            raise SimulationError(msg)
        plant.set_switch_off(order.equipment, order.idle_minutes * 60.0, start)
    elif isinstance(order, JobShift):
        plant.shift_order(order.order_id, order.start_us)
    elif order.site not in plant.sites:
        msg = f"policy {policy!r} gave an energy order for unknown site {order.site!r}"
        raise SimulationError(msg)
    elif isinstance(order, LeakRepair):
        plant.fix_leaks(order.site, start)
    else:
        plant.stage_utilities(order.site, start)


def _flow_order(plant: Plant, policy: str, order: FlowOrder, t1: float) -> None:
    """Carry out one flow order of a plan (from ``t1`` at the earliest)."""
    if not isinstance(order, BottleneckProtection):
        plant.release_hold(order.order_id)  # a hold that ended meanwhile changes nothing
        return
    start = t1 if order.start_us is None else max(t1, (order.start_us - plant.start_us) / 1e6)
    if plant.protect_cell(order.cell, start, (order.end_us - plant.start_us) / 1e6) == 0:
        msg = f"policy {policy!r} protected {order.cell!r}, which holds no simulated machine"
        raise SimulationError(msg)


class _Slicer:
    """Hands a chunk's records to a sink slice by slice, each when the pacer says it is due."""

    def __init__(self, start_us: int, pacer: Pacer) -> None:
        self.start_us = start_us
        self.pacer = pacer

    def write(
        self, sink: Sink, batches: dict[RecordKind, pa.Table], t0: float, t1: float, batch: str
    ) -> None:
        if not self.pacer.started:
            self.pacer.start(t0)
        tick = max(1.0, self.pacer.speed)
        edges = np.arange(t0, t1, tick)
        ordered: dict[RecordKind, tuple[pa.Table, np.ndarray]] = {}
        for kind, table in batches.items():
            ts = table["ts"].cast(pa.int64()).to_numpy()
            order = np.argsort(ts, kind="stable")
            ordered[kind] = (table.take(pa.array(order)), ts[order])
        for i, lo in enumerate(edges):
            hi = min(t1, lo + tick)
            self.pacer.wait_until(hi)
            lo_us = self.start_us + round(lo * 1e6)
            hi_us = self.start_us + round(hi * 1e6)
            for kind, (table, ts) in ordered.items():
                a = int(np.searchsorted(ts, lo_us, side="left")) if i else 0
                b = int(np.searchsorted(ts, hi_us, side="left")) if hi < t1 else ts.size
                if b > a:
                    part = table.slice(a, b - a)
                    sink.write(kind, part, batch_id=f"{batch.format(kind=kind.value)}:{i:05d}")
