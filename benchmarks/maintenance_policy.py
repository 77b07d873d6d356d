"""Closed-loop evaluation: the maintenance app drives the simulator against baseline policies.

For each plant template, the app is fitted once on a separate history run (run-to-failure,
its own seeds), then every policy runs the same evaluation seeds:

* ``run_to_failure``: repair what breaks;
* ``fixed_interval``: preventive work after a share of the MTBF (share tuned on tuning seeds);
* ``condition_threshold``: work when a tag drifts past a threshold (threshold tuned likewise);
* ``oracle``: perfect foresight from the simulator's truth: every future failure, shocks
  included, with parts ordered ahead and expedited when a stop would cost more (a bound, not
  deployable);
* ``true_health``: the true health now and the true law of wear, but not the future (what a
  perfect condition monitor could know; its cost weight tuned on the tuning seeds), with
  parts ordered ahead and failures' parts expedited: the reference for any policy that, like
  the app, judges from condition;
* ``andon_maintenance``: this app through :class:`andon.apps.maintenance.policy.AppPolicy`,
  its one knob (the weight on the life an early renewal gives up) tuned on the same tuning
  seeds as the baselines.

Reported per policy: total maintenance cost, unplanned downtime hours, failures and parts
expedited (mean with a 95 % t-interval over seeds); the share of the oracle's saving over
run-to-failure that the policy captures (with a paired bootstrap interval over seeds); and
the app's paired cost difference against the best tuned baseline. JSON on stdout and in
``artifacts/benchmarks/maintenance_policy.json``, a PNG chart beside it.

    python benchmarks/maintenance_policy.py                 # 20 seeds, 60 days, both templates
    python benchmarks/maintenance_policy.py --quick         # small plant, 2 seeds, a few days

Cost of the evaluation: a closed-loop run is dominated by the plant simulation itself (one
SimPy event per unit and station); the condition tags are sampled hourly (``--rate-s``,
enough for wear that develops over weeks), the app is fitted once on the history run and
plans once per simulated day (the decision epoch). Runs are cached by their inputs and the
source of the simulator and the app (``--cache``), so a re-run re-simulates only what changed.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable
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


def ci95(values: list[float]) -> tuple[float, float, float]:
    a = np.asarray(values, dtype=float)
    mean = float(a.mean())
    if len(a) < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, len(a) - 1) * a.std(ddof=1) / np.sqrt(len(a)))
    return mean, mean - half, mean + half


def share_ci(
    policy: list[float], r2f: list[float], oracle: list[float], rng: np.random.Generator
) -> tuple[float, float, float]:
    """Share of the oracle's saving over run-to-failure captured, bootstrap over seeds."""
    p, r, o = (np.asarray(x, dtype=float) for x in (policy, r2f, oracle))

    def share(idx: np.ndarray) -> float:
        gap = r[idx].mean() - o[idx].mean()
        return float((r[idx].mean() - p[idx].mean()) / gap) if abs(gap) > 1e-9 else float("nan")

    point = share(np.arange(len(p)))
    boots = [share(rng.integers(0, len(p), len(p))) for _ in range(2000)]
    low, high = np.nanpercentile(boots, [2.5, 97.5])
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
    """Results of closed-loop runs on disk, keyed by everything they depend on."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.rows: dict[str, dict[str, float]] = {}
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.rows[row["key"]] = row["result"]

    hits = 0
    wait_s = 0.0
    """How long a missing run is awaited from other processes writing the same file."""

    def get(self, key: str) -> dict[str, float] | None:
        found = self.rows.get(key)
        if found is not None:
            self.hits += 1
        return found

    def wait_for(self, key: str, seconds: float) -> dict[str, float] | None:
        """Return a run that another process is computing, re-reading the file until then."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.path is not None and self.path.exists():
                for line in self.path.read_text().splitlines():
                    if line.strip():
                        row = json.loads(line)
                        self.rows.setdefault(row["key"], row["result"])
            found = self.get(key)
            if found is not None:
                return found
            time.sleep(20.0)
        return None

    def put(self, key: str, result: dict[str, float]) -> None:
        self.rows[key] = result
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as handle:
                handle.write(json.dumps({"key": key, "result": result}) + "\n")


