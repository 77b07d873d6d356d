"""Closed-loop evaluation: the maintenance app drives the simulator beside baselines and two bounds.

For each plant template, the app is fitted once on a separate history run (run-to-failure,
its own seeds), then every policy runs the same evaluation seeds:

* ``run_to_failure``: repair what breaks (the zero of every saving);
* ``fixed_interval``: preventive work after a share of the MTBF (share tuned);
* ``condition_threshold``: work when a tag drifts past a threshold (threshold tuned);
* ``oracle``: perfect foresight from the simulator's truth: every future failure, random
  ones included, with parts ordered ahead (the upper bound; not deployable);
* ``true_health``: the present-knowledge reference: the true health now and the true law of
  each mode's degradation kind, no future (its cost weight tuned): what any policy judging
  from condition could at best reach;
* ``andon_maintenance``: this app through :class:`andon.apps.maintenance.policy.AppPolicy`,
  its one knob (the weight on the life an early renewal gives up) tuned likewise.

Every knob is tuned on its own seeds over a grid that widens while the best value sits on
its edge (``grid_edge`` in the report says when the widening ran out).

Reported per policy, with 95 % intervals over seeds: total maintenance cost, unplanned
downtime, failures, parts expedited; the share of the oracle's saving over run-to-failure and
the share of the reference's saving (paired bootstrap), overall and per degradation kind
(``wear``, ``pf``, ``random``: the money of the work on the modes of that kind,
:attr:`andon.sim.SimResult.cost_by_kind`); the app's paired cost difference against the best
tuned baseline; wall and CPU seconds (this process and the workers). JSON on stdout and in
``artifacts/benchmarks/maintenance_policy.json``, a PNG chart beside it.

    python benchmarks/maintenance_policy.py                  # 20 seeds, 90 days, discrete + smt
    nice python benchmarks/maintenance_policy.py --seeds 5 --days 30 --history-days 60
    python benchmarks/maintenance_policy.py --quick          # small plant, 2 seeds, a few days

Runs go to ``--workers`` processes (default: every core); each closed-loop run is one
simulation, so the table's wall time is its CPU time over the workers. Runs are cached by
their inputs and the source of the simulator and the app (``--cache``), so a re-run
re-simulates only what changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from andon.apps.maintenance import MaintenanceApp, MaintenanceSettings
from andon.apps.maintenance.policy import AppPolicy
from andon.errors import InsufficientHistoryError
from andon.model import Model, load_model
from andon.sim import (
    ConditionThreshold,
    FixedInterval,
    MaintenancePolicy,
    Oracle,
    RunToFailure,
    StoreSink,
    TrueHealth,
    simulate,
)
from andon.store import DuckDBStore

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = {
    "discrete": ROOT / "examples" / "discrete",
    "smt": ROOT / "examples" / "smt",
}
SMALL = Path(__file__).resolve().parent / "data" / "maintenance_small.yaml"
POLICIES = (
    "run_to_failure",
    "fixed_interval",
    "condition_threshold",
    "oracle",
    "true_health",
    "andon_maintenance",
)
KINDS = ("wear", "pf", "random")
GRIDS: dict[str, list[float]] = {
    # fixed_interval: share of the shortest MTBF; large shares come close to run-to-failure
    "fixed_interval": [0.1, 0.2, 0.35, 0.5, 0.8, 1.2],
    # condition_threshold: drift as a share of the tag's range
    "condition_threshold": [0.05, 0.1, 0.15, 0.25, 0.4],
    # true_health: weight of the work's cost against the failure cost expected
    "true_health": [0.25, 0.5, 1.0, 2.0, 4.0],
}
WIDEN = {"fixed_interval": (0.5, 1.6), "condition_threshold": (0.5, 1.6)}
"""How a grid grows past its low and high edge (factors); others double or halve."""

_MODELS: dict[str, Model] = {}
_APPS: dict[str, tuple[MaintenanceApp, int]] = {}
"""The models and the fitted apps by template, in each process (a worker fits its own: the
fit is deterministic, so every worker holds the same app)."""
_SETUP: dict[str, Any] = {}
"""What a worker process needs to load models and fit apps: template paths and arguments."""


def _init_worker(setup: dict[str, Any]) -> None:
    _SETUP.update(setup)


def _ensure(template: str, *, with_app: bool) -> None:
    """Load the template's model, and fit its app, in this process when not done yet."""
    if template not in _MODELS:
        _MODELS[template] = load_model(_SETUP["paths"][template])
    if with_app and template not in _APPS:
        fit_app(template, argparse.Namespace(**_SETUP["args"]))


