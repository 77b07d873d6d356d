"""Latent defects caught at a 5 % extra-test budget on the simulated SMT plant, per policy.

Protocol, per seed: simulate ``--days`` of ``examples/smt`` through the contracts into an
in-memory DuckDB store; fit the quality app on every day but the last ``--test-days``;
then score the units of those last days that passed their test (``QualityApp.score``) and
give each policy the same extra-test budget, ``--budget`` of those units:

* ``app``: the app's own decisions (extra test, under the station's capacity: a test in the
  set-aside capacity costs what one more test consumes, so the budget goes to the highest
  risks while a test pays for its slot);
* ``app_ranked``: the budget spent on the app's highest risks (the ranking alone);
* ``spc``: Western Electric run rules on every station parameter (individuals chart per
  line, product mean and sigma from the fit days: Phase I), a flagged unit tested, by
  largest deviation first when the flags exceed the budget;
* ``random``: the budget drawn at random;
* ``true_state``: a reference that knows the simulator's hidden present state but not the
  outcomes: each unit's chance of a defect from the scenario's mechanism, the true health
  of the downstream machine and the true upstream deviation, updated by the true
  distributions of the final test's values (the night-shift factor is left out: the SMT
  site has no night shift); the ceiling of any policy that reads the plant;
* ``oracle``: the budget spent on the true latent defects.

Reported per policy: the share of latent defects caught, the share of the interaction-
caused latent defects caught, and the cost (escape cost of the defects missed plus the
cost of the tests, with the app's per-product economics); and the PR-AUC of the app's unit
risk against the true latent defects. Means over seeds with 95 % bootstrap intervals over
seeds. The simulator is not tuned to the targets (>= 80 % caught, >= 2x SPC, PR-AUC >= 0.8).

With ``--batch``, the batch template (``examples/batch``) instead: per seed, simulate
``--days`` of the resin plant, withhold the lab results of the last ``--test-days`` (the
simulator records an assay the moment the batch leaves the dryer; a plant's lab takes
hours), fit on the days before them and decide at the end: the batches inside their
product's normal region are proposed for real-time release. Reported: the batches judged,
the share released before the lab, the lab's failures among the released and among those
left to wait, and the confidence stated against the share of released batches the lab
passed (Jeffreys' intervals are not needed to read these: the counts are given).

    .venv/bin/python benchmarks/quality.py --seeds 3
    .venv/bin/python benchmarks/quality.py --quick
    .venv/bin/python benchmarks/quality.py --batch --seeds 10 --first-seed 10 --days 90
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
from andon.records import RecordKind
from andon.sim import find_scenario, load_scenario, simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore
from andon.time import DAY_US

ROOT = Path(__file__).resolve().parents[1]
SMT = ROOT / "examples" / "smt"
BATCH = ROOT / "examples" / "batch"


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
        # a seed without interaction-caused latent defects says nothing of catching them
        "interaction_caught": float((interaction & mask).sum() / interaction.sum())
        if interaction.any()
        else float("nan"),
        "tested": float(mask.sum()),
        "cost": cost,
    }


def _true_state(model: Model, store: DuckDBStore, frame: pl.DataFrame) -> np.ndarray:
    """P(latent defect) of each unit from the simulator's hidden state (see the docstring)."""
    scenario = load_scenario(find_scenario(model), model=model)
    health = pl.from_arrow(store.read_table("truth_health"))
    assert isinstance(health, pl.DataFrame)
    hourly = health.group_by(["equipment", pl.col("ts").dt.epoch("us").alias("hr")]).agg(
        pl.col("health").max()
    )
    base = np.full(frame.height, 0.0)
    for site in model.sites:
        practice = scenario.practices.get(site.split("/")[-1])
        rate = practice.defect_base_rate if practice else 0.004
        base = np.where(frame.get_column("line").str.starts_with(site + "/").to_numpy(), rate, base)
    p = base.copy()
    for product_id, mech in scenario.defects.items():
        spec = next(
            s
            for s in model.products[product_id].spec_limits
            if s.cell == mech.upstream_cell and s.parameter == mech.upstream_parameter
        )
        assert spec.lsl is not None
        assert spec.usl is not None
        target = spec.target if spec.target is not None else (spec.lsl + spec.usl) / 2
        records = pl.from_arrow(store.records(RecordKind.UNIT))
        assert isinstance(records, pl.DataFrame)
        units = records.filter(pl.col("product") == product_id).select(
            "serial", "path", pl.col("ts").dt.epoch("us").alias("ts_us"), "parameter", "value"
        )
        units = units.with_columns(pl.col("path").str.split("/").list.get(4).alias("cell"))
        up = units.filter(
            (pl.col("cell") == mech.upstream_cell)
            & (pl.col("parameter") == mech.upstream_parameter)
        ).select("serial", ((pl.col("value") - target) / ((spec.usl - spec.lsl) / 8)).alias("z"))
        down = (
            units.filter(pl.col("cell") == mech.downstream_cell)
            .group_by("serial")
            .agg(pl.col("path").first().alias("equipment"), pl.col("ts_us").min())
            .with_columns((pl.col("ts_us") // 3_600_000_000 * 3_600_000_000).alias("hr"))
            .join(hourly, on=["equipment", "hr"], how="left")
        )
        joined = (
            frame.select("serial")
            .join(up, on="serial", how="left")
            .join(down.select("serial", "health"), on="serial", how="left")
        )
        z = joined.get_column("z").fill_null(0.0).to_numpy()
        h = joined.get_column("health").fill_null(0.0).to_numpy()
        mine = frame.get_column("product").to_numpy() == product_id
        mech_p = mech.strength / (1 + np.exp(-6 * (np.abs(z) - mech.z0))) * h**4
        p = np.where(mine, p + mech_p, p)
    value = frame.get_column("test_value").cast(pl.Float64).fill_null(np.nan).to_numpy()
    sd_d = math.sqrt(1 + 0.8**2)
    ratio = np.where(
        np.isfinite(value),
        np.exp(-0.5 * ((value - 2.5) / sd_d) ** 2 + 0.5 * value**2) / sd_d,
        1.0,
    )
    odds = np.clip(p, 1e-9, 1 - 1e-9) / (1 - np.clip(p, 1e-9, 1 - 1e-9)) * ratio
    return np.asarray(odds / (1 + odds), dtype=np.float64)


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
        reference = _true_state(model, store, frame)
        picks = {
            "app": np.flatnonzero(frame.get_column("decision").to_numpy() == "extra_test"),
            "app_ranked": np.argsort(-p, kind="stable")[:k],
            "spc": _spc_pick(frame, k),
            "random": rng.choice(frame.height, size=k, replace=False),
            "true_state": np.argsort(-reference, kind="stable")[:k],
            "oracle": np.flatnonzero(latent)[:k],
        }
        return {
            "seed": seed,
            "units": frame.height,
            "latent": int(latent.sum()),
            "interaction_latent": int(interaction.sum()),
            "budget_units": k,
            "pr_auc": average_precision(p, latent),
            "pr_auc_true_state": average_precision(reference, latent),
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


def run_batch_seed(model: Model, *, seed: int, days: float, test_days: float) -> dict[str, Any]:
    """Simulate the batch template, withhold the last labs, propose releases before them."""
    full = DuckDBStore(None)
    store = DuckDBStore(None)
    try:
        t0, c0 = time.perf_counter(), _cpu()
        result = simulate(model, days=days, seed=seed, sink=PipelineSink.into(full, model=model))
        cut = result.end_us - round(test_days * DAY_US)
        labs = pl.DataFrame()
        for kind in RecordKind:
            table = full.records(kind)
            if table.num_rows == 0:
                continue
            if kind is RecordKind.INSPECTION:
                frame = pl.from_arrow(table)
                assert isinstance(frame, pl.DataFrame)
                late = frame.get_column("ts").dt.epoch("us") >= cut
                labs = frame.filter(late)
                table = frame.filter(~late).to_arrow()
            store.write(kind, table, batch_id=f"copy:{kind.value}")
        app = QualityApp(settings=QualitySettings(propose_window_h=24.0 * test_days))
        t1, c1 = time.perf_counter(), _cpu()
        report = app.fit(store, model, until=cut)
        proposals = app.propose(store, model, now=result.end_us)
        waiting = app.batches_awaiting_lab(store, model, now=result.end_us)
        decide_s, decide_cpu = time.perf_counter() - t1, _cpu() - c1
        released = {p.action.units[0]: p.confidence for p in proposals}
        serials = labs.get_column("serial").to_list() if labs.height else []
        passed = (
            dict(zip(serials, labs.get_column("passed").to_list(), strict=True)) if serials else {}
        )
        judged = [str(s) for s in waiting.get_column("serial").to_list()] if waiting.height else []
        held = [s for s in judged if s not in released]
        return {
            "seed": seed,
            "batches_judged": len(judged),
            "released": len(released),
            "released_failed": sum(1 for s in released if passed.get(s) is False),
            "waited": len(held),
            "waited_failed": sum(1 for s in held if passed.get(s) is False),
            "confidence_stated": float(np.mean(list(released.values()))) if released else None,
            "fit_metrics": dict(report.metrics),
            "fit_decide_wall_s": decide_s,
            "fit_decide_cpu_s": decide_cpu,
            "cpu_s_total": _cpu() - c0,
            "wall_s_total": time.perf_counter() - t0,
        }
    finally:
        store.close()
        full.close()


def _batch_main(args: argparse.Namespace) -> int:
    model = load_model(BATCH)
    wall0, cpu0 = time.perf_counter(), _cpu()
    runs = [
        run_batch_seed(model, seed=s, days=args.days, test_days=args.test_days)
        for s in range(args.first_seed, args.first_seed + args.seeds)
    ]
    judged = sum(r["batches_judged"] for r in runs)
    released = sum(r["released"] for r in runs)
    released_failed = sum(r["released_failed"] for r in runs)
    waited = sum(r["waited"] for r in runs)
    stated = [r["confidence_stated"] for r in runs if r["confidence_stated"] is not None]
    out = {
        "benchmark": "quality_batch_release",
        "plant": "examples/batch",
        "seeds": args.seeds,
        "first_seed": args.first_seed,
        "days": args.days,
        "test_days": args.test_days,
        "batches_judged": judged,
        "released_before_lab": released,
        "released_share": released / judged if judged else None,
        "released_lab_failed": released_failed,
        "released_lab_passed_share": 1 - released_failed / released if released else None,
        "waited": waited,
        "waited_lab_failed": sum(r["waited_failed"] for r in runs),
        "confidence_stated_mean": float(np.mean(stated)) if stated else None,
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": _cpu() - cpu0,
        "runs": runs,
    }
    json.dump(out, sys.stdout, indent=2, default=float)
    sys.stdout.write("\n")
    return 0


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
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--test-days", type=float, default=7.0)
    parser.add_argument("--budget", type=float, default=0.05)
    parser.add_argument("--quick", action="store_true", help="1 seed of 10 days, 3 test days")
    parser.add_argument("--batch", action="store_true", help="real-time release on examples/batch")
    args = parser.parse_args(argv)
    if args.batch:
        return _batch_main(args)
    seeds, days, test_days = args.seeds, args.days, args.test_days
    if args.quick:
        seeds, days, test_days = 1, 10.0, 3.0
    model = load_model(SMT)
    wall0, cpu0 = time.perf_counter(), _cpu()
    runs = [
        run_seed(model, seed=s, days=days, test_days=test_days, budget=args.budget)
        for s in range(args.first_seed, args.first_seed + seeds)
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
        "first_seed": args.first_seed,
        "days": days,
        "test_days": test_days,
        "budget": args.budget,
        "pr_auc": _ci([r["pr_auc"] for r in runs], rng),
        "pr_auc_true_state": _ci([r["pr_auc_true_state"] for r in runs], rng),
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
