"""Benchmark: peak memory and time of the maintenance app's fit, by plant size and history.

Target (issue "right on any plant"): fitting on a year of a 200-machine simulated plant in at
most 4 GB of memory, with its time beside the 30-machine figure.

The plants are ``examples/discrete`` (2 sites, 30 machines) and copies of its two sites (a
plant of 200 machines or more: the sites replicated with their lines, routings, stock and
practices; the simulator's laws unchanged). Each plant and span is simulated once into a
DuckDB file in a cache folder (``--cache``, default a folder in the system's temporary
directory) and reused. Each fit runs in a child process, so that its peak resident memory
(``VmHWM``, which starts again at exec) is the fit's alone: DuckDB's buffers count too.
Baseline, same run: the
same fit with the condition grid built in memory from every sample (``--baseline``, the
path before the store aggregated), on the plants where it fits in memory.

    python benchmarks/maintenance_fit.py                      # 30 m x 30/90 d, 210 m x 365 d
    python benchmarks/maintenance_fit.py --plant 210:60       # one plant: machines:days
    python benchmarks/maintenance_fit.py --quick              # 30 machines x 7 days
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "discrete"
START_US = 1_767_571_200_000_000  # 2026-01-05T00:00Z, the example scenario's start
DAY_US = 86_400_000_000
LIMIT_MB = 4096


def plant_yaml(copies: int) -> tuple[str, str]:
    """Return (model YAML, scenario YAML) of the example with its sites ``copies`` times.

    Copy ``k`` of site ``lyon`` is ``lyon{k}`` (the first keeps its id); its lines, the
    routings through them, the parts' stock and the scenario's practices are copied with it.
    """
    model = yaml.safe_load((EXAMPLE / "acme.yaml").read_text())
    scenario = yaml.safe_load((EXAMPLE / "acme.scenario").read_text())
    for cls in model["equipment_classes"]:
        # YAML 1.1 reads the state ``off`` as false; the model's reader keeps it a name.
        power = cls.get("power_kw") or {}
        cls["power_kw"] = {("off" if k is False else k): v for k, v in power.items()}
    sites = model["sites"]
    names = [s["id"] for s in sites]

    def copy_id(site: str, k: int) -> str:
        return site if k == 0 else f"{site}{k + 1}"

    model["sites"] = [
        {**s, "id": copy_id(s["id"], k), "name": f"{s['name']} #{k + 1}"}
        for k in range(copies)
        for s in sites
    ]
    for part in model["parts"]:
        part["stock"] = {
            copy_id(site, k): qty for k in range(copies) for site, qty in part["stock"].items()
        }
    for product in model["products"]:
        routings = []
        for routing in product["routings"]:
            site, rest = routing["line"].split("/", 1)
            routings += [{**routing, "line": f"{copy_id(site, k)}/{rest}"} for k in range(copies)]
        product["routings"] = routings
    practices = scenario["scenario"].get("practices", {})
    scenario["scenario"]["practices"] = {
        copy_id(site, k): practices[site]
        for k in range(copies)
        for site in names
        if site in practices
    }
    return yaml.safe_dump(model, sort_keys=False), yaml.safe_dump(scenario, sort_keys=False)


def copies_for(machines: int) -> int:
    """Return how many copies of the example's sites give at least ``machines`` machines."""
    return max(1, -(-machines // 30))


def prepare(
    machines: int, days: float, cache: Path, seed: int
) -> tuple[Path, Path, dict[str, Any]]:
    """Return (model folder, DuckDB file, simulation figures), simulating on a cache miss."""
    copies = copies_for(machines)
    name = f"plant-{copies * 30}m-{days:g}d-seed{seed}"
    folder = cache / name
    model_dir = folder / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    model_text, scenario_text = plant_yaml(copies)
    (model_dir / "plant.yaml").write_text(model_text)
    (model_dir / "plant.scenario").write_text(scenario_text)
    db = folder / "store.duckdb"
    done = folder / "simulated.json"
    if done.exists() and db.exists():
        return model_dir, db, json.loads(done.read_text())
    db.unlink(missing_ok=True)
    from rich.console import Console  # noqa: PLC0415  (only on a cache miss)
    from rich.progress import Progress  # noqa: PLC0415

    from andon.model import load_model  # noqa: PLC0415
    from andon.sim import PipelineSink, simulate  # noqa: PLC0415
    from andon.store import open_store  # noqa: PLC0415

    model = load_model(model_dir)
    store = open_store(f"duckdb://{db}")
    sink = PipelineSink.into(store, model=model)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with Progress(console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(f"simulating {len(model.equipment)} machines x {days:g} d", total=days)

        def progress(t_s: float, horizon_s: float) -> None:
            del horizon_s
            bar.update(task, completed=t_s / 86_400)

        result = simulate(model, days=days, seed=seed, sink=sink, progress=progress)
    figures = {
        "machines": len(model.equipment),
        "days": days,
        "samples": result.records["sample"],
        "records": result.total_records,
        "sim_wall_s": round(time.perf_counter() - wall0, 1),
        "sim_cpu_s": round(time.process_time() - cpu0, 1),
    }
    store.close()
    done.write_text(json.dumps(figures))
    return model_dir, db, figures


def _own_peak_mb() -> float:
    """This process's own peak resident memory in MB.

    ``ru_maxrss`` survives ``exec``: a child started by a parent that simulated a year first
    reports the parent's peak. Linux's ``VmHWM`` belongs to the process's own address space
    and starts again at ``exec``; elsewhere ``ru_maxrss`` is the fallback.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_fit(model_dir: Path, db: Path, until: int, path: str) -> dict[str, Any]:
    """Fit the maintenance app once (in this process); return its time and peak memory."""
    from andon.apps.maintenance import MaintenanceApp  # noqa: PLC0415
    from andon.model import load_model  # noqa: PLC0415
    from andon.store import open_store  # noqa: PLC0415

    model = load_model(model_dir)
    store = open_store(f"duckdb://{db}")
    app = MaintenanceApp()
    before_mb = _own_peak_mb()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if path == "memory":
        rows, version = _fit_in_memory(app, store, model, until)
    else:
        report = app.fit(store, model, until=until)
        rows, version = report.rows, report.version
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    store.close()
    return {
        "path": path,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_rss_mb": round(_own_peak_mb(), 1),
        "rss_mb_before_fit": round(before_mb, 1),
        "rows": rows,
        "version": version,
    }


def _fit_in_memory(app: Any, store: Any, model: Any, until: int) -> tuple[int, str]:
    """Baseline: the fit as it was, every sample read and one pooled frame in memory."""
    from andon.apps.maintenance.history import (  # noqa: PLC0415
        condition_grid,
        load_history,
        running_fraction,
    )
    from andon.apps.maintenance.pooled import normalise_samples  # noqa: PLC0415

    s = app.settings
    start = int(until - s.fit_lookback_h * 3_600_000_000)
    history = load_history(store, model, start=start, end=until)
    grid = running_fraction(
        history.states,
        condition_grid(
            normalise_samples(history.samples, model),
            start=start,
            end=until,
            equipment=list(model.equipment),
            states=history.states,
        ),
    )
    origins = app._origins(model, history.maintenance, until)
    frame = app._pooled_frame(model, grid, history, until, origins=origins)
    risk = app.fit_pooled(frame)
    return frame.height, risk.version


def measure(model_dir: Path, db: Path, until: int, path: str) -> dict[str, Any]:
    """Run :func:`child_fit` in a child process and return what it printed."""
    command = [
        sys.executable,
        __file__,
        "--child",
        str(model_dir),
        str(db),
        str(until),
        path,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"path": path, "error": done.stderr.strip().splitlines()[-1:]}
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 machines x 7 days")
    parser.add_argument(
        "--plant",
        action="append",
        help="machines:days (repeatable; default 30:30, 30:90 and 200:365)",
    )
    parser.add_argument(
        "--baseline-up-to",
        type=int,
        default=30 * 90,
        help="run the in-memory baseline on plants up to this many machine-days",
    )
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "andon-bench")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prepare-only", action="store_true", help="simulate, do not fit")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        model_dir, db, until, path = args.child
        json.dump(child_fit(Path(model_dir), Path(db), int(until), path), sys.stdout)
        return 0
    plants = ["30:7"] if args.quick else (args.plant or ["30:30", "30:90", "200:365"])
    results: list[dict[str, Any]] = []
    for plant in plants:
        machines, days = (float(x) for x in plant.split(":"))
        model_dir, db, simulated = prepare(int(machines), days, args.cache, args.seed)
        if args.prepare_only:
            results.append({"plant": plant, "simulated": simulated})
            continue
        until = int(START_US + days * DAY_US)
        entry: dict[str, Any] = {"plant": plant, "simulated": simulated}
        entry["fit"] = measure(model_dir, db, until, "store")
        if simulated["machines"] * days <= args.baseline_up_to:
            base = measure(model_dir, db, until, "memory")
            entry["baseline_in_memory"] = base
            if "peak_rss_mb" in base and "peak_rss_mb" in entry["fit"]:
                entry["ratio_peak_rss_store_to_memory"] = round(
                    entry["fit"]["peak_rss_mb"] / base["peak_rss_mb"], 3
                )
                entry["same_rows"] = base["rows"] == entry["fit"]["rows"]
        peak = entry["fit"].get("peak_rss_mb")
        entry["within_4gb"] = peak is not None and peak <= LIMIT_MB
        results.append(entry)
    report = {
        "benchmark": "maintenance_fit",
        "quick": args.quick,
        "target_peak_rss_mb": LIMIT_MB,
        "plants": results,
        "load_average_1min": round(psutil.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