def ci95(values: Sequence[float]) -> tuple[float, float, float]:
    """Return the mean and its 95 % t-interval."""
    a = np.asarray(values, dtype=float)
    mean = float(a.mean())
    if len(a) < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, len(a) - 1) * a.std(ddof=1) / np.sqrt(len(a)))
    return mean, mean - half, mean + half


def share_ci(
    policy: Sequence[float],
    r2f: Sequence[float],
    bound: Sequence[float],
    rng: np.random.Generator,
) -> tuple[float, float, float]:
    """Share of a bound's saving over run-to-failure captured; paired bootstrap over seeds.

    NaN where the bound saves nothing (no saving to share).
    """
    p, r, o = (np.asarray(x, dtype=float) for x in (policy, r2f, bound))

    def share(idx: np.ndarray) -> float:
        gap = r[idx].mean() - o[idx].mean()
        return float((r[idx].mean() - p[idx].mean()) / gap) if abs(gap) > 1e-9 else math.nan

    point = share(np.arange(len(p)))
    if math.isnan(point):
        return point, math.nan, math.nan
    boots = np.array([share(rng.integers(0, len(p), len(p))) for _ in range(2000)])
    boots = boots[np.isfinite(boots)]
    if boots.size == 0:
        return point, math.nan, math.nan
    low, high = np.percentile(boots, [2.5, 97.5])
    return point, float(low), float(high)


def _digest(*folders: Path) -> str:
    """Return a digest of the Python sources under ``folders`` (what a cached run depends on)."""
    digest = hashlib.sha256()
    for folder in folders:
        for file in sorted(folder.rglob("*.py")):
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


