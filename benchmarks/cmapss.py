"""Remaining useful life on NASA C-MAPSS (Saxena et al., PHM08) with andon's own risk model.

Trains :class:`andon.apps.maintenance.RiskModel` (the very feature builder and model class the
maintenance app fits on plant history) on each ``train_FD00x`` file, predicts the RUL at the
last cycle of every test unit, and scores the subsets whose true RUL is given here (FD001,
FD003) with the RMSE and the NASA asymmetric score (late predictions cost more). Beside it,
in the same run, a simple published-style baseline: a linear regression on the current sensor
values with the same piecewise-linear target.

The RUL cap is 125 cycles (the usual piecewise-linear target, Heimes 2008); the RMSE is given
against the true RUL capped at 125 (as in most deep-learning papers) and uncapped.

Data: ``../shared/data/cmapss/`` relative to the repository root (gzip text files as NASA
ships them). Without it the script says so and exits 0. Predictions of every test unit of
FD001-FD004 go to ``artifacts/benchmarks/cmapss_predictions.csv``.

    python benchmarks/cmapss.py            # all four subsets
    python benchmarks/cmapss.py --quick    # FD001 on a fifth of the training units, fewer rounds
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from andon.apps.maintenance.features import FeatureSpec
from andon.apps.maintenance.risk import RiskModel

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "cmapss"
CAP = 125.0
SENSORS = tuple(f"s{i}" for i in range(1, 22))
SETTINGS = ("op1", "op2", "op3")
MULTI_REGIME = {"FD002", "FD004"}


def load(path: Path) -> np.ndarray:
    with gzip.open(path, "rt") as handle:
        return np.loadtxt(handle, dtype=np.float64)


def frame_of(raw: np.ndarray, subset: str) -> pl.DataFrame:
    columns = {
        "unit": [f"{subset}-{int(u)}" for u in raw[:, 0]],
        "cycle": raw[:, 1],
        **{name: raw[:, 2 + i] for i, name in enumerate(SETTINGS)},
        **{name: raw[:, 5 + i] for i, name in enumerate(SENSORS)},
    }
    return pl.DataFrame(columns)


def with_rul(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns((pl.col("cycle").max().over("unit") - pl.col("cycle")).alias("rul"))


def spec_for(subset: str) -> FeatureSpec:
    return FeatureSpec(
        signals=SENSORS,
        windows=(5, 10, 20, 30),
        unit_column="unit",
        time_column="cycle",
        age_column="cycle",
        regime_columns=SETTINGS if subset in MULTI_REGIME else (),
    )


def nasa_score(predicted: np.ndarray, actual: np.ndarray) -> float:
    """PHM08 scoring function: exp(-d/13)-1 for early, exp(d/10)-1 for late predictions."""
    d = predicted - actual
    return float(np.sum(np.where(d < 0, np.exp(-d / 13.0) - 1.0, np.exp(d / 10.0) - 1.0)))


def rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.sqrt(np.mean((predicted - actual) ** 2)))


def linear_baseline(train: pl.DataFrame, test_last: pl.DataFrame) -> np.ndarray:
    """Least squares on the current sensor values, target capped at 125 (a common baseline)."""
    usable = [s for s in SENSORS if float(train[s].std() or 0.0) > 1e-6]
    x = train.select(usable).to_numpy()
    mean, std = x.mean(axis=0), x.std(axis=0)
    design = np.column_stack([np.ones(len(x)), (x - mean) / std])
    target = np.minimum(train["rul"].to_numpy(), CAP)
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    xt = (test_last.select(usable).to_numpy() - mean) / std
    return np.asarray(np.clip(np.column_stack([np.ones(len(xt)), xt]) @ coef, 0, CAP))


def run_subset(
    data: Path, subset: str, *, quick: bool, seed: int, threads: int
) -> tuple[dict[str, object], list[list[object]]]:
    train = with_rul(frame_of(load(data / f"train_{subset}.txt.gz"), subset))
    test = frame_of(load(data / f"test_{subset}.txt.gz"), subset)
    if quick:
        keep = sorted(set(train["unit"].to_list()))[::5]
        train = train.filter(pl.col("unit").is_in(keep))
    spec = spec_for(subset)
    started = time.perf_counter()
    cpu_started = time.process_time()
    model = RiskModel.fit(
        train,
        spec,
        rul_column="rul",
        cap=CAP,
        horizon=30.0,
        rounds=80 if quick else 600,
        learning_rate=0.08 if quick else 0.03,
        seed=seed,
        threads=threads,
    )
    train_seconds = time.perf_counter() - started
    train_cpu_seconds = time.process_time() - cpu_started
    featurised = model.featurise(test)
    last = featurised.group_by("unit", maintain_order=True).tail(1)
    prediction = model.predict_features(last)
    baseline = linear_baseline(
        train, test.sort(["unit", "cycle"]).group_by("unit", maintain_order=True).tail(1)
    )
    units = last["unit"].to_list()
    rows = [
        [
            subset,
            int(u.split("-")[1]),
            int(c),
            round(float(r), 2),
            round(float(lo), 2),
            round(float(hi), 2),
            round(float(p), 4),
        ]
        for u, c, r, lo, hi, p in zip(
            units,
            last["cycle"].to_list(),
            prediction.rul,
            prediction.rul_low,
            prediction.rul_high,
            prediction.p_fail,
            strict=True,
        )
    ]
    result: dict[str, object] = {
        "subset": subset,
        "train_units": len(set(train["unit"].to_list())),
        "train_rows": train.height,
        "test_units": len(units),
        "features": len(model.features),
        "train_seconds": round(train_seconds, 2),
        "train_cpu_seconds": round(train_cpu_seconds, 2),
        "band_scale": model.band_scale,
        "band_coverage_raw_heldout_train_units": round(
            float(model.metrics.get("band_coverage_raw_heldout", float("nan"))), 3
        ),
        "model_version": model.version,
    }
    truth_file = data / f"RUL_{subset}.txt.gz"
    if truth_file.exists():
        order = np.argsort([int(u.split("-")[1]) for u in units])
        truth = load(truth_file).reshape(-1)
        predicted = prediction.rul[order]
        base = baseline[order]
        capped = np.minimum(truth, CAP)
        inside = (truth >= prediction.rul_low[order]) & (truth <= prediction.rul_high[order])
        result.update(
            {
                "rmse_capped_truth": round(rmse(predicted, capped), 3),
                "rmse_uncapped_truth": round(rmse(predicted, truth), 3),
                "nasa_score_capped_truth": round(nasa_score(predicted, capped), 1),
                "band_10_90_coverage": round(float(np.mean(inside)), 3),
                "baseline_linear_rmse_capped_truth": round(rmse(base, capped), 3),
                "baseline_linear_nasa_score_capped_truth": round(nasa_score(base, capped), 1),
            }
        )
    else:
        result["scored"] = "no true RUL here for this subset; predictions written to the CSV"
    return result, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="FD001 only, small and fast")
    parser.add_argument("--subsets", default="FD001,FD002,FD003,FD004")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads", type=int, default=1, help="LightGBM threads used in training (default 1)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "benchmarks")
    parser.add_argument("--data", type=Path, default=DATA, help="folder of the C-MAPSS files")
    args = parser.parse_args(argv)
    if not (args.data / "train_FD001.txt.gz").exists():
        print(json.dumps({"skipped": f"NASA C-MAPSS not found at {args.data}"}))
        return 0
    subsets = ["FD001"] if args.quick else args.subsets.split(",")
    results = []
    rows: list[list[object]] = []
    total = time.perf_counter()
    for subset in subsets:
        result, subset_rows = run_subset(
            args.data, subset, quick=args.quick, seed=args.seed, threads=args.threads
        )
        results.append(result)
        rows += subset_rows
    args.out.mkdir(parents=True, exist_ok=True)
    csv_path = args.out / (
        "cmapss_predictions_quick.csv" if args.quick else "cmapss_predictions.csv"
    )
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subset", "unit", "last_cycle", "rul", "rul_p10", "rul_p90", "p_fail_30"])
        writer.writerows(rows)
    report = {
        "benchmark": "cmapss",
        "model": "andon.apps.maintenance.RiskModel (LightGBM, rolling condition features)",
        "rul_cap": CAP,
        "quick": args.quick,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "subsets": results,
        "total_seconds": round(time.perf_counter() - total, 2),
        "predictions_csv": str(csv_path),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
