"""Object-centric flow: andon against pm4py in the same run, on public logs.

Two logs from ``../shared/data`` (read by relative path from the repository root):

- the OCEL 2.0 order-management log (``ocel2/order-management.json.gz``, 21,008 events,
  10,840 objects): import of the JSON, then the object-centric directly-follows graph with
  durations (andon: :func:`andon.ocel.directly_follows` on columns, and
  :func:`andon.apps.flow.in_store.directly_follows` in SQL on an embedded DuckDB store, the
  log kept there first; pm4py: ``discover_ocdfg``);
- the BPI Challenge 2012 log (``event_logs/bpic2012.xes.gz``, XES, 262,200 events, 13,087
  cases): import, then the directly-follows graph with durations (andon reads XES as an
  OCEL 2.0 log of cases, :func:`andon.ocel.read_xes`; pm4py: ``read_xes``,
  ``discover_dfg`` and ``discover_performance_dfg``).

Each measurement runs in a child process of its own (``--child``), so that each library's
peak memory (the child's maximum resident set) and CPU seconds (user and system, every
thread) are its own; wall seconds beside them. The edges of both graphs are then compared:
the same (object type, source, target) with the same counts, and every difference listed
with the reason found for it. pm4py (AGPL-3.0) is a peer here only, never imported by andon.

``--quick`` runs the small OCEL 2.0 example log and the running example (XES) once each,
for the test under ``tests/benchmarks``. Prints one JSON document.

    .venv/bin/python benchmarks/flow.py [--quick] [--repeat N]
"""

# Each child imports only the library it measures, so imports sit in the functions.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
FULL = {
    "ocel": DATA / "ocel2" / "order-management.json.gz",
    "xes": DATA / "event_logs" / "bpic2012.xes.gz",
}
QUICK = {
    "ocel": DATA / "ocel2" / "ocel20_example.json.gz",
    "xes": DATA / "event_logs" / "running-example.xes",
}
TARGETS = {"ocel_import_s": 0.5, "ocel_graph_s": 0.3}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(step: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    wall, cpu = time.perf_counter(), _cpu()
    result = step()
    return result, {
        "wall_s": round(time.perf_counter() - wall, 4),
        "cpu_s": round(_cpu() - cpu, 4),
    }


# --- children: each prints {"import": {...}, "graph": {...}, "peak_mb": ..} and writes edges


def _andon_child(kind: str, path: Path, out: Path) -> dict[str, Any]:
    import polars as pl

    from andon import ocel

    reader = ocel.read if kind == "ocel" else ocel.read_xes
    log, read_t = _timed(lambda: reader(path))
    graph, graph_t = _timed(lambda: ocel.directly_follows(log))
    edges = graph.edges.select(
        "object_type", "source", "target", "frequency", "event_pairs", "objects", "mean_s"
    )
    if kind == "xes":
        edges = edges.with_columns(pl.col("frequency").alias("event_pairs"))
    edges.write_json(out)
    return {"import": read_t, "graph": graph_t, "counts": log.counts()}


def _pm4py_ocel(path: Path) -> tuple[Any, Any, dict[str, Any], dict[str, float], dict[str, float]]:
    import pm4py  # type: ignore[import-untyped]

    log, read_t = _timed(lambda: pm4py.read_ocel2_json(str(path)))
    graph, graph_t = _timed(lambda: pm4py.discover_ocdfg(log, business_hours=False))
    counts = {"events": len(log.events), "objects": len(log.objects), "e2o": len(log.relations)}
    return log, graph, counts, read_t, graph_t


def _pm4py_child(kind: str, path: Path, out: Path) -> dict[str, Any]:
    import pm4py

    rows: list[dict[str, Any]] = []
    if kind == "ocel":
        _, graph, counts, read_t, graph_t = _pm4py_ocel(path)
        edges = graph["edges"]
        performance = graph["edges_performance"]["total_objects"]
        for object_type, pairs in edges["total_objects"].items():
            for (source, target), occurrences in pairs.items():
                durations = performance.get(object_type, {}).get((source, target), [])
                rows.append(
                    {
                        "object_type": object_type,
                        "source": source,
                        "target": target,
                        "frequency": len(occurrences),
                        "event_pairs": len(edges["event_couples"][object_type][(source, target)]),
                        "objects": len(edges["unique_objects"][object_type][(source, target)]),
                        "mean_s": sum(durations) / len(durations) if durations else None,
                    }
                )
    else:
        log, read_t = _timed(lambda: pm4py.read_xes(str(path), variant="iterparse"))

        def both() -> tuple[Any, Any]:
            return pm4py.discover_dfg(log)[0], pm4py.discover_performance_dfg(log)[0]

        (frequency, performance), graph_t = _timed(both)
        counts = {"events": len(log), "objects": int(log["case:concept:name"].nunique())}
        for (source, target), count in frequency.items():
            rows.append(
                {
                    "object_type": "case",
                    "source": source,
                    "target": target,
                    "frequency": int(count),
                    "event_pairs": int(count),
                    "objects": None,
                    "mean_s": performance.get((source, target), {}).get("mean"),
                }
            )
    out.write_text(json.dumps(rows))
    return {"import": read_t, "graph": graph_t, "counts": counts}


def _andon_sql_child(kind: str, path: Path, out: Path) -> dict[str, Any]:
    """The same graph computed by the store's SQL engine (embedded DuckDB): the log read,
    kept in the store's tables (the import), then the graph and the activities (the graph)."""
    from andon import ocel
    from andon.apps.flow import in_store
    from andon.store import open_store

    reader = ocel.read if kind == "ocel" else ocel.read_xes
    store = open_store("duckdb://:memory:")

    def read_and_keep() -> Any:
        log = reader(path)
        in_store.keep(store, log, name="bench")
        return log

    log, read_t = _timed(read_and_keep)
    graph, graph_t = _timed(lambda: in_store.directly_follows(store, name="bench"))
    graph.edges.select(
        "object_type", "source", "target", "frequency", "event_pairs", "objects", "mean_s"
    ).write_json(out)
    return {"import": read_t, "graph": graph_t, "counts": log.counts()}


def _child(library: str, kind: str, path: Path, out: Path) -> None:
    run = {"andon": _andon_child, "andon-sql": _andon_sql_child}.get(library, _pm4py_child)
    result = run(kind, path, out)
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))