class RunCache:
    """Results of closed-loop runs on disk (JSON lines), keyed by everything they depend on."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.rows: dict[str, dict[str, Any]] = {}
        self.hits = 0
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.rows[row["key"]] = row["result"]

    def get(self, key: str) -> dict[str, Any] | None:
        """Return a cached run, counting the hit."""
        found = self.rows.get(key)
        if found is not None:
            self.hits += 1
        return found

    def put(self, key: str, result: dict[str, Any]) -> None:
        """Keep a run, on disk too."""
        self.rows[key] = result
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as handle:
                handle.write(json.dumps({"key": key, "result": result}) + "\n")


Job = tuple[str, str, float, int, float, float]
"""(template, policy, knob value or NaN, seed, days, sample interval s)."""


def make_policy(template: str, policy: str, value: float, rounds: int) -> MaintenancePolicy:
    """Build one policy of the table (the app from the fitted one this process holds)."""
    if policy == "run_to_failure":
        return RunToFailure()
    if policy == "oracle":
        return Oracle()
    if policy == "fixed_interval":
        return FixedInterval(fraction=value)
    if policy == "condition_threshold":
        return ConditionThreshold(threshold=value)
    if policy == "true_health":
        return TrueHealth(weight=value)
    app, _ = _APPS[template]
    return AppPolicy(
        app=app.with_settings(MaintenanceSettings(rounds=rounds, life_value_factor=value))
    )


def run_job(job: Job, rounds: int) -> dict[str, Any]:
    """Simulate one seed under one policy; return its costs, per kind too, and CPU seconds."""
    template, policy, value, seed, days, rate_s = job
    _ensure(template, with_app=policy == "andon_maintenance")
    started = time.process_time()
    result = simulate(
        _MODELS[template],
        days=days,
        seed=seed,
        policy=make_policy(template, policy, value, rounds),
        sample_rate_s=rate_s,
    )
    m = result.maintenance
    return {
        "total_cost": m.total,
        "unplanned_downtime_h": m.unplanned_downtime_h,
        "failures": float(m.failures),
        "expedited": float(m.expedite_count),
        "preventive": float(m.preventive_count),
        "cost_by_kind": dict(result.cost_by_kind),
        "cpu_seconds": time.process_time() - started,
    }


class Runner:
    """Runs jobs on worker processes, from the cache where it has them."""

    def __init__(
        self,
        *,
        workers: int,
        cache: RunCache,
        keys: dict[str, str],
        rounds: int,
        setup: dict[str, Any],
    ) -> None:
        self.setup = setup
        self.workers = workers
        self.cache = cache
        self.keys = keys
        self.rounds = rounds
        self.worker_cpu_s = 0.0
        self.runs = 0
        self._pool: ProcessPoolExecutor | None = None

    def key(self, job: Job) -> str:
        template, policy, value, seed, days, rate_s = job
        knob = "" if math.isnan(value) else f"={value:g}"
        base = self.keys[template]
        if policy == "andon_maintenance":
            base = self.keys[f"{template}:app"]
        return f"{base}|{policy}{knob}|seed={seed}|days={days:g}|rate={rate_s:g}"

    def run(self, jobs: Sequence[Job]) -> dict[Job, dict[str, Any]]:
        """Return every job's result, simulating those the cache lacks."""
        out: dict[Job, dict[str, Any]] = {}
        missing: list[Job] = []
        for job in dict.fromkeys(jobs):
            found = self.cache.get(self.key(job))
            if found is not None and "cost_by_kind" in found:
                out[job] = found
            else:
                missing.append(job)
        if not missing:
            return out
        if self.workers <= 1:
            results = [run_job(job, self.rounds) for job in missing]
        else:
            if self._pool is None:
                # spawn, not fork: a fork taken after DuckDB's threads ran can deadlock
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=context,
                    initializer=_init_worker,
                    initargs=(self.setup,),
                )
            futures = {self._pool.submit(run_job, job, self.rounds): job for job in missing}
            # each run goes to the cache as it ends, so an interrupted table keeps its runs
            for future in as_completed(futures):
                self._keep(futures[future], future.result(), out)
            return out
        for job, result in zip(missing, results, strict=True):
            self._keep(job, result, out)
        return out

    def _keep(self, job: Job, result: dict[str, Any], out: dict[Job, dict[str, Any]]) -> None:
        self.cache.put(self.key(job), result)
        self.worker_cpu_s += float(result["cpu_seconds"])
        self.runs += 1
        out[job] = result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def widen(policy: str, grid: list[float], best: float) -> float | None:
    """Return the next knob value past the edge ``best`` sits on, or None inside the grid."""
    ordered = sorted(grid)
    low, high = WIDEN.get(policy, (0.5, 2.0))
    if best == ordered[0]:
        return round(best * low, 4)
    if best == ordered[-1]:
        return round(best * high, 4)
    return None


def tune_all(
    runner: Runner,
    templates: Sequence[str],
    policies: Sequence[str],
    grids: dict[str, list[float]],
    *,
    seeds: Sequence[int],
    days: float,
    rate_s: float,
    max_widen: int,
) -> dict[tuple[str, str], dict[str, Any]]:
    """Tune each knob on the tuning seeds, widening a grid whose best value is on its edge."""
    grid = {(t, p): list(grids[p]) for t in templates for p in policies}
    widened = dict.fromkeys(grid, 0)
    while True:
        jobs = [
            (t, p, v, s, days, rate_s)
            for (t, p), values in grid.items()
            for v in values
            for s in seeds
        ]
        done = runner.run(jobs)
        grown = False
        for (t, p), values in grid.items():
            scores = {
                v: float(np.mean([done[(t, p, v, s, days, rate_s)]["total_cost"] for s in seeds]))
                for v in values
            }
            best = min(scores, key=lambda v: scores[v])
            step = widen(p, values, best)
            if step is not None and widened[(t, p)] < max_widen and step not in values:
                values.append(step)
                widened[(t, p)] += 1
                grown = True
        if not grown:
            break
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for (t, p), values in grid.items():
        scores = {
            v: float(np.mean([done[(t, p, v, s, days, rate_s)]["total_cost"] for s in seeds]))
            for v in sorted(values)
        }
        best = min(scores, key=lambda v: scores[v])
        out[(t, p)] = {
            "best": best,
            "scores": {f"{v:g}": round(c, 1) for v, c in scores.items()},
            "grid_edge": widen(p, values, best) is not None,
            "widened": widened[(t, p)],
        }
    return out


