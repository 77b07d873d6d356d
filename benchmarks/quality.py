"""Latent defects caught at a 5 % extra-test budget on the simulated SMT plant, per policy.

Protocol, per seed: simulate ``--days`` of ``examples/smt`` through the contracts into an
in-memory DuckDB store; fit the quality app on every day but the last ``--test-days``;
then score the units of those last days that passed their test (``QualityApp.score``) and
give each policy the same extra-test budget, ``--budget`` of those units:

* ``app``: the app's own decisions (extra test, under the station's capacity and its cost
  rule; it may use less than the budget where a test does not pay);
* ``app_ranked``: the budget spent on the app's highest risks (the ranking alone);
* ``spc``: Western Electric run rules on every station parameter (individuals chart per
  line, product mean and sigma from the fit days: Phase I), a flagged unit tested, by
  largest deviation first when the flags exceed the budget;
* ``random``: the budget drawn at random;
* ``oracle``: the budget spent on the true latent defects.

Reported per policy: the share of latent defects caught, the share of the interaction-
caused latent defects caught, and the cost (escape cost of the defects missed plus the
cost of the tests, with the app's per-product economics); and the PR-AUC of the app's unit
risk against the true latent defects. Means over seeds with 95 % bootstrap intervals over
seeds. The simulator is not tuned to the targets (>= 80 % caught, >= 2x SPC, PR-AUC >= 0.8).

    .venv/bin/python benchmarks/quality.py --seeds 3
    .venv/bin/python benchmarks/quality.py --quick
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from andon.apps.quality import QualityApp, QualitySettings
from andon.apps.quality.risk import average_precision
from andon.apps.quality.spc import WESTERN_ELECTRIC, run_rules
from andon.model import Model, load_model
from andon.sim import simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore
from andon.time import DAY_US

ROOT = Path(__file__).resolve().parents[1]
SMT = ROOT / "examples" / "smt"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _spc_pick(frame: pl.DataFrame, k: int) -> np.ndarray:
    """Indices of the units Western Electric rules flag (per line, in time order)."""
    zcols = [c for c in frame.columns if c.startswith("z:")]
    flagged = np.zeros(frame.height, dtype=bool)
    worst = np.zeros(frame.height)
    indexed = frame.with_row_index("__i")
    for (_line, _product), group in indexed.group_by(["line", "product"], maintain_order=True):
        g = group.sort(["first_us", "serial"])
        idx = g.get_column("__i").to_numpy()
        for col in zcols:
            z = g.get_column(col).cast(pl.Float64).fill_null(np.nan).to_numpy()
            if not np.isfinite(z).any():
                continue
            flags = run_rules(z, centre=0.0, sigma=1.0, rules=WESTERN_ELECTRIC).flags.any(axis=0)
            flagged[idx] |= flags
            worst[idx] = np.fmax(worst[idx], np.where(flags, np.abs(z), 0.0))
    chosen = np.flatnonzero(flagged)
    order = chosen[np.argsort(-worst[chosen], kind="stable")]
    return order[:k]


def _policy(
    picked: np.ndarray, latent: np.ndarray, interaction: np.ndarray, frame: pl.DataFrame
) -> dict[str, float]:
    mask = np.zeros(len(latent), dtype=bool)
    mask[picked] = True
    escape = frame.get_column("escape_cost").to_numpy()
    test = frame.get_column("test_cost").to_numpy()
    cost = float((escape * (latent & ~mask)).sum() + (test * mask).sum())
    return {
        "caught": float((latent & mask).sum() / max(latent.sum(), 1)),
        "interaction_caught": float((interaction & mask).sum() / max(interaction.sum(), 1)),
        "tested": float(mask.sum()),
        "cost": cost,
    }


def run_seed(
    model: Model, *, seed: int, days: float, test_days: float, budget: float
) -> dict[str, Any]:
    """Simulate one seed and score every policy on its last ``test_days``."""
    store = DuckDBStore(None)
    try:
        t0, c0 = time.perf_counter(), _cpu()
        result = simulate(model, days=days, seed=seed, sink=PipelineSink.into(store, model=model))
        sim_s = time.perf_counter() - t0
        app = QualityApp(
            settings=QualitySettings(propose_window_h=24.0 * test_days, test_budget=budget)
        )
        decide_at = result.end_us
        t1, c1 = time.perf_counter(), _cpu()
        report = app.fit(store, model, until=decide_at - round(test_days * DAY_US))
        scored = app.score(store, model, now=decide_at)
        fit_s, fit_cpu = time.perf_counter() - t1, _cpu() - c1
        assert scored is not None
        frame = scored.frame
        truth = pl.from_arrow(store.read_table("truth_units"))
        assert isinstance(truth, pl.DataFrame)
        joined = frame.join(truth.select("serial", "latent", "cause"), on="serial", how="left")
        latent = joined.get_column("latent").fill_null(value=False).to_numpy().astype(bool)
        interaction = latent & (
            joined.get_column("cause").fill_null("").to_numpy() == "interaction"
        )
        k = math.floor(budget * frame.height)
        p = frame.get_column("p").to_numpy()
        rng = np.random.default_rng(seed)
        picks = {
            "app": np.flatnonzero(frame.get_column("decision").to_numpy() == "extra_test"),
            "app_ranked": np.argsort(-p, kind="stable")[:k],
            "spc": _spc_pick(frame, k),
            "random": rng.choice(frame.height, size=k, replace=False),
            "oracle": np.flatnonzero(latent)[:k],
        }
        return {
            "seed": seed,
            "units": frame.height,
            "latent": int(latent.sum()),
            "interaction_latent": int(interaction.sum()),
            "budget_units": k,
            "pr_auc": average_precision(p, latent),
            "fit_metrics": dict(report.metrics),
            "policies": {
                name: _policy(idx, latent, interaction, frame) for name, idx in picks.items()
            },
            "sim_wall_s": sim_s,
            "fit_score_wall_s": fit_s,
            "fit_score_cpu_s": fit_cpu,
            "cpu_s_total": _cpu() - c0,
        }
    finally:
        store.close()


def _ci(values: list[float], rng: np.random.Generator) -> dict[str, float]:
    arr = np.array([v for v in values if math.isfinite(v)])
    if arr.size == 0:
        return {"mean": float("nan"), "low": float("nan"), "high": float("nan")}
    boot = rng.choice(arr, size=(2000, arr.size), replace=True).mean(axis=1)
    return {
        "mean": float(arr.mean()),
        "low": float(np.quantile(boot, 0.025)),
        "high": float(np.quantile(boot, 0.975)),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--test-days", type=float, default=7.0)
    parser.add_argument("--budget", type=float, default=0.05)
    parser.add_argument("--quick", action="store_true", help="1 seed of 10 days, 3 test days")
    args = parser.parse_args(argv)
    seeds, days, test_days = args.seeds, args.days, args.test_days
    if args.quick:
        seeds, days, test_days = 1, 10.0, 3.0
    model = load_model(SMT)
    wall0, cpu0 = time.perf_counter(), _cpu()
    runs = [
        run_seed(model, seed=s, days=days, test_days=test_days, budget=args.budget)
        for s in range(seeds)
    ]
    rng = np.random.default_rng(0)
    names = list(runs[0]["policies"])
    summary = {
        name: {
            metric: _ci([r["policies"][name][metric] for r in runs], rng)
            for metric in ("caught", "interaction_caught", "cost", "tested")
        }
        for name in names
    }
    spc = summary["spc"]["caught"]["mean"]
    app = summary["app"]["caught"]["mean"]
    out = {
        "benchmark": "quality",
        "plant": "examples/smt",
        "seeds": seeds,
        "days": days,
        "test_days": test_days,
        "budget": args.budget,
        "pr_auc": _ci([r["pr_auc"] for r in runs], rng),
        "policies": summary,
        "app_over_spc": app / spc if spc > 0 else None,
        "targets": {"caught": 0.8, "app_over_spc": 2.0, "pr_auc": 0.8},
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": _cpu() - cpu0,
        "runs": runs,
    }
    json.dump(out, sys.stdout, indent=2, default=float)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