def run(
    model: Model,
    policy: MaintenancePolicy,
    *,
    days: float,
    seed: int,
    rate_s: float,
    cache: RunCache | None = None,
    key: str | None = None,
) -> dict[str, float]:
    """Simulate one seed under one policy; return its costs (from the cache when it has them)."""
    full_key = None if key is None else f"{key}|seed={seed}|days={days:g}|rate={rate_s:g}"
    if cache is not None and full_key is not None:
        found = cache.get(full_key) or cache.wait_for(full_key, cache.wait_s)
        if found is not None:
            return found
    started = time.process_time()
    result = simulate(model, days=days, seed=seed, policy=policy, sample_rate_s=rate_s)
    m = result.maintenance
    row = {
        "total_cost": m.total,
        "unplanned_downtime_h": m.unplanned_downtime_h,
        "failures": float(m.failures),
        "expedited": float(m.expedite_count),
        "preventive": float(m.preventive_count),
        "cpu_seconds": time.process_time() - started,
    }
    if cache is not None and full_key is not None:
        cache.put(full_key, row)
    return row


def tune(
    make: Callable[[float], MaintenancePolicy],
    grid: list[float],
    model: Model,
    *,
    seeds: list[int],
    days: float,
    rate_s: float,
    cache: RunCache | None = None,
    key: str | None = None,
) -> tuple[float, dict[str, float]]:
    """Return the grid value with the least mean cost on the tuning seeds, and every score."""
    scores = {
        value: float(
            np.mean(
                [
                    run(
                        model,
                        make(value),
                        days=days,
                        seed=s,
                        rate_s=rate_s,
                        cache=cache,
                        key=None if key is None else f"{key}={value:g}",
                    )["total_cost"]
                    for s in seeds
                ]
            )
        )
        for value in grid
    }
    best = min(scores, key=lambda v: scores[v])
    return best, {str(k): round(v, 1) for k, v in scores.items()}