def fit_app(template: str, args: argparse.Namespace) -> dict[str, Any]:
    """Fit the app on a run-to-failure history of its own; keep it for the workers."""
    model = _MODELS[template]
    history = DuckDBStore(None)
    started = time.process_time()
    trained = simulate(
        model,
        days=args.history_days,
        seed=args.history_seed,
        policy=RunToFailure(),
        sink=StoreSink(history),
        sample_rate_s=args.rate_s,
    )
    app = MaintenanceApp(settings=MaintenanceSettings(rounds=args.rounds))
    try:
        fit = app.fit(history, model, until=trained.end_us)
        report: dict[str, Any] = {
            "version": fit.version,
            "metrics": dict(fit.metrics),
            "notes": list(fit.notes),
        }
        version = fit.version
    except InsufficientHistoryError as exc:
        # A short history: the app plans from its reliability prior, as it would on a plant
        # this young, and the report says so.
        report = {"version": None, "metrics": {}, "notes": [str(exc)]}
        version = "prior"
    history.close()
    _APPS[template] = (app, 0)
    report["cpu_seconds"] = round(time.process_time() - started, 1)
    report["key"] = str(version)
    return report


def _entry(
    rows: list[dict[str, Any]],
    r2f: list[dict[str, Any]],
    oracle: list[dict[str, Any]],
    reference: list[dict[str, Any]] | None,
    rng: np.random.Generator,
) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    for metric in ("total_cost", "unplanned_downtime_h", "failures", "expedited", "preventive"):
        mean, low, high = ci95([r[metric] for r in rows])
        entry[metric] = {"mean": round(mean, 2), "ci95": [round(low, 2), round(high, 2)]}

    def shares(get: Callable[[dict[str, Any]], float]) -> dict[str, Any]:
        mine, zero = [get(r) for r in rows], [get(r) for r in r2f]
        out: dict[str, Any] = {}
        bounds = {"oracle": oracle, "reference": reference}
        for name, bound in bounds.items():
            if bound is None:
                continue
            point, low, high = share_ci(mine, zero, [get(r) for r in bound], rng)
            out[f"share_of_{name}_saving"] = {
                "point": _round(point),
                "ci95": [_round(low), _round(high)],
            }
        saving, s_low, s_high = ci95([z - m for z, m in zip(zero, mine, strict=True)])
        out["saving_over_run_to_failure"] = {
            "mean": round(saving, 1),
            "ci95": [round(s_low, 1), round(s_high, 1)],
        }
        return out

    entry["overall"] = shares(lambda r: float(r["total_cost"]))
    entry["by_kind"] = {
        kind: shares(lambda r, k=kind: float(r["cost_by_kind"].get(k, 0.0)))  # type: ignore[misc]
        for kind in KINDS
    }
    entry["total_cost_per_seed"] = [round(r["total_cost"], 1) for r in rows]
    entry["simulation_cpu_seconds"] = round(sum(r["cpu_seconds"] for r in rows), 1)
    return entry


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)


