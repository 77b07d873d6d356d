"""ICON Challenge 2014 energy-cost aware scheduling (CSPLib prob059), every leaderboard instance.

Each instance is scheduled on the organisers' price forecast by andon's price-aware plan
(:func:`andon.apps.energy.icon.price_aware`) and by the named baseline, as soon as possible
(:func:`andon.apps.energy.icon.asap`); both are checked against the formal model's
constraints and costed with the actual price (the challenge's cost function, implemented from
its formal description). The data give no best or reference cost per instance, and no
optimum is proven here (an instance has about 200 tasks on 10 to 25 machines over 288
periods), so the comparison is with the baseline. Prints JSON with wall and CPU seconds.

Data: ../shared/data/icon2014/leaderboard (read from the repository root).
Usage: python benchmarks/energy_icon.py [--limit N] [--max-tasks N]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from andon.apps.energy.icon import (
    Schedule,
    asap,
    check,
    cost,
    price_aware,
    read_instance,
    read_prices,
)

DATA = Path("../shared/data/icon2014/leaderboard")


def _timed(plan: Callable[[], Schedule]) -> tuple[Schedule, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = plan()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N instances")
    parser.add_argument(
        "--max-tasks", type=int, default=None, help="skip instances with more tasks than this"
    )
    args = parser.parse_args()
    if not DATA.is_dir():
        print(json.dumps({"error": f"{DATA} is absent: the ICON 2014 instances are needed"}))
        return 1
    names = sorted(p.name for p in DATA.iterdir() if p.is_dir())[: args.limit]
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for name in names:
        folder = DATA / name
        inst = read_instance(folder / "instance.txt")
        if args.max_tasks is not None and len(inst.tasks) > args.max_tasks:
            skipped.append(name)
            continue
        forecast = read_prices(folder / "forecast.txt")
        actual = read_prices(folder / "actual.txt")
        base, base_wall, base_cpu = _timed(partial(asap, inst))
        plan, wall, cpu = _timed(partial(price_aware, inst, forecast))
        base_problems, problems = check(inst, base), check(inst, plan)
        rows.append(
            {
                "instance": name,
                "tasks": len(inst.tasks),
                "machines": inst.machines,
                "andon_feasible": not problems,
                "andon_problems": len(problems),
                "asap_feasible": not base_problems,
                "asap_problems": len(base_problems),
                "andon_cost_actual": round(cost(inst, plan, actual), 2),
                "asap_cost_actual": round(cost(inst, base, actual), 2),
                "andon_cost_forecast": round(cost(inst, plan, forecast), 2),
                "asap_cost_forecast": round(cost(inst, base, forecast), 2),
                "andon_wall_s": round(wall, 3),
                "andon_cpu_s": round(cpu, 3),
                "asap_wall_s": round(base_wall, 3),
                "asap_cpu_s": round(base_cpu, 3),
            }
        )
    both = [r for r in rows if r["andon_feasible"] and r["asap_feasible"]]
    savings = [1 - r["andon_cost_actual"] / r["asap_cost_actual"] for r in both]
    mean = sum(savings) / len(savings) if savings else math.nan
    sd = (
        math.sqrt(sum((s - mean) ** 2 for s in savings) / (len(savings) - 1))
        if len(savings) > 1
        else math.nan
    )
    summary = {
        "benchmark": "energy_icon",
        "data": str(DATA),
        "instances": len(rows),
        "skipped_larger_than_max_tasks": skipped,
        "andon_feasible": sum(r["andon_feasible"] for r in rows),
        "asap_feasible": sum(r["asap_feasible"] for r in rows),
        "compared": len(both),
        "andon_total_actual": round(sum(r["andon_cost_actual"] for r in both), 2),
        "asap_total_actual": round(sum(r["asap_cost_actual"] for r in both), 2),
        "saving_mean": round(mean, 4),
        "saving_ci95": round(1.96 * sd / math.sqrt(len(savings)), 4) if len(savings) > 1 else None,
        "andon_better": sum(s > 0 for s in savings),
        "andon_wall_s": round(sum(r["andon_wall_s"] for r in rows), 2),
        "andon_cpu_s": round(sum(r["andon_cpu_s"] for r in rows), 2),
        "asap_wall_s": round(sum(r["asap_wall_s"] for r in rows), 2),
        "asap_cpu_s": round(sum(r["asap_cpu_s"] for r in rows), 2),
        "published_best": "not in the data: no reference cost per instance is given",
        "optimum": "not proven: no exact solve of these instance sizes was attempted",
        "rows": rows,
    }
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