# --- the parent: run the children, compare the edges


def _run_child(library: str, kind: str, path: Path, out: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", library, kind, str(path), str(out)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _explain(kind: str, path: Path, differing: list[dict[str, Any]]) -> dict[str, Any]:
    """Why edges differ: pm4py orders events of one object at the same instant differently
    (andon keeps the log's order), so an edge that passes through a tie can change ends.
    Counts the objects with two events at one instant, per type."""
    import polars as pl

    from andon import ocel

    log = ocel.read(path) if kind == "ocel" else ocel.read_xes(path)
    steps = (
        log.e2o.select("event_id", "object_id")
        .unique()
        .join(log.events.rename({"id": "event_id"}), on="event_id")
        .join(log.objects.rename({"id": "object_id", "type": "object_type"}), on="object_id")
    )
    ties = (
        steps.group_by("object_type", "object_id", "time")
        .len()
        .filter(pl.col("len") > 1)
        .group_by("object_type")
        .agg(pl.col("object_id").n_unique().alias("objects_with_ties"))
    )
    tied_types = dict(ties.iter_rows())
    for edge in differing:
        ot = edge["object_type"]
        edge["reason"] = (
            f"events at the same instant: {tied_types[ot]} {ot} objects have ties, ordered "
            "differently (andon: log order; pm4py: its own sort)"
            if ot in tied_types
            else "unexplained"
        )
    return {"objects_with_ties": tied_types}


def _compare(kind: str, path: Path, ours: Path, theirs: Path) -> dict[str, Any]:
    import polars as pl

    keys = ["object_type", "source", "target"]
    a = pl.read_json(ours)
    b = pl.DataFrame(json.loads(theirs.read_text()), infer_schema_length=None)
    if b.is_empty():
        return {"error": "pm4py found no edges"}
    joined = a.join(b, on=keys, how="full", coalesce=True, suffix="_pm4py")
    same_counts = (
        (pl.col("frequency") == pl.col("frequency_pm4py"))
        & (pl.col("event_pairs") == pl.col("event_pairs_pm4py"))
        & (
            pl.col("objects").eq_missing(pl.col("objects_pm4py"))
            | pl.col("objects_pm4py").is_null()
        )
    )
    joined = joined.with_columns(same_counts.fill_null(value=False).alias("same"))
    differing = joined.filter(~pl.col("same"))
    rows = differing.drop("same").to_dicts()
    explained = _explain(kind, path, rows) if rows else {}
    matched = joined.filter(pl.col("same"))
    duration_gap = (
        matched.select(
            (
                (pl.col("mean_s") - pl.col("mean_s_pm4py")).abs()
                / pl.col("mean_s_pm4py").abs().clip(1e-9)
            )
            .max()
            .alias("gap")
        )["gap"][0]
        if matched.height
        else None
    )
    return {
        "edges_andon": a.height,
        "edges_pm4py": b.height,
        "edges_same": matched.height,
        "edges_only_andon": joined.filter(pl.col("frequency_pm4py").is_null()).height,
        "edges_only_pm4py": joined.filter(pl.col("frequency").is_null()).height,
        "edges_with_other_counts": differing.filter(
            pl.col("frequency").is_not_null() & pl.col("frequency_pm4py").is_not_null()
        ).height,
        "mean_duration_max_relative_gap_on_same_edges": duration_gap,
        "differences": rows[:40],
        **explained,
    }


def _relations(entry: dict[str, Any]) -> dict[str, Any]:
    """The event-object relations each library kept: pm4py's OCEL 2.0 JSON importer keeps
    one relation per (event, object) pair and drops a second qualifier of the same pair;
    the directly-follows graphs do not see it (one step per event and object in both)."""
    ours = entry["andon"]["counts"].get("e2o")
    theirs = entry["pm4py"]["counts"].get("e2o")
    if ours is None or theirs is None:
        return {}
    return {"andon": ours, "pm4py": theirs, "dropped_by_pm4py": ours - theirs}


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    best = min(ok, key=lambda r: r["import"]["wall_s"] + r["graph"]["wall_s"])
    return {**best, "runs": len(ok)}


# --- the bottleneck evaluation on the simulator: every line of the discrete example with one
# known bottleneck cell: a slow cell (its cycle time raised after every cell's time per unit
# is made equal), a changeover-heavy cell (the only one with setups, on lines that make
# more than one product), or a frequent quality hold (every cell's time per unit equal, the
# scenario holding most orders of every product after one cell short of the last)

BASE_S = 60.0
SLOW = 2.0
SETUP_MIN = 45.0
HOLD = {"share": 0.8, "mean_h": 8.0, "cv": 0.5}
KINDS = ("slow", "changeover", "hold")
EXPECTED_LIMIT = {"slow": "capacity", "changeover": "changeover", "hold": "hold"}


def _plant_scenario(folder: Path, round_: int, kind: str, slow_factor: float) -> dict[str, str]:
    """Rewrite the discrete example in ``folder``: in every production line all cells take
    the same time per unit (cycle time per machine scaled by the cell's machines and batch)
    and no setups, then cell ``round_`` (mod the line's cells) is made ``slow_factor`` times
    slower (``slow``) or the only one with setups of ``SETUP_MIN`` at each product change
    (``changeover``); for ``hold``, cell ``round_`` (mod the line's cells but the last) holds
    the orders of every product routed through it (:data:`HOLD`), so that the units of a
    held order wait before the next cell. Return line path -> the cell given the bottleneck
    (for ``hold``, the cell after the held one, where the held units' wait ends)."""
    import re
    import shutil

    from andon.model import load_model

    source = ROOT / "examples" / "discrete"
    shutil.copytree(source, folder, dirs_exist_ok=True)
    model = load_model(source)
    slow: dict[str, str] = {}
    per_unit: dict[tuple[str, str], float] = {}
    for path, line in model.lines.items():
        cells = [c for c in line.cells if c.equipment]
        if not cells:
            continue
        if kind == "hold":
            if len(cells) < 2:
                continue
            held = round_ % (len(cells) - 1)
            chosen, slow[path] = cells[held].id, f"{path}/{cells[held + 1].id}"
        else:
            chosen = cells[round_ % len(cells)].id
            slow[path] = f"{path}/{chosen}"
        for cell in cells:
            factor = slow_factor if cell.id == chosen and kind == "slow" else 1.0
            machines = len(cell.equipment)
            per_unit[(path, cell.id)] = (
                BASE_S * factor * machines * cell.units_per_count / cell.counts_per_unit
            )
    # A text edit of the routing lines: the rest of the file stays as written (a YAML
    # round trip would read keys such as "off" as booleans).
    used: dict[str, int] = {}
    line_path = ""
    out: list[str] = []
    for text in (folder / "acme.yaml").read_text().splitlines():
        found = re.search(r"- line: (\S+)", text)
        if found:
            line_path = f"{model.root}/{found.group(1)}"
            used[line_path] = used.get(line_path, 0) + 1
        elif "steps: [" in text and line_path:

            def step(match: re.Match[str], line: str = line_path) -> str:
                cell = match.group(1)
                seconds = round(per_unit[(line, cell)], 3)
                bottleneck = slow.get(line, "")
                setup = SETUP_MIN if kind == "changeover" and bottleneck.endswith(f"/{cell}") else 0
                return f"{{cell: {cell}, cycle_time_s: {seconds}, setup_min: {setup}}}"

            out.append(re.sub(r"\{cell: (\w+)([^}]*)\}", step, text))
            continue
        out.append(text)
    (folder / "acme.yaml").write_text("\n".join(out) + "\n")
    if kind == "hold":
        return _hold_scenario(folder, model, slow)
    products = 2 if kind == "changeover" else 1
    return {line: cell for line, cell in slow.items() if used.get(line, 0) >= products}


def _hold_scenario(folder: Path, model: Any, after: dict[str, str]) -> dict[str, str]:
    """Append to the example's scenario a hold rule for every product, at the cell before
    ``after[line]`` on each of its lines (the same cell on every line of the product, else
    the product is left unheld); return the lines on which some product is held."""
    rules: list[str] = []
    held_lines: dict[str, str] = {}
    for product in sorted(model.products.values(), key=lambda p: p.id):
        lines = [f"{model.root}/{r.line}" for r in product.routings]
        lines = [line for line in lines if line in after]
        cells = set()
        for line in lines:
            names = [c.id for c in model.lines[line].cells if c.equipment]
            cells.add(names[names.index(after[line].rsplit("/", 1)[-1]) - 1])
        if len(cells) != 1:
            continue
        rule = ", ".join(f"{k}: {v}" for k, v in HOLD.items())
        rules.append(f"    {product.id}: {{cell: {cells.pop()}, {rule}}}")
        held_lines.update((line, after[line]) for line in lines)
    scenario = folder / "acme.scenario"
    text = scenario.read_text().rstrip("\n") + "\n  holds:\n" + "\n".join(rules) + "\n"
    scenario.write_text(text)
    return held_lines


def _first_cause(report: Any, line: str) -> tuple[str | None, str | None]:
    """The cell and cause ranked first by hours lost on the line (its stations' hours per
    cause summed by cell, as the bottleneck is judged by cell)."""
    import polars as pl

    mine = (
        report.causes.filter(pl.col("station").str.starts_with(f"{line}/"))
        .with_columns(pl.col("station").str.replace(r"/[^/]+$", "").alias("cell"))
        .group_by("cell", "cause")
        .agg(pl.col("hours").sum())
        .sort(["hours", "cell", "cause"], descending=[True, False, False])
    )
    if mine.height == 0:
        return None, None
    first = mine.row(0, named=True)
    return str(first["cell"]), str(first["cause"])


def bottlenecks(
    *, rounds: int, seeds: int, days: float, slow: float = SLOW, kinds: tuple[str, ...] = KINDS
) -> dict[str, Any]:
    """Run the scenarios of every kind and score the bottleneck found on each line against
    the cell given the bottleneck, and what limits it against the kind: for ``slow`` and
    ``changeover`` the line's bottleneck by the active period method and what limits it,
    for ``hold`` the station and cause ranked first by hours lost on the line."""
    from andon.apps.flow.delay import delays
    from andon.model import load_model
    from andon.sim import simulate
    from andon.sim.sinks import PipelineSink
    from andon.store import DuckDBStore

    scenarios: list[dict[str, Any]] = []
    wall, cpu = time.perf_counter(), _cpu()
    for kind, seed, round_ in itertools.product(kinds, range(seeds), range(rounds)):
        with tempfile.TemporaryDirectory() as scratch:
            truth = _plant_scenario(Path(scratch), round_, kind, slow)
            model = load_model(Path(scratch))
            store = DuckDBStore(None)
            try:
                result = simulate(
                    model, days=days, seed=seed, sink=PipelineSink.into(store, model=model)
                )
                report = delays(store, start=result.start_us, end=result.end_us)
            finally:
                store.close()
        found = {row["line"]: row for row in report.lines.iter_rows(named=True)}
        for line, cell in sorted(truth.items()):
            row = found.get(line, {})
            cell_found, limit = row.get("bottleneck"), row.get("limited_by")
            if kind == "hold":
                cell_found, limit = _first_cause(report, line)
            scenarios.append(
                {
                    "kind": kind,
                    "seed": seed,
                    "line": line,
                    "true_cell": cell,
                    "found": cell_found,
                    "limited_by": limit,
                    "first": cell_found == cell,
                    "limit_right": limit == EXPECTED_LIMIT[kind],
                }
            )
    hits = sum(s["first"] for s in scenarios)
    per_kind = {
        kind: {
            "scenarios": sum(s["kind"] == kind for s in scenarios),
            "ranked_first": sum(s["first"] for s in scenarios if s["kind"] == kind),
            "limit_right": sum(s["limit_right"] for s in scenarios if s["kind"] == kind),
        }
        for kind in kinds
    }
    return {
        "scenarios": len(scenarios),
        "true_cell_ranked_first": hits,
        "share": round(hits / len(scenarios), 3) if scenarios else None,
        "target_share": 0.9,
        "kinds": per_kind,
        "setup": f"slow: cycle x{slow} after equalising time per unit; changeover: the only "
        f"cell with setups, {SETUP_MIN} min per product change; hold: time per unit equal, "
        f"{HOLD['share']:.0%} of orders held after one cell for {HOLD['mean_h']} h on average "
        f"(cv {HOLD['cv']}); {days} days each",
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(_cpu() - cpu, 2),
        "misses": [s for s in scenarios if not s["first"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small logs, one run each")
    parser.add_argument("--repeat", type=int, default=3, help="runs per library (best kept)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument(
        "--bottlenecks", action="store_true", help="the simulated slow-cell scenarios only"
    )
    parser.add_argument("--rounds", type=int, default=4, help="slow-cell rounds per seed")
    parser.add_argument("--seeds", type=int, default=2, help="simulator seeds")
    parser.add_argument("--days", type=float, default=2.0, help="simulated days per scenario")
    parser.add_argument("--slow", type=float, default=SLOW, help="the slow cell's factor")
    parser.add_argument(
        "--kinds", default=",".join(KINDS), help=f"scenario kinds, of {','.join(KINDS)}"
    )
    args = parser.parse_args()
    if args.bottlenecks:
        rounds, seeds = (1, 1) if args.quick else (args.rounds, args.seeds)
        days = min(args.days, 1.0) if args.quick else args.days
        kinds = tuple(k for k in args.kinds.split(",") if k)
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            parser.error(f"--kinds: unknown kind(s) {','.join(unknown)}")
        found = bottlenecks(rounds=rounds, seeds=seeds, days=days, slow=args.slow, kinds=kinds)
        print(json.dumps({"bottlenecks": found}, indent=2))
        return
    if args.child:
        library, kind, path, out = args.child
        _child(library, kind, Path(path), Path(out))
        return
    logs = QUICK if args.quick else FULL
    repeat = 1 if args.quick else max(1, args.repeat)
    report: dict[str, Any] = {"quick": args.quick, "cpus": os.cpu_count(), "targets": TARGETS}
    peer = importlib.util.find_spec("pm4py") is not None
    report["pm4py"] = "present" if peer else "absent: install pm4py to compare"
    with tempfile.TemporaryDirectory() as scratch:
        for kind, path in logs.items():
            if not path.exists():
                report[kind] = {"absent": f"{path.name} not in ../shared/data"}
                continue
            entry: dict[str, Any] = {"log": path.name}
            ours, theirs = Path(scratch, f"{kind}-andon.json"), Path(scratch, f"{kind}-pm4py.json")
            entry["andon"] = _best([_run_child("andon", kind, path, ours) for _ in range(repeat)])
            in_sql = Path(scratch, f"{kind}-andon-sql.json")
            entry["andon_sql"] = _best(
                [_run_child("andon-sql", kind, path, in_sql) for _ in range(repeat)]
            )
            if "error" not in entry["andon_sql"]:
                entry["sql_same_edges_as_columns"] = in_sql.read_bytes() == ours.read_bytes()
            if peer:
                entry["pm4py"] = _best(
                    [_run_child("pm4py", kind, path, theirs) for _ in range(repeat)]
                )
                if "error" not in entry["pm4py"] and "error" not in entry["andon"]:
                    entry["edges"] = _compare(kind, path, ours, theirs)
                    entry["relations"] = _relations(entry)
            report[kind] = entry
    ocel_andon = report.get("ocel", {}).get("andon", {})
    if "import" in ocel_andon and not args.quick:
        report["meets_targets"] = {
            "ocel_import_s": ocel_andon["import"]["wall_s"] <= TARGETS["ocel_import_s"],
            "ocel_graph_s": ocel_andon["graph"]["wall_s"] <= TARGETS["ocel_graph_s"],
        }
    print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