def table(
    template: str,
    policies: Sequence[str],
    tuned: dict[tuple[str, str], dict[str, Any]],
    done: dict[Job, dict[str, Any]],
    *,
    seeds: Sequence[int],
    days: float,
    rate_s: float,
) -> dict[str, Any]:
    """Assemble one template's table from the runs."""
    rng = np.random.default_rng(0)

    def value_of(policy: str) -> float:
        found = tuned.get((template, policy))
        return math.nan if found is None else float(found["best"])

    per = {p: [done[(template, p, value_of(p), s, days, rate_s)] for s in seeds] for p in policies}
    reference = per.get("true_health")
    result = {
        p: _entry(per[p], per["run_to_failure"], per["oracle"], reference, rng) for p in policies
    }
    totals = {p: [r["total_cost"] for r in rows] for p, rows in per.items()}
    out: dict[str, Any] = {"policies": result}
    baselines = [p for p in ("run_to_failure", "fixed_interval", "condition_threshold") if p in per]
    if "andon_maintenance" in per:
        comparisons = {}
        for base in baselines:
            diff = [a - b for a, b in zip(totals["andon_maintenance"], totals[base], strict=True)]
            mean, low, high = ci95(diff)
            comparisons[base] = {
                "mean_cost_difference": round(mean, 1),
                "ci95": [round(low, 1), round(high, 1)],
                "app_better_with_ci_excluding_zero": high < 0,
            }
        best = min(baselines, key=lambda b: float(np.mean(totals[b])))
        out["app_vs_baselines"] = comparisons
        out["best_baseline"] = best
    return out


