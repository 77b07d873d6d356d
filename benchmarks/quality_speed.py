"""Speed of the quality app against its targets: SPC and T² over a million units by twenty
parameters in at most 2 s; risk scoring at least 10 000 units/s; the decision for one serial
in at most 100 ms.

``--part spc``: one run on synthetic columnar data (seeded; each parameter contiguous in
time, as Arrow and Polars hold columns): for each parameter, Phase I individuals limits from
the first 10 000 units; then for all units and parameters at once, the X and MR charts
against those limits with the Western Electric rules, EWMA and tabular CUSUM; Hotelling's T²
fitted on the first 10 000 units and scored on all. The baseline in the same run is one pass
of numpy's mean and standard deviation over the matrix, so the ratio says how many such
passes the SPC costs. Wall and CPU seconds are the best of ``--repeat`` runs, and the
median of SPC and T² together (on a shared machine the runs spread widely).

``--part scoring``: ``--days`` of ``examples/smt`` simulated into an in-memory DuckDB store,
the latent-risk model fitted once on the inspected units of all but the last ``--test-days``
(as the app fits it), then the units' signature rows repeated to ``--score-units`` rows and
scored by the model (``UnitRiskModel.score``: the feature matrix from the frame, LightGBM,
the calibration map and the test's likelihood ratio). Baseline in the same run: LightGBM's
own ``predict`` on the same matrix, built beforehand, so the ratio is andon's overhead.
Also the app's whole scoring from the store (``QualityApp.score``: the last day's units
read, their signatures built, scored and decided on). Best of ``--repeat``.

``--part serial``: on the same store, ``--serials`` serials drawn from the units of the last
day that passed their test; for each, its decision: its signature, its lot's and its
genealogy read from the store, scored with its factors (``QualityApp.assess_unit``), then
hold, extra test or release chosen (``decide.choose``, with one free test slot at its
station). ``warm``: the app holds the fitted model; ``cold``: a new app per serial reads the
model from the store first, as an API request does. Baseline: the raw store queries of the
serial's own records (signature rows, inspections, genealogy links). Median and p90 of wall
and CPU milliseconds per serial.

    python benchmarks/quality_speed.py
    python benchmarks/quality_speed.py --part spc --units 200000 --repeat 1
    python benchmarks/quality_speed.py --part scoring --part serial --days 14
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl
from rich.console import Console
from rich.progress import Progress

from andon.apps.quality import QualityApp, QualitySettings
from andon.apps.quality.decide import choose
from andon.apps.quality.multivariate import HotellingMonitor
from andon.apps.quality.risk import UnitRiskModel
from andon.apps.quality.spc import (
    Baseline,
    CannotJudge,
    ChartKind,
    cusum_chart,
    d2,
    d3,
    ewma_chart,
    phase_one,
    run_rules,
)
from andon.model import Model, load_model
from andon.sim import simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore
from andon.store import quality_queries as qq
from andon.time import DAY_US

ROOT = Path(__file__).resolve().parents[1]
SMT = ROOT / "examples" / "smt"
PARTS = ("spc", "scoring", "serial")


def spc(data: np.ndarray) -> int:
    """Every SPC chart of every parameter; returns the number of signals."""
    estimates = []
    for column in range(data.shape[1]):  # Phase I: a loop per parameter, never per unit
        baseline = phase_one(data[:10_000, column], kind=ChartKind.INDIVIDUALS)
        assert isinstance(baseline, Baseline)
        estimates.append(baseline.estimate)
    centre = np.array([e.mean for e in estimates])
    sigma = np.array([e.sigma for e in estimates])
    # Phase II, all parameters at once: X beyond mean +- 3 sigma, MR beyond (d2 + 3 d3) sigma.
    beyond = np.abs(data - centre) > 3.0 * sigma
    beyond[1:] |= np.abs(np.diff(data, axis=0)) > (d2(2) + 3.0 * d3(2)) * sigma
    rules = run_rules(data, centre=centre, sigma=sigma)
    ewma = ewma_chart(data, target=0.0, sigma=1.0, lam=0.2)
    cusum = cusum_chart(data, target=0.0, sigma=1.0)
    assert not isinstance(ewma, CannotJudge)
    assert not isinstance(cusum, CannotJudge)
    return int((beyond | rules.any | ewma.beyond | cusum.beyond).sum())


def t2(data: np.ndarray) -> int:
    monitor = HotellingMonitor()
    monitor.fit(data[:10_000])
    return int((monitor.score(data)["t2"] > 45.3).sum())  # χ²(20) at 1e-3, a fixed line


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall and CPU seconds of ``repeat`` runs of ``work``."""
    wall, cpu = timings(work, repeat)
    return min(wall), min(cpu)


