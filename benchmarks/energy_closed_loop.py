"""Energy decisions in the closed loop: proposed, approved, carried out by the simulated plant.

On the conformance plant (tests/conformance/plant.yaml), each seed runs twice with the same
draws: without decisions (the baseline), and with the energy app fitted and proposing after
``--fit-days``, every proposal approved and carried out through the simulator executor
(``switch_off_idle`` becomes a switch-off rule). The true idle and warm-up energy of the
machines after the decision day, read from the simulator's truth, is compared; the app's
own outcome measurement is printed beside it. JSON with wall and CPU seconds.

Usage: python benchmarks/energy_closed_loop.py [--seeds 5] [--days 14] [--fit-days 7]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from andon.apps.energy import EnergyApp
from andon.model import Model, load_model
from andon.proposals import Proposal
from andon.sim import MaintenancePlan, PlantView, simulate
from andon.sim.executor import SimulatorExecutor
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore

PLANT = Path(__file__).resolve().parents[1] / "tests" / "conformance" / "plant.yaml"


@dataclass
class _Loop:
    store: DuckDBStore
    model: Model
    fit_epoch: int
    name: str = "energy-loop"
    epoch: int = 0
    executor: SimulatorExecutor = field(default_factory=SimulatorExecutor)
    proposals: list[Proposal] = field(default_factory=list)
    decided_at: int | None = None

    def decide(self, view: PlantView) -> MaintenancePlan:
        self.epoch += 1
        if self.epoch != self.fit_epoch:
            return MaintenancePlan()
        app = EnergyApp()
        app.fit(self.store, self.model, until=view.now_us)
        self.proposals = app.propose(self.store, self.model, now=view.now_us)
        self.executor.observe(view)
        for number, proposal in enumerate(self.proposals):
            self.executor.execute(decision_id=f"d{number}", action=proposal.action, now=0)
        self.decided_at = view.now_us
        return self.executor.plan(view)


def _waste_after(store: DuckDBStore, after_us: int) -> float:
    table = store.read_table("truth_energy")
    ts = pc.cast(table["ts"], "int64")
    mask = pc.and_(
        pc.is_in(table["cause"], pa.array(["idle", "starved", "warmup"])),
        pc.greater(ts, after_us),
    )
    return float(pc.sum(table.filter(mask)["kwh"]).as_py() or 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--days", type=float, default=14.0)
    parser.add_argument("--fit-days", type=int, default=7)
    args = parser.parse_args()
    model = load_model(PLANT)
    wall, cpu = time.perf_counter(), time.process_time()
    rows: list[dict[str, Any]] = []
    for seed in range(args.seeds):
        base = DuckDBStore(None)
        simulate(model, days=args.days, seed=seed, sink=PipelineSink.into(base, model=model))
        store = DuckDBStore(None)
        loop = _Loop(store=store, model=model, fit_epoch=args.fit_days)
        result = simulate(
            model,
            days=args.days,
            seed=seed,
            policy=loop,
            sink=PipelineSink.into(store, model=model),
        )
        assert loop.decided_at is not None
        before, after = _waste_after(base, loop.decided_at), _waste_after(store, loop.decided_at)
        outcomes = [
            EnergyApp().outcome(
                store, model, action=p.action, decided_at=loop.decided_at, now=result.end_us
            )
            for p in loop.proposals
        ]
        rows.append(
            {
                "seed": seed,
                "proposals": [p.action.kind for p in loop.proposals],
                "idle_warmup_kwh_without": round(before, 1),
                "idle_warmup_kwh_with": round(after, 1),
                "saving_share": round(1 - after / before, 4) if before else None,
                "outcome_successes": sum(o is not None and o.success for o in outcomes),
            }
        )
        base.close()
        store.close()
    shares = [float(r["saving_share"]) for r in rows if r["saving_share"] is not None]
    mean = sum(shares) / len(shares)
    sd = (
        math.sqrt(sum((s - mean) ** 2 for s in shares) / (len(shares) - 1))
        if len(shares) > 1
        else 0
    )
    print(
        json.dumps(
            {
                "benchmark": "energy_closed_loop",
                "plant": "tests/conformance/plant.yaml",
                "days": args.days,
                "decided_after_days": args.fit_days,
                "saving_share_mean": round(mean, 4),
                "saving_share_ci95": round(1.96 * sd / math.sqrt(len(shares)), 4),
                "wall_s": round(time.perf_counter() - wall, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
                "rows": rows,
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