def chart(results: list[dict[str, Any]], path: Path) -> None:
    """Draw the mean cost with its interval per policy, one panel per template."""
    import matplotlib as mpl  # noqa: PLC0415  (chart only)

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4), squeeze=False)
    for ax, result in zip(axes[0], results, strict=True):
        names = list(result["policies"])
        means = [result["policies"][n]["total_cost"]["mean"] for n in names]
        lows = [
            means[i] - result["policies"][n]["total_cost"]["ci95"][0] for i, n in enumerate(names)
        ]
        highs = [
            result["policies"][n]["total_cost"]["ci95"][1] - means[i] for i, n in enumerate(names)
        ]
        ax.bar(range(len(names)), means, yerr=[lows, highs], capsize=4, color="#4a7ab0")
        ax.set_xticks(range(len(names)), [n.replace("_", "\n") for n in names], fontsize=8)
        ax.set_title(f"{result['template']}: {result['seeds']} seeds x {result['days']} days")
        ax.set_ylabel("maintenance cost (mean, 95% CI)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small plant, 2 seeds, few days")
    parser.add_argument("--templates", default="discrete,smt")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--tuning-seeds", type=int, default=3)
    parser.add_argument("--days", type=float, default=90.0)
    parser.add_argument("--history-days", type=float, default=180.0)
    parser.add_argument("--history-seed", type=int, default=5_000)
    parser.add_argument("--rate-s", type=float, default=3600.0, help="sample interval, s")
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument(
        "--app-grid", default="0.5,1,2", help="life-value weights of the app tried on tuning seeds"
    )
    parser.add_argument(
        "--max-widen", type=int, default=2, help="times a grid grows past an edge it is best on"
    )
    parser.add_argument("--policies", default="", help="comma list of policies (default all)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="worker processes for the runs"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "benchmarks")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="JSON-lines file of cached runs (default: maintenance_policy_runs.jsonl in --out)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.tuning_seeds, args.days, args.history_days, args.rounds = (
            2,
            1,
            4.0,
            40.0,
            30,
        )
        args.app_grid = "1"
        args.max_widen = 0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    templates = (
        {"small": SMALL} if args.quick else {t: TEMPLATES[t] for t in args.templates.split(",")}
    )
    wanted = [p for p in POLICIES if not args.policies or p in args.policies.split(",")]
    unknown = set(args.policies.split(",")) - set(POLICIES) if args.policies else set()
    if unknown or not {"run_to_failure", "oracle"} <= set(wanted):
        msg = f"policies: run_to_failure and oracle are needed; unknown {sorted(unknown)}"
        raise SystemExit(msg)
    absent = [
        f"{n}: no template at {p.relative_to(ROOT)}" for n, p in templates.items() if not p.exists()
    ]
    templates = {n: p for n, p in templates.items() if p.exists()}
    if args.cache is None and not args.quick:
        args.cache = args.out / "maintenance_policy_runs.jsonl"
    load_before = os.getloadavg()
    sim_digest = _digest(ROOT / "src" / "andon" / "sim", ROOT / "src" / "andon" / "model")
    app_digest = _digest(ROOT / "src" / "andon" / "apps" / "maintenance")
    keys: dict[str, str] = {}
    fits: dict[str, dict[str, Any]] = {}
    for name, path in templates.items():
        model = load_model(path)
        _MODELS[name] = model
        files = b"".join(Path(f).read_bytes() for f in sorted(model.files))
        keys[name] = f"{name}|model={hashlib.sha256(files).hexdigest()[:16]}|sim={sim_digest}"
        if "andon_maintenance" in wanted:
            fits[name] = fit_app(name, args)
            keys[f"{name}:app"] = (
                f"{keys[name]}|app={app_digest}|fit={fits[name]['key']}"
                f"|history={args.history_days:g}:{args.history_seed}|rounds={args.rounds}"
            )
    fit_cpu = time.process_time() - cpu0
    setup = {
        "paths": {name: str(path) for name, path in templates.items()},
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    runner = Runner(
        workers=args.workers, cache=RunCache(args.cache), keys=keys, rounds=args.rounds, setup=setup
    )
    grids = {**GRIDS, "andon_maintenance": [float(v) for v in args.app_grid.split(",")]}
    knobbed = [p for p in wanted if p in grids]
    tuning_seeds = [10_000 + i for i in range(args.tuning_seeds)]
    seeds = list(range(1, args.seeds + 1))
    common = {"days": args.days, "rate_s": args.rate_s}
    try:
        tuned = tune_all(
            runner,
            list(templates),
            knobbed,
            grids,
            seeds=tuning_seeds,
            max_widen=args.max_widen,
            **common,
        )
        jobs = [
            (
                t,
                p,
                tuned[(t, p)]["best"] if (t, p) in tuned else math.nan,
                s,
                args.days,
                args.rate_s,
            )
            for t in templates
            for p in wanted
            for s in seeds
        ]
        done = runner.run(jobs)
    finally:
        runner.close()
    results = []
    for name in templates:
        entry = {
            "template": name,
            "equipment": len(_MODELS[name].equipment),
            "seeds": len(seeds),
            "days": args.days,
            "history_days": args.history_days,
            "fit": fits.get(name, {}),
            "tuned": {p: tuned[(name, p)] for p in knobbed},
            "tuning_seeds": tuning_seeds,
            "evaluation_seeds": seeds,
            **table(name, wanted, tuned, done, seeds=seeds, **common),
        }
        results.append(entry)
    wall = time.perf_counter() - wall0
    main_cpu = time.process_time() - cpu0
    report = {
        "benchmark": "maintenance_policy",
        "command": " ".join(
            ["python", "benchmarks/maintenance_policy.py", *(argv or sys.argv[1:])]
        ),
        "quick": args.quick,
        "results": results,
        "absent": absent,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": {
            "main": round(main_cpu, 1),
            "app_fits": round(fit_cpu, 1),
            "workers": round(runner.worker_cpu_s, 1),
            "total": round(main_cpu + runner.worker_cpu_s, 1),
        },
        "runs_simulated": runner.runs,
        "runs_from_cache": runner.cache.hits,
        "workers": args.workers,
        "load_average_1m": {"start": round(load_before[0], 2), "end": round(os.getloadavg()[0], 2)},
        "cpus": os.cpu_count(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    (args.out / f"maintenance_policy{suffix}.json").write_text(json.dumps(report, indent=2))
    if results:
        chart(results, args.out / f"maintenance_policy{suffix}.png")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
