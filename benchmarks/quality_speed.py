"""Speed of SPC and T² over a million units by twenty parameters (target: at most 2 s).

One run on synthetic columnar data (seeded; each parameter contiguous in time, as Arrow and
Polars hold columns): for each parameter, Phase I individuals limits from the first 10 000
units; then for all units and parameters at once, the X and MR charts against those limits
with the Western Electric rules, EWMA and tabular CUSUM; Hotelling's T² fitted
on the first 10 000 units and scored on all. The baseline in the same run is one pass of
numpy's mean and standard deviation over the matrix, so the ratio says how many such passes
the SPC costs. Wall and CPU seconds are the best of ``--repeat`` runs.

    python benchmarks/quality_speed.py
    python benchmarks/quality_speed.py --units 200000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable

import numpy as np
from rich.console import Console
from rich.progress import Progress

from andon.apps.quality.multivariate import HotellingMonitor
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


def timed(
    work: Callable[[np.ndarray], object], data: np.ndarray, repeat: int
) -> tuple[float, float]:
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        work(data)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return round(best_wall, 3), round(best_cpu, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--parameters", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    # Columnar, as Arrow and Polars hold it: each parameter's values contiguous in time.
    data = np.asfortranarray(rng.normal(0.0, 1.0, (args.units, args.parameters)))
    data[args.units // 2 :, 3] += 0.5  # one parameter shifts half way
    results = {}
    with Progress(console=Console(stderr=True)) as progress:
        task = progress.add_task("timing", total=3)
        for name, work in (
            ("baseline_mean_std", lambda d: (d.mean(axis=0), d.std(axis=0))),
            ("spc", spc),
            ("t2", t2),
        ):
            progress.update(task, description=name)
            results[name] = timed(work, data, args.repeat)
            progress.advance(task)
    spc_wall, spc_cpu = results["spc"]
    t2_wall, t2_cpu = results["t2"]
    base_wall, base_cpu = results["baseline_mean_std"]
    report = {
        "benchmark": "quality_speed",
        "units": args.units,
        "parameters": args.parameters,
        "wall_seconds": {k: v[0] for k, v in results.items()},
        "cpu_seconds": {k: v[1] for k, v in results.items()},
        "spc_and_t2_wall_seconds": round(spc_wall + t2_wall, 3),
        "spc_and_t2_cpu_seconds": round(spc_cpu + t2_cpu, 3),
        "ratio_to_baseline_wall": round((spc_wall + t2_wall) / base_wall, 1),
        "ratio_to_baseline_cpu": round((spc_cpu + t2_cpu) / max(base_cpu, 1e-9), 1),
        "target_seconds": 2.0,
        "signals": spc(data[:100_000]),
        "cpus": os.cpu_count(),
    }
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
