"""Engineering change impact against a simulation's ground truth (issue 20 target: recall
at least 0.95 and precision at least 0.8 of the affected lines, lots and tests).

The simulator runs examples/smt (Voltec Boards, two SMT lines, two products) for
``--days`` days into a DuckDB store through the contracts. For each change below,
:func:`andon.change.impact` predicts from the model and the store which lines, lots and
checks (product, parameter, cell) the change touches; the truth is read independently from
the simulated unit records themselves (no model walk): for a station change, the lines and
lots of the units that actually passed the station and the parameters actually measured
there; for a limit change, the lines and lots of the units on which the parameter was
actually measured, and the cells where it was. Cycle times are not checks and are left out.

The baseline, measured in the same run, is the whole plant: every line that makes the
product(s), every lot, every spec limit of the product(s): what a reviewer flags when
nobody can tell which part of the plant a change reaches.

Printed as JSON: per change and per kind of item, recall and precision of andon and of the
baseline, the micro average over the changes, and wall and CPU seconds of the impact walks
and of the simulation.

Usage: python benchmarks/change_impact.py [--days 3] [--seed 7]
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

from andon.change import impact, parse_request
from andon.model import load_model
from andon.records import RecordKind
from andon.sim import simulate
from andon.sim.sinks import PipelineSink
from andon.store import DuckDBStore

ROOT = Path(__file__).resolve().parents[1]
SMT = ROOT / "examples" / "smt"
S1, S2 = "voltec/dresden/smt/s1", "voltec/dresden/smt/s2"

CHANGES: list[dict[str, Any]] = [
    {"kind": "firmware", "station": f"{S1}/reflow/oven1", "version": "4.2.0"},
    {"kind": "firmware", "station": f"{S2}/placement/placer1", "version": "11.0"},
    {"kind": "firmware", "station": f"{S2}/aoi/aoi1", "version": "3.1"},
    {"kind": "parameter_limit", "product": "PCB-CTRL", "parameter": "solder_volume", "lsl": 80},
    {"kind": "parameter_limit", "product": "PCB-PWR", "parameter": "peak_temperature", "usl": 258},
    {"kind": "parameter_limit", "product": "PCB-CTRL", "parameter": "paste_height", "lsl": 105},
]
KINDS = ("lines", "lots", "tests")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _line(path: str) -> str:
    return "/".join(path.split("/")[:4])


def _cell(path: str) -> str:
    return path.split("/")[4]


def _truth(change: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, set[Any]]:
    """What the simulated records say the change reached, read from the records alone."""
    lines: set[str] = set()
    lots: set[str] = set()
    tests: set[tuple[str, str, str]] = set()
    for row in rows:
        if change["kind"] == "firmware":
            if row["path"] != change["station"]:
                continue
        elif row["product"] != change["product"] or row["parameter"] != change["parameter"]:
            continue
        lines.add(_line(row["path"]))
        if row["lot"]:
            lots.add(row["lot"])
        if row["parameter"] != "cycle_time_s":
            tests.add((row["product"], row["parameter"], _cell(row["path"])))
    return {"lines": lines, "lots": lots, "tests": tests}


def _predicted(found: Any) -> dict[str, set[Any]]:
    return {
        "lines": set(found.lines),
        "lots": set(found.lots),
        "tests": {(t.product, t.parameter, t.cell) for t in found.tests},
    }


def _baseline(
    change: dict[str, Any], model: Any, rows: list[dict[str, Any]]
) -> dict[str, set[Any]]:
    products = {change["product"]} if "product" in change else set(model.products)
    lines = {f"{model.root}/{r.line}" for p in products for r in model.products[p].routings}
    tests = {(p, s.parameter, s.cell) for p in products for s in model.products[p].spec_limits}
    lots = {r["lot"] for r in rows if r["lot"] and r["product"] in products}
    return {"lines": lines, "lots": lots, "tests": tests}


def _score(predicted: set[Any], truth: set[Any]) -> dict[str, Any]:
    hit = len(predicted & truth)
    return {
        "truth": len(truth),
        "predicted": len(predicted),
        "recall": round(hit / len(truth), 4) if truth else None,
        "precision": round(hit / len(predicted), 4) if predicted else None,
        "_hit": hit,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    model = load_model(SMT)
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBStore(Path(tmp) / "smt.duckdb")
        wall, cpu = time.perf_counter(), _cpu()
        simulate(
            model,
            days=args.days,
            seed=args.seed,
            sink=PipelineSink.into(store, model=model),
            sample_rate_s=600,
        )
        sim = {"wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(_cpu() - cpu, 3)}
        rows = store.records(RecordKind.UNIT).to_pylist()
        results = []
        totals = {
            who: {k: {"hit": 0, "truth": 0, "predicted": 0} for k in KINDS}
            for who in ("andon", "baseline")
        }
        walk_wall = walk_cpu = 0.0
        for change in CHANGES:
            wall, cpu = time.perf_counter(), _cpu()
            found = impact(parse_request(change, model), model, store)
            walk_wall += time.perf_counter() - wall
            walk_cpu += _cpu() - cpu
            truth = _truth(change, rows)
            entry: dict[str, Any] = {"change": change}
            for who, guess in (
                ("andon", _predicted(found)),
                ("baseline", _baseline(change, model, rows)),
            ):
                scores = {k: _score(guess[k], truth[k]) for k in KINDS}
                for k in KINDS:
                    for field in ("truth", "predicted"):
                        totals[who][k][field] += scores[k][field]
                    totals[who][k]["hit"] += scores[k].pop("_hit")
                entry[who] = scores
            results.append(entry)
        store.close()
    micro = {
        who: {
            k: {
                "recall": round(t["hit"] / t["truth"], 4) if t["truth"] else None,
                "precision": round(t["hit"] / t["predicted"], 4) if t["predicted"] else None,
            }
            for k, t in kinds.items()
        }
        for who, kinds in totals.items()
    }
    target = all(
        (v["recall"] or 0) >= 0.95 and (v["precision"] or 0) >= 0.8 for v in micro["andon"].values()
    )
    print(
        json.dumps(
            {
                "benchmark": "change_impact",
                "model": "examples/smt",
                "days": args.days,
                "seed": args.seed,
                "units": len({r["serial"] for r in rows}),
                "micro": micro,
                "target_met": target,
                "impact_walks": {"wall_s": round(walk_wall, 4), "cpu_s": round(walk_cpu, 4)},
                "simulation": sim,
                "changes": results,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
