"""The simulator's contract: deterministic, shaped like the model says, truth kept apart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from tests.sim.conftest import tiny_model

from andon.errors import SimulationError
from andon.model import Model
from andon.records import KIND_SCHEMAS, RecordKind
from andon.sim import (
    ConditionThreshold,
    FixedInterval,
    MaintenancePlan,
    MemorySink,
    Oracle,
    PlantView,
    PreventiveOrder,
    ProductionOrder,
    RunToFailure,
    Scenario,
    ScheduleView,
    SitePractice,
    StoreSink,
    simulate,
)
from andon.sim.calendar import SimCalendar
from andon.sim.scenario import DefectMechanism
from andon.store import open_store


def test_same_seed_gives_identical_records(example_model: Model) -> None:
    first, second, other = MemorySink(), MemorySink(), MemorySink()
    simulate(example_model, days=0.5, seed=7, sink=first)
    simulate(example_model, days=0.5, seed=7, sink=second)
    simulate(example_model, days=0.5, seed=8, sink=other)
    assert set(first.tables) == set(second.tables)
    assert {"sample", "state", "count", "unit", "energy", "tariff"} <= set(first.tables)
    for kind in first.tables:
        assert first.table(kind).equals(second.table(kind)), kind
        assert first.table(kind).schema.equals(KIND_SCHEMAS[RecordKind(kind)])
    assert not first.table("sample").equals(other.table("sample"))


def test_samples_follow_tag_rates_and_units(example_model: Model) -> None:
    sink = MemorySink()
    simulate(example_model, days=0.25, seed=1, sink=sink)
    samples = sink.table("sample")
    counts = samples.group_by("path").aggregate([([], "count_all")])
    by_path = dict(zip(counts["path"].to_pylist(), counts["count_all"].to_pylist(), strict=True))
    assert set(by_path) == set(example_model.tags)
    # every tag of the example model is at 60 s: 6 h -> 360 samples each
    assert set(by_path.values()) == {360}
    # Brno's mill1 reports its spindle temperature in degF: the values say so
    brno = "acme/brno/machining/m1/milling/mill1/spindle_temperature"
    lyon = "acme/lyon/machining/m1/milling/mill1/spindle_temperature"
    f = pc.mean(samples.filter(pc.equal(samples["path"], brno))["value"]).as_py()
    c = pc.mean(samples.filter(pc.equal(samples["path"], lyon))["value"]).as_py()
    assert f > c * 1.5


def _operating_hours(sink: MemorySink, path: str, end_us: int) -> float:
    states = sink.table("state").filter(pc.equal(sink.table("state")["path"], path))
    ts = states["ts"].cast(pa.int64()).to_numpy()
    running = np.asarray(states["state"].to_pylist()) == "running"
    ends = np.append(ts[1:], end_us)
    return float(np.sum((ends - ts)[running])) / 3.6e9


def test_failure_rates_near_configured_mtbf(tmp_path: Path) -> None:
    model = tiny_model(tmp_path, mtbf_wear=40.0, mtbf_shock=60.0)
    press = "tiny/s1/a/l1/pressing/press1"
    observed = {"wear": 0, "jam": 0}
    hours = 0.0
    scenario = Scenario(practices={"s1": SitePractice(age_wear_per_year=0.0)})
    for seed in range(3):
        sink = MemorySink()
        result = simulate(model, days=20, seed=seed, sink=sink, scenario=scenario)
        hours += _operating_hours(sink, press, result.end_us)
        failures = result.failures.filter(pc.equal(result.failures["equipment"], press))
        for mode in failures["failure_mode"].to_pylist():
            observed[mode] += 1
    assert hours > 800
    expected = {"wear": hours / 40.0, "jam": hours / 60.0}
    for mode, n in observed.items():
        assert 0.65 * expected[mode] <= n <= 1.4 * expected[mode], (mode, n, expected[mode])


def test_oee_in_the_band_the_model_implies(tiny: Model) -> None:
    sink = MemorySink()
    practice = SitePractice(micro_stop_prob=0.02, micro_stop_mean_s=60, speed_factor=1.1)
    result = simulate(
        tiny, days=10, seed=3, sink=sink, scenario=Scenario(practices={"s1": practice})
    )
    press = "tiny/s1/a/l1/pressing/press1"
    counts = sink.table("count").filter(pc.equal(sink.table("count")["path"], press))
    good = pc.sum(counts["good"]).as_py()
    scrap = pc.sum(counts["scrap"]).as_py()
    running_h = _operating_hours(sink, press, result.end_us)
    site = tiny.sites["tiny/s1"]
    calendar = SimCalendar(site, start=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), days=10)
    planned_h = calendar.producing_seconds(0, 10 * 86_400) / 3600
    availability = running_h / planned_h
    performance = (good + scrap) * 300 / 3600 / running_h
    quality = good / (good + scrap)
    oee = availability * performance * quality
    # implied: speed loss 1/1.1, micro-stops 2% of cycles x 60 s, repairs ~ 1/40 + 0.5/60 h per h
    implied_a = 1 - (1 / 40 + 0.5 / 60) - 0.02 * 60 / 330 - 5 / 60 / 24
    implied = implied_a * (1 / 1.1)
    assert 0.85 <= performance * 1.1 <= 1.05
    assert implied - 0.08 <= oee <= implied + 0.04, (oee, implied)


def test_defect_rate_near_configured_and_interaction_adds(tmp_path: Path) -> None:
    model = tiny_model(tmp_path, mtbf_wear=20.0, mtbf_shock=1e6)
    mechanism = DefectMechanism(
        upstream_cell="pressing", upstream_parameter="force", downstream_cell="pressing", strength=0
    )
    base = Scenario(
        practices={"s1": SitePractice(defect_base_rate=0.03)}, defects={"W1": mechanism}
    )
    result = simulate(model, days=10, seed=5, scenario=base)
    q = result.quality
    rate = q.defective / q.units
    assert 0.022 <= rate <= 0.04, rate
    assert 0.3 <= q.detected / q.defective <= 0.75
    assert q.latent_shipped == q.defective - q.detected
    strong = base.model_copy(
        update={"defects": {"W1": mechanism.model_copy(update={"strength": 1.0, "z0": 0.0})}}
    )
    sink = MemorySink()
    result2 = simulate(model, days=10, seed=5, scenario=strong, sink=sink)
    assert result2.quality.defective > 1.3 * q.defective
    units = sink.truth_table("truth_units")
    causes = set(units.filter(units["defective"])["cause"].to_pylist())
    assert "interaction" in causes


def test_energy_balance_site_meter(tiny: Model) -> None:
    sink = MemorySink()
    simulate(tiny, days=2, seed=2, sink=sink)
    energy = sink.table("energy")
    per_meter = {}
    for path in ["main", "a/l1/l1_meter", "utilities/air/compressors/air_meter"]:
        rows = energy.filter(pc.equal(energy["path"], f"tiny/s1/{path}"))
        per_meter[path] = rows["kwh"].to_numpy()
        assert rows.num_rows == 2 * 96
    truth = sink.truth_table("truth_energy")
    losses = truth.filter(pc.is_in(truth["cause"], pa.array(["base_load", "transformer_loss"])))
    loss_kwh = pc.sum(losses["kwh"]).as_py()
    site = per_meter["main"].sum()
    sub = per_meter["a/l1/l1_meter"].sum() + per_meter["utilities/air/compressors/air_meter"].sum()
    assert site == pytest.approx(sub + loss_kwh, rel=1e-9)
    equipment = truth.filter(
        pc.or_(
            pc.starts_with(truth["path"], "tiny/s1/a/"),
            pc.starts_with(truth["path"], "tiny/s1/utilities/"),
        )
    )
    assert sub == pytest.approx(pc.sum(equipment["kwh"]).as_py(), rel=1e-9)
    assert pc.sum(truth.filter(pc.equal(truth["cause"], "air_leak"))["kwh"]).as_py() > 0


def test_truth_tables_are_apart_from_records(tiny: Model) -> None:
    sink = MemorySink()
    simulate(tiny, days=1, seed=1, sink=sink)
    assert set(sink.truth) == {"truth_health", "truth_failures", "truth_units", "truth_energy"} - (
        set() if sink.truth.get("truth_failures") else {"truth_failures"}
    )
    health = sink.truth_table("truth_health")
    assert pc.min(health["health"]).as_py() >= 0
    assert pc.max(health["health"]).as_py() <= 1
    assert not any(kind.startswith("truth") for kind in sink.tables)


def test_policies_drive_the_plant(tmp_path: Path) -> None:
    model = tiny_model(tmp_path, mtbf_wear=60.0, mtbf_shock=1e6)
    results = {}
    for policy in (RunToFailure(), FixedInterval(fraction=0.4), ConditionThreshold(), Oracle()):
        results[policy.name] = simulate(model, days=12, seed=11, policy=policy, epoch_h=6)
    rtf = results["run_to_failure"].maintenance
    oracle = results["oracle"].maintenance
    assert rtf.preventive_count == 0
    assert rtf.failures > 0
    assert oracle.failures < rtf.failures
    assert oracle.unplanned_downtime_cost < rtf.unplanned_downtime_cost
    assert results["fixed_interval"].maintenance.preventive_count > 0
    assert results["condition_threshold"].maintenance.preventive_count > 0


def test_bad_inputs_are_simulation_errors(tiny: Model) -> None:
    with pytest.raises(SimulationError, match="days must be positive"):
        simulate(tiny, days=0)

    class Wrong:
        name = "wrong"

        def decide(self, view: PlantView) -> MaintenancePlan:
            return MaintenancePlan(preventive=(PreventiveOrder(equipment="tiny/nowhere"),))

    with pytest.raises(SimulationError, match="unknown equipment 'tiny/nowhere'"):
        simulate(tiny, days=1, policy=Wrong())


def test_a_rerun_into_the_same_store_duplicates_nothing(tiny: Model) -> None:
    store = open_store("duckdb://:memory:")
    first = simulate(tiny, days=0.5, seed=9, sink=StoreSink(store))
    counts = {kind: store.count_rows(kind) for kind in RecordKind}
    truth = store.read_table("truth_health").num_rows
    assert counts[RecordKind.SAMPLE] == first.records["sample"]
    simulate(tiny, days=0.5, seed=9, sink=StoreSink(store))
    assert {kind: store.count_rows(kind) for kind in RecordKind} == counts
    assert store.read_table("truth_health").num_rows == truth
    simulate(tiny, days=0.5, seed=10, sink=StoreSink(store))
    assert store.count_rows(RecordKind.SAMPLE) == 2 * counts[RecordKind.SAMPLE]
    store.close()


def test_policies_see_observable_records_only(tiny: Model) -> None:
    views: list[PlantView] = []

    class Spy:
        name = "spy"

        def decide(self, view: PlantView) -> MaintenancePlan:
            views.append(view)
            return MaintenancePlan()

    simulate(tiny, days=2, seed=1, policy=Spy(), epoch_h=12)
    assert len(views) == 4
    assert all(v.truth is None for v in views)
    assert all(v.samples.num_rows > 0 for v in views)
    assert views[-1].states is not None
    assert views[-1].states.num_rows > 0
    assert views[1].now_us - views[0].now_us == 12 * 3_600_000_000
    assert ("tiny/s1", "P1") in views[0].inventory
    assert views[-1].operating_hours["tiny/s1/a/l1/pressing/press1"] > 0


def test_a_schedule_can_hold_work_until_a_start_time(tiny: Model) -> None:
    class Late:
        name = "late"

        def orders(self, view: ScheduleView) -> list[ProductionOrder]:
            start = view.now_us + 12 * 3_600_000_000
            return [
                ProductionOrder(
                    order_id=f"o{view.day}", product="W1", quantity=20, due_us=start, start_us=start
                )
            ]

    sink = MemorySink()
    result = simulate(tiny, days=1, seed=1, schedule=Late(), sink=sink)
    started = sink.table("order").filter(pc.equal(sink.table("order")["event"], "started"))
    first = started["ts"].cast(pa.int64())[0].as_py()
    assert first >= result.start_us + 12 * 3_600_000_000
    assert result.orders_completed == 1
    assert result.orders_late == 1
