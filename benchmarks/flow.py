"""Object-centric flow: andon against pm4py in the same run, on public logs.

Two logs from ``../shared/data`` (read by relative path from the repository root):

- the OCEL 2.0 order-management log (``ocel2/order-management.json.gz``, 21,008 events,
  10,840 objects): import of the JSON, then the object-centric directly-follows graph with
  durations (andon: :func:`andon.ocel.directly_follows`; pm4py: ``discover_ocdfg``);
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


def _child(library: str, kind: str, path: Path, out: Path) -> None:
    run = _andon_child if library == "andon" else _pm4py_child
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small logs, one run each")
    parser.add_argument("--repeat", type=int, default=3, help="runs per library (best kept)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
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