def timings(work: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each of ``repeat`` runs of ``work``."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def _load() -> dict[str, float]:
    one, five, fifteen = os.getloadavg()
    return {"1min": round(one, 2), "5min": round(five, 2), "15min": round(fifteen, 2)}


def spc_part(args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    # Columnar, as Arrow and Polars hold it: each parameter's values contiguous in time.
    data = np.asfortranarray(rng.normal(0.0, 1.0, (args.units, args.parameters)))
    data[args.units // 2 :, 3] += 0.5  # one parameter shifts half way
    results: dict[str, tuple[float, float]] = {}
    runs: dict[str, tuple[list[float], list[float]]] = {}
    task = progress.add_task("spc", total=3)
    for name, work in (
        ("baseline_mean_std", lambda: (data.mean(axis=0), data.std(axis=0))),
        ("spc", lambda: spc(data)),
        ("t2", lambda: t2(data)),
    ):
        progress.update(task, description=f"spc: {name}")
        runs[name] = timings(work, args.repeat)
        results[name] = (min(runs[name][0]), min(runs[name][1]))
        progress.advance(task)
    spc_wall, spc_cpu = results["spc"]
    both = np.add(runs["spc"], runs["t2"])
    t2_wall, t2_cpu = results["t2"]
    base_wall, base_cpu = results["baseline_mean_std"]
    return {
        "units": args.units,
        "parameters": args.parameters,
        "wall_seconds": {k: round(v[0], 3) for k, v in results.items()},
        "cpu_seconds": {k: round(v[1], 3) for k, v in results.items()},
        "spc_and_t2_wall_seconds": round(spc_wall + t2_wall, 3),
        "spc_and_t2_cpu_seconds": round(spc_cpu + t2_cpu, 3),
        "spc_and_t2_median_wall_seconds": round(float(np.median(both[0])), 3),
        "spc_and_t2_median_cpu_seconds": round(float(np.median(both[1])), 3),
        "ratio_to_baseline_wall": round((spc_wall + t2_wall) / base_wall, 1),
        "ratio_to_baseline_cpu": round((spc_cpu + t2_cpu) / max(base_cpu, 1e-9), 1),
        "target_seconds": 2.0,
        "signals": spc(data[:100_000]),
    }


class Plant:
    """The simulated SMT store, the app fitted on it, and the moment decisions are taken."""

    def __init__(self, args: argparse.Namespace, model: Model) -> None:
        self.model = model
        self.store = DuckDBStore(None)
        sim = simulate(
            model, days=args.days, seed=args.seed, sink=PipelineSink.into(self.store, model=model)
        )
        self.now = sim.end_us
        self.until = sim.end_us - round(args.test_days * DAY_US)
        self.settings = QualitySettings()
        self.app = QualityApp(settings=self.settings)
        self.fit_report = self.app.fit(self.store, model, until=self.until)

    def close(self) -> None:
        self.store.close()


def _test_values(frame: pl.DataFrame) -> np.ndarray:
    return frame.get_column("test_value").cast(pl.Float64).fill_null(np.nan).to_numpy()


def scoring_part(args: argparse.Namespace, plant: Plant, progress: Progress) -> dict[str, Any]:
    task = progress.add_task("scoring: fit", total=4)
    s = plant.settings
    start = plant.until - round(s.fit_lookback_h * 3_600_000_000)
    frame, _scale = plant.app.training_frame(plant.store, plant.model, start=start, end=plant.until)
    failed = frame.get_column("failed").to_numpy().astype(bool)
    features = frame.drop(["failed", "inspected_us", "test_value"])
    risk = UnitRiskModel.fit(
        features, failed, _test_values(frame), rounds=s.rounds, seed=s.seed,
        min_failures=s.min_failures,
    )  # fmt: skip
    progress.advance(task)
    # The fit's units, repeated to the size asked: the scoring cost does not depend on values.
    copies = -(-args.score_units // frame.height)
    rows = pl.concat([frame] * copies).head(args.score_units)
    rows_features = rows.drop(["failed", "inspected_us", "test_value"])
    values = _test_values(rows)
    inspected = np.ones(rows.height, dtype=bool)
    x = np.column_stack(
        [
            rows_features.get_column("product")
            .replace_strict({p: float(k) for k, p in enumerate(risk.products)}, default=None)
            .cast(pl.Float64)
            .fill_null(np.nan)
            .to_numpy()
            if name == "product"
            else rows_features.get_column(name).cast(pl.Float64).fill_null(np.nan).to_numpy()
            for name in risk.features
        ]
    )
    booster = lgb.Booster(model_str=risk.booster)
    progress.update(task, description="scoring: lightgbm predict")
    base = timed(lambda: booster.predict(x, num_threads=1), args.repeat)
    progress.advance(task)
    progress.update(task, description="scoring: UnitRiskModel.score")
    scored = timed(lambda: risk.score(rows_features, values, inspected), args.repeat)
    # The model's P(fail) is LightGBM's raw score through the calibration map (a model that
    # learnt nothing gives every unit the plant's failure rate instead).
    same = (
        bool(
            np.allclose(
                risk.score(rows_features, values, inspected).p_fail,
                np.interp(
                    booster.predict(x, num_threads=1), risk.calibration_x, risk.calibration_y
                ),
            )
        )
        if risk.informative
        else None
    )
    progress.advance(task)
    progress.update(task, description="scoring: QualityApp.score from the store")
    decided: list[int] = []

    def from_store() -> None:
        out = plant.app.score(plant.store, plant.model, now=plant.now)
        decided.append(out.frame.height if out is not None else 0)

    store_wall, store_cpu = timed(from_store, args.repeat)
    progress.advance(task)
    n = rows.height
    return {
        "fit_units": frame.height,
        "fit_failed": int(failed.sum()),
        "features": len(risk.features),
        "units": n,
        "model_score": {
            "wall_s": round(scored[0], 4),
            "cpu_s": round(scored[1], 4),
            "units_per_s_wall": round(n / scored[0]),
            "units_per_s_cpu": round(n / max(scored[1], 1e-9)),
        },
        "baseline_lightgbm_predict": {
            "wall_s": round(base[0], 4),
            "cpu_s": round(base[1], 4),
            "units_per_s_wall": round(n / base[0]),
        },
        "ratio_to_baseline_wall": round(scored[0] / base[0], 2),
        "ratio_to_baseline_cpu": round(scored[1] / max(base[1], 1e-9), 2),
        "p_fail_matches_baseline": same,
        "app_score_from_store": {
            "units": decided[-1],
            "wall_s": round(store_wall, 4),
            "cpu_s": round(store_cpu, 4),
            "units_per_s_wall": round(decided[-1] / store_wall),
        },
        "target_units_per_s": 10_000,
    }


def _decide_one(app: QualityApp, plant: Plant, serial: str) -> str:
    """From a serial to its decision: assess it, then choose with one free slot."""
    unit = app.assess_unit(plant.store, plant.model, serial=serial, now=plant.now)
    assert unit is not None
    s = app.settings
    cost = max(plant.model.products[unit.product].scrap_cost, 0.0)
    station = unit.stations[-1]
    row = pl.DataFrame(
        {
            "serial": [serial],
            "station": [station],
            "p": [unit.p_latent],
            "escape_cost": [cost * s.escape_cost_factor],
            "test_cost": [cost * s.test_cost_factor],
            "hold_cost": [cost * s.hold_cost_factor],
            "slot_cost": [cost * s.slot_cost_factor],
        }
    )
    decided = choose(row, capacity={station: 1}, sensitivity=s.test_sensitivity)
    return str(decided.get_column("decision")[0])


def _raw(plant: Plant, serial: str) -> int:
    picked = {"serials": (serial,)}
    return (
        qq.unit_signatures(plant.store, start=0, end=plant.now, **picked).num_rows
        + qq.inspections(plant.store, start=0, end=plant.now, **picked).num_rows
        + qq.genealogy_links(plant.store, start=0, end=plant.now, **picked).num_rows
    )


def _stats(samples: list[tuple[float, float]]) -> dict[str, float]:
    wall = np.array([w for w, _ in samples]) * 1000
    cpu = np.array([c for _, c in samples]) * 1000
    return {
        "wall_ms_median": round(float(np.median(wall)), 1),
        "wall_ms_p90": round(float(np.quantile(wall, 0.9)), 1),
        "cpu_ms_median": round(float(np.median(cpu)), 1),
        "cpu_ms_p90": round(float(np.quantile(cpu, 0.9)), 1),
    }


def serial_part(args: argparse.Namespace, plant: Plant, progress: Progress) -> dict[str, Any]:
    scored = plant.app.score(plant.store, plant.model, now=plant.now)
    assert scored is not None
    assert scored.frame.height > 0
    pool = sorted(scored.frame.get_column("serial").to_list())
    rng = np.random.default_rng(args.seed)
    serials = [pool[k] for k in rng.choice(len(pool), size=min(args.serials, len(pool)))]
    task = progress.add_task("serial", total=3 * len(serials))
    samples: dict[str, list[tuple[float, float]]] = {"raw": [], "warm": [], "cold": []}
    decisions: dict[str, int] = {}
    _decide_one(plant.app, plant, serials[0])  # imports and first-call caches out of the way
    for serial in serials:
        progress.update(task, description=f"serial {serial}")
        samples["raw"].append(timed(lambda s=serial: _raw(plant, s), 1))
        progress.advance(task)
        samples["warm"].append(timed(lambda s=serial: _decide_one(plant.app, plant, s), 1))
        progress.advance(task)
        fresh = QualityApp(settings=plant.settings)
        samples["cold"].append(timed(lambda s=serial, a=fresh: _decide_one(a, plant, s), 1))
        decision = _decide_one(fresh, plant, serial)
        decisions[decision] = decisions.get(decision, 0) + 1
        progress.advance(task)
    return {
        "serials": len(serials),
        "store_unit_records": qq.unit_signatures(plant.store, start=0, end=plant.now).num_rows,
        "decisions": decisions,
        "baseline_raw_queries": _stats(samples["raw"]),
        "decision_warm": _stats(samples["warm"]),
        "decision_cold": _stats(samples["cold"]),
        "target_ms": 100,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", action="append", choices=PARTS, help="what to time (repeatable; all if none)"
    )
    parser.add_argument("--units", type=int, default=1_000_000, help="spc: units")
    parser.add_argument("--parameters", type=int, default=20, help="spc: parameters")
    parser.add_argument("--repeat", type=int, default=3, help="spc, scoring: best of")
    parser.add_argument("--days", type=float, default=30.0, help="scoring, serial: days simulated")
    parser.add_argument("--test-days", type=float, default=7.0, help="days after the fit")
    parser.add_argument(
        "--seed", type=int, default=13, help="the simulation's seed (13: a model that learnt)"
    )
    parser.add_argument("--score-units", type=int, default=200_000, help="scoring: rows")
    parser.add_argument("--serials", type=int, default=50, help="serial: serials decided")
    args = parser.parse_args()
    parts = args.part or list(PARTS)
    report: dict[str, Any] = {
        "benchmark": "quality_speed",
        "cpus": os.cpu_count(),
        "load_before": _load(),
    }
    with Progress(console=Console(stderr=True)) as progress:
        if "spc" in parts:
            report["spc"] = spc_part(args, progress)
        if "scoring" in parts or "serial" in parts:
            task = progress.add_task("simulating and fitting", total=None)
            wall, cpu = time.perf_counter(), time.process_time()
            plant = Plant(args, load_model(SMT))
            report["plant"] = {
                "template": "examples/smt",
                "days": args.days,
                "seed": args.seed,
                "simulate_and_fit_wall_s": round(time.perf_counter() - wall, 1),
                "simulate_and_fit_cpu_s": round(time.process_time() - cpu, 1),
            }
            progress.remove_task(task)
            try:
                if "scoring" in parts:
                    report["scoring"] = scoring_part(args, plant, progress)
                if "serial" in parts:
                    report["serial"] = serial_part(args, plant, progress)
            finally:
                plant.close()
    report["load_after"] = _load()
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
