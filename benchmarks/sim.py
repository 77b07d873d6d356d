"""Benchmark: simulate the example enterprise into the DuckDB store; print JSON.

Target (issue "plant simulator"): 30 simulated days of examples/discrete, every tag at its
modelled rate, into the DuckDB store in at most 60 s; memory flat with the simulated period.
The records pass the contracts on the way (``PipelineSink``: check, quarantine, idempotent
write), as a connector's do; the share of the time spent in ``contracts.check`` is reported.
Also the figure with every tag at 1 Hz (no target), over a shorter period and scaled.
Baseline, same run: a raw DuckDB insert of as many sample rows as the simulation wrote.

    python benchmarks/sim.py            # 30 days, and 1 day at 1 Hz
    python benchmarks/sim.py --quick    # 1 day, and 30 minutes at 1 Hz: seconds
    python benchmarks/sim.py --closed-loop-days 5   # CPU seconds per simulated day, as the
                                                    # closed-loop table runs it (hourly tags)
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
import numpy as np
import psutil
import pyarrow as pa

import andon.connect.pipeline as pipeline_module
from andon import contracts
from andon.model import load_model
from andon.sim import PipelineSink, simulate
from andon.store import open_store

ROOT = Path(__file__).resolve().parent.parent


def run_sim(days: float, *, rate_s: float | None, folder: Path, name: str) -> dict[str, Any]:
    """Simulate into a fresh DuckDB file; return speed, records and memory by day."""
    model = load_model(ROOT / "examples" / "discrete")
    store = open_store(f"duckdb://{folder / name}.duckdb")
    process = psutil.Process()
    rss_by_day: list[float] = []

    def progress(t_s: float, horizon_s: float) -> None:
        del horizon_s
        rss_by_day.append(process.memory_info().rss / 2**20)
        del t_s

    checked = {"wall_s": 0.0, "cpu_s": 0.0}
    check = contracts.check

    def timed_check(*args: Any, **kwargs: Any) -> Any:
        wall0, cpu_start = time.perf_counter(), time.process_time()
        try:
            return check(*args, **kwargs)
        finally:
            checked["wall_s"] += time.perf_counter() - wall0
            checked["cpu_s"] += time.process_time() - cpu_start

    sink = PipelineSink.into(store, model=model)
    start = time.perf_counter()
    cpu0 = time.process_time()
    with mock.patch.object(pipeline_module, "check", timed_check):
        result = simulate(
            model,
            days=days,
            seed=1,
            sink=sink,
            sample_rate_s=rate_s,
            epoch_h=1.0 if rate_s is not None else (24.0 if days >= 1 else 0.25),
            progress=progress,
        )
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    stored = store.count_rows("sample")  # type: ignore[arg-type]
    store.close()
    n = len(rss_by_day)
    half = rss_by_day[n // 2] if n else 0.0
    return {
        "days": days,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "sim_s_per_wall_s": round(days * 86_400 / wall, 1),
        "records": result.total_records,
        "samples": result.records["sample"],
        "samples_stored": stored,
        "quarantined": sink.quarantined,
        "contract_check_wall_s": round(checked["wall_s"], 2),
        "contract_check_cpu_s": round(checked["cpu_s"], 2),
        "contract_check_share_of_wall": round(checked["wall_s"] / wall, 3),
        "records_per_s": round(result.total_records / wall),
        "rss_mb_mid": round(half, 1),
        "rss_mb_end": round(rss_by_day[-1], 1) if n else 0.0,
        "rss_growth_mb_per_day_second_half": round((rss_by_day[-1] - half) / max(days / 2, 1e-9), 2)
        if n > 2
        else 0.0,
    }


def raw_duckdb_insert(rows: int, folder: Path) -> dict[str, float]:
    """Baseline: insert ``rows`` sample-shaped rows from Arrow into a plain DuckDB table."""
    rng = np.random.default_rng(0)
    tags = np.array([f"acme/site/area/line/cell/eq{i}/tag{i % 3}" for i in range(80)])
    table = pa.table(
        {
            "ts": pa.array(
                np.arange(rows, dtype=np.int64) * 1_000_000, pa.timestamp("us", tz="UTC")
            ),
            "source": pa.array(np.full(rows, "bench")),
            "seq": pa.array(np.arange(rows, dtype=np.int64)),
            "path": pa.array(tags[np.arange(rows) % tags.size]),
            "value": pa.array(rng.standard_normal(rows)),
            "quality": pa.array(np.full(rows, "good")),
        }
    )
    con = duckdb.connect(str(folder / "raw.duckdb"))
    con.execute(
        "CREATE TABLE s (ts TIMESTAMPTZ, source TEXT, seq BIGINT, path TEXT, value DOUBLE, "
        "quality TEXT)"
    )
    start = time.perf_counter()
    cpu0 = time.process_time()
    con.register("batch", table)
    con.execute("INSERT INTO s SELECT * FROM batch")
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    con.close()
    return {
        "rows": rows,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "rows_per_s": round(rows / max(wall, 1e-9)),
    }


def closed_loop_speed(days: float) -> dict[str, Any]:
    """CPU and wall seconds per simulated day of discrete and smt, hourly tags, in memory:
    what one run of the closed-loop table costs (run-to-failure), and the 90-day figure."""
    out: dict[str, Any] = {}
    for template in ("discrete", "smt"):
        model = load_model(ROOT / "examples" / template)
        wall0, cpu0 = time.perf_counter(), time.process_time()
        simulate(model, days=days, seed=1, sample_rate_s=3600.0)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        out[template] = {
            "days": days,
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "cpu_s_per_day": round(cpu / days, 3),
            "cpu_s_for_90_days_extrapolated": round(cpu / days * 90, 1),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds instead of a minute")
    parser.add_argument(
        "--closed-loop-days",
        type=float,
        default=0.0,
        help="only measure CPU seconds per simulated day of discrete and smt over these days",
    )
    args = parser.parse_args(argv)
    if args.closed_loop_days > 0:
        report = {
            "benchmark": "sim_closed_loop_speed",
            "runs": closed_loop_speed(args.closed_loop_days),
            "load_average_1min": round(psutil.getloadavg()[0], 2),
            "cpu_count": psutil.cpu_count(),
        }
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    days = 1.0 if args.quick else 30.0
    hz_days = 1 / 48 if args.quick else 1.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        modelled = run_sim(days, rate_s=None, folder=folder, name="modelled")
        one_hz = run_sim(hz_days, rate_s=1.0, folder=folder, name="one_hz")
        baseline = raw_duckdb_insert(int(modelled["samples"]), folder)
    one_hz["wall_s_for_30_days_extrapolated"] = round(one_hz["wall_s"] * 30 / hz_days, 1)
    report = {
        "benchmark": "sim",
        "quick": args.quick,
        "model": "examples/discrete (2 sites, 7 lines, 30 equipment)",
        "modelled_rates": modelled,
        "target_wall_s_for_30_days": 60,
        "meets_target": (not args.quick) and modelled["wall_s"] <= 60,
        "one_hz": one_hz,
        "baseline_raw_duckdb_insert": baseline,
        "ratio_sim_wall_to_raw_insert": round(
            modelled["wall_s"] / max(baseline["wall_s"], 1e-9), 1
        ),
        "load_average_1min": round(psutil.getloadavg()[0], 2),
        "cpu_count": psutil.cpu_count(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