def evaluate(template: str, model: Model, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    cpu_started = time.process_time()
    cache = RunCache(args.cache)
    cache.wait_s = args.wait_s
    sim_digest = _digest(ROOT / "src" / "andon" / "sim", ROOT / "src" / "andon" / "model")
    app_digest = _digest(ROOT / "src" / "andon" / "apps" / "maintenance")
    model_digest = hashlib.sha256(
        b"".join(Path(f).read_bytes() for f in sorted(model.files))
    ).hexdigest()[:16]
    base_key = f"{template}|model={model_digest}|sim={sim_digest}"
    tuning_seeds = [10_000 + i for i in range(args.tuning_seeds)]
    common = {
        "seeds": tuning_seeds,
        "days": args.days,
        "rate_s": args.rate_s,
        "cache": cache,
    }
    wanted = set(args.policies.split(",")) if args.policies else set(POLICIES)
    unknown = wanted - set(POLICIES)
    if unknown:
        msg = f"unknown policies {sorted(unknown)}; known: {', '.join(POLICIES)}"
        raise SystemExit(msg)
    first, last = (
        (int(v) for v in args.seed_range.split(":")) if args.seed_range else (1, args.seeds)
    )
    seeds = list(range(first, last + 1))
    partial = wanted != set(POLICIES) or seeds != list(range(1, args.seeds + 1))
    life_factor = math.nan
    app_scores: dict[str, float] = {}
    makers: dict[str, tuple[Callable[[], MaintenancePolicy], str]] = {
        "run_to_failure": (RunToFailure, f"{base_key}|run_to_failure"),
        "oracle": (Oracle, f"{base_key}|oracle"),
    }
    # Each tuned policy: its maker from the knob's value, and the grid tried on tuning seeds.
    knobs: dict[str, tuple[Callable[[float], MaintenancePolicy], list[float]]] = {
        "fixed_interval": (lambda v: FixedInterval(fraction=v), [0.3, 0.5, 0.8]),
        "condition_threshold": (lambda v: ConditionThreshold(threshold=v), [0.1, 0.15, 0.25]),
        "true_health": (lambda v: TrueHealth(weight=v), [0.5, 1.0, 2.0]),
    }
    tuned: dict[str, tuple[float, dict[str, float]]] = {}
    for knob_policy, (knob_maker, knob_grid) in knobs.items():
        if knob_policy not in wanted:
            continue
        knob_best, knob_scores = tune(
            knob_maker,
            knob_grid,
            model,
            key=f"{base_key}|{knob_policy}",
            **common,  # type: ignore[arg-type]
        )
        tuned[knob_policy] = (knob_best, knob_scores)
        makers[knob_policy] = (
            functools.partial(knob_maker, knob_best),
            f"{base_key}|{knob_policy}={knob_best:g}",
        )
    fraction, fixed_scores = tuned.get("fixed_interval", (math.nan, {}))
    threshold, threshold_scores = tuned.get("condition_threshold", (math.nan, {}))
    true_weight, true_scores = tuned.get("true_health", (math.nan, {}))
    fit_report: dict[str, Any] = {}
    if "andon_maintenance" in wanted:
        history = DuckDBStore(None)
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
            fit_report = {
                "version": fit.version,
                "metrics": dict(fit.metrics),
                "notes": list(fit.notes),
            }
            fitted_version = fit.version
        except InsufficientHistoryError as exc:
            # A short history (--quick): the app plans from its reliability prior, as it
            # would on a plant this young, and the report says so.
            fit_report = {"version": None, "metrics": {}, "notes": [str(exc)]}
            fitted_version = "prior"
        history.close()
        app_key = f"{base_key}|app={app_digest}|fit={fitted_version}"

        def app_policy(value: float) -> MaintenancePolicy:
            tuned = app.with_settings(
                MaintenanceSettings(rounds=args.rounds, life_value_factor=value)
            )
            return AppPolicy(app=tuned)

        life_factor, app_scores = tune(
            app_policy,
            [float(v) for v in args.app_grid.split(",")],
            model,
            key=f"{app_key}|andon_maintenance",
            **common,  # type: ignore[arg-type]
        )
        makers["andon_maintenance"] = (
            lambda: app_policy(life_factor),
            f"{app_key}|andon_maintenance={life_factor:g}",
        )
    makers = {name: makers[name] for name in POLICIES if name in wanted}
    per: dict[str, list[dict[str, float]]] = {name: [] for name in makers}
    for seed in seeds:
        for name, (make, key) in makers.items():
            per[name].append(
                run(
                    model,
                    make(),
                    days=args.days,
                    seed=seed,
                    rate_s=args.rate_s,
                    cache=cache,
                    key=key,
                )
            )
    if partial:
        # This share of the runs is in the cache; a full run then assembles the table.
        return {
            "template": template,
            "partial": {"policies": sorted(wanted), "seeds": seeds},
            "cached_runs_reused": cache.hits,
            "cpu_seconds": round(time.process_time() - cpu_started, 1),
        }
    rng = np.random.default_rng(0)
    totals = {name: [r["total_cost"] for r in rows] for name, rows in per.items()}
    table: dict[str, Any] = {}
    for name, rows in per.items():
        entry: dict[str, Any] = {}
        for metric in ("total_cost", "unplanned_downtime_h", "failures", "expedited", "preventive"):
            mean, low, high = ci95([r[metric] for r in rows])
            entry[metric] = {"mean": round(mean, 2), "ci95": [round(low, 2), round(high, 2)]}
        point, low, high = share_ci(totals[name], totals["run_to_failure"], totals["oracle"], rng)
        entry["oracle_saving_share"] = {
            "point": round(point, 3),
            "ci95": [round(low, 3), round(high, 3)],
        }
        entry["total_cost_per_seed"] = [round(v, 1) for v in totals[name]]
        entry["simulation_cpu_seconds"] = round(sum(r.get("cpu_seconds", 0.0) for r in rows), 1)
        table[name] = entry
    baselines = ("run_to_failure", "fixed_interval", "condition_threshold")
    best = min(baselines, key=lambda b: float(np.mean(totals[b])))
    diff = [a - b for a, b in zip(totals["andon_maintenance"], totals[best], strict=True)]
    mean, low, high = ci95(diff)
    return {
        "template": template,
        "equipment": len(model.equipment),
        "seeds": len(seeds),
        "days": args.days,
        "history_days": args.history_days,
        "fit": fit_report,
        "tuned": {
            "fixed_interval_fraction": fraction,
            "fixed_interval_scores": fixed_scores,
            "condition_threshold": threshold,
            "condition_threshold_scores": threshold_scores,
            "true_health_weight": true_weight,
            "true_health_weight_scores": true_scores,
            "andon_life_value_factor": life_factor,
            "andon_life_value_factor_scores": app_scores,
            "tuning_seeds": tuning_seeds,
        },
        "evaluation_seeds": seeds,
        "policies": table,
        "app_vs_best_baseline": {
            "baseline": best,
            "mean_cost_difference": round(mean, 1),
            "ci95": [round(low, 1), round(high, 1)],
            "app_better_with_ci_excluding_zero": high < 0,
        },
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(time.process_time() - cpu_started, 1),
        "cached_runs_reused": cache.hits,
    }


def chart(results: list[dict[str, Any]], path: Path) -> None:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small plant, 2 seeds, few days")
    parser.add_argument("--templates", default="discrete,smt")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--tuning-seeds", type=int, default=3)
    parser.add_argument("--days", type=float, default=60.0)
    parser.add_argument("--history-days", type=float, default=180.0)
    parser.add_argument("--history-seed", type=int, default=5_000)
    parser.add_argument("--rate-s", type=float, default=3600.0, help="sample interval, s")
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument(
        "--app-grid", default="0.5,1,2", help="life-value weights of the app tried on tuning seeds"
    )
    parser.add_argument(
        "--policies",
        default="",
        help="comma list of policies to run (default all); a share only fills the cache",
    )
    parser.add_argument(
        "--seed-range",
        default="",
        help="first:last evaluation seeds to run (default 1:--seeds); a share only fills the cache",
    )
    parser.add_argument(
        "--wait-s",
        type=float,
        default=0.0,
        help="await a run missing from the cache this long (processes running shares)",
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
        templates = {"small": SMALL}
    else:
        templates = {t: TEMPLATES[t] for t in args.templates.split(",")}
    if args.cache is None and not args.quick:
        args.cache = args.out / "maintenance_policy_runs.jsonl"
    load_before = os.getloadavg()
    results: list[dict[str, Any]] = []
    absent: list[str] = []
    for name, path in templates.items():
        if not path.exists():
            absent.append(f"{name}: no template at {path.relative_to(ROOT)}")
            continue
        results.append(evaluate(name, load_model(path), args))
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if args.quick else ""
    if not args.quick and args.templates != "discrete,smt":
        suffix = "_" + args.templates.replace(",", "_")
    if args.policies or args.seed_range:
        suffix += "_share"
    report = {
        "benchmark": "maintenance_policy",
        "command": " ".join(
            ["python", "benchmarks/maintenance_policy.py", *(argv or sys.argv[1:])]
        ),
        "quick": args.quick,
        "results": results,
        "absent": absent,
        "load_average_1m": {"start": round(load_before[0], 2), "end": round(os.getloadavg()[0], 2)},
        "cpus": os.cpu_count(),
    }
    (args.out / f"maintenance_policy{suffix}.json").write_text(json.dumps(report, indent=2))
    complete = [r for r in results if "partial" not in r]
    if complete:
        chart(complete, args.out / f"maintenance_policy{suffix}.png")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
