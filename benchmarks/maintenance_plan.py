"""The maintenance plan for many assets: time to price every option and solve with CP-SAT.

Builds ``--assets`` assessed assets over the example enterprise's equipment (risk drawn at
random, seeded), prices every option and solves the plan under crew hours and parts on hand
(:func:`andon.apps.maintenance.plan.solve_plan`). Beside it, in the same run, the baseline:
each asset's cheapest option alone, ignoring shared limits (what a per-asset rule does),
with how many crew or stock limits that greedy plan breaks. Target: 1,000 assets in 10 s.

    python benchmarks/maintenance_plan.py            # 1,000 assets
    python benchmarks/maintenance_plan.py --quick    # 60 assets
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from andon.apps.maintenance import MaintenanceApp, MaintenanceSettings
from andon.apps.maintenance.criticality import criticality_of
from andon.apps.maintenance.plan import AssetRisk
from andon.model import load_model

ROOT = Path(__file__).resolve().parent.parent
NOW = 1_772_438_400_000_000  # Monday 2026-03-02 08:00 UTC


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n = 60 if args.quick else args.assets
    model = load_model(ROOT / "examples" / "discrete")
    rng = np.random.default_rng(args.seed)
    infos = [info for info in model.equipment.values() if info.equipment_class.failure_modes]
    risks: list[AssetRisk] = []
    for i in range(n):
        info = infos[i % len(infos)]
        mode = info.equipment_class.failure_modes[
            int(rng.integers(len(info.equipment_class.failure_modes)))
        ]
        p = float(rng.beta(0.6, 4.0))
        rul = float(rng.uniform(20, 600))
        risks.append(
            AssetRisk(
                subject=f"{info.path}#{i}",
                site=info.site_path,
                equipment_class=info.equipment_class.id,
                mode=mode,
                p_fail=p,
                p_low=p / 2,
                p_high=min(1.0, 1.5 * p),
                horizon_h=168.0,
                rul_h=rul,
                rul_low_h=rul / 2,
                rul_high_h=rul * 2,
                confidence=0.8,
                criticality=criticality_of(model, info),
                crew_hourly_cost=50.0,
                p_new=0.02,
            )
        )
    stock = {(site, part.id): qty for part in model.plant.parts for site, qty in part.stock.items()}
    app = MaintenanceApp(settings=MaintenanceSettings())
    started = time.perf_counter()
    result = app.plan_risks(model, risks, stock, now=NOW)
    seconds = time.perf_counter() - started
    greedy_started = time.perf_counter()
    greedy = [int(np.argmin([a.cost(i) for i in range(len(a.options))])) for a in result.assets]
    greedy_seconds = time.perf_counter() - greedy_started
    greedy_cost = sum(a.cost(g) for a, g in zip(result.assets, greedy, strict=True))
    use: dict[tuple[str, str], int] = {}
    for a, g in zip(result.assets, greedy, strict=True):
        for pid, qty in a.options[g].stock_use.items():
            key = (a.risk.site.split("/")[1], pid)
            use[key] = use.get(key, 0) + qty
    broken = sum(1 for key, qty in use.items() if qty > stock.get(key, 0))
    report = {
        "benchmark": "maintenance_plan",
        "quick": args.quick,
        "assets": n,
        "options": sum(len(a.options) for a in result.assets),
        "status": result.status,
        "plan_seconds": round(seconds, 3),
        "solver_seconds": round(result.seconds, 3),
        "expected_cost": round(result.objective, 1),
        "do_nothing_cost": round(sum(a.cost(a.do_nothing) for a in result.assets), 1),
        "interventions": sum(1 for a in result.assets if a.choice.slot is not None),
        "baseline_greedy_seconds": round(greedy_seconds, 3),
        "baseline_greedy_cost_ignoring_limits": round(greedy_cost, 1),
        "baseline_greedy_stock_limits_broken": broken,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
