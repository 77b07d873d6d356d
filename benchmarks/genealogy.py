"""Genealogy traces through a million units on DuckDB and PostgreSQL, against two baselines.

A synthetic genealogy in the shape of an assembly plant: every unit ``U-n`` is assembled
from one component ``C-n`` and consumes its own lot (``LOT-U-k``, ``--lot-size`` units
each); every component consumes a supplier lot (``SUP-k``). One million units make three
million links, written in time order as a plant writes them, and one unit record per
component and per unit (two million rows), so that the trace's joins on unit records are
measured too. The records are generated as
Arrow columns and cached as Parquet, and the loaded stores (a DuckDB file, a PostgreSQL
schema) are cached beside them, so a second run measures without loading again.

Measured, on each store, wall and CPU seconds (CPU of this process: the PostgreSQL server's
own CPU is not in it), least, median and worst of ``--repeat`` runs, and the machine's load
average at the start (on a shared machine the median waits for other work; the least is
the trace's own cost):

* ``backward_unit``: :func:`andon.trace.backward` of a unit (its component, the component's
  supplier lot, the unit's lot, and the process story of the units found);
* ``forward_supplier_lot``: :func:`andon.trace.forward` of a supplier lot (every component
  and every unit it reached, and their orders);
* ``recall_supplier_lot``: :func:`andon.trace.recall` of that lot;
* the same walks as one ``WITH RECURSIVE`` statement (the engine's own recursion, the
  baseline in the store), and as a breadth-first search in pure Python over adjacency
  dictionaries of the same links (the baseline outside the store; building the
  dictionaries is reported apart).

Target (issue 20): a trace through 1 M units in at most 100 ms on both stores.

Usage: python benchmarks/genealogy.py [--quick] [--units N] [--stores duckdb,postgres]
PostgreSQL from ``ANDON_BENCH_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``);
it is reported as skipped when it does not answer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from andon.errors import StoreError
from andon.records import RecordKind, schema_of
from andon.store import DuckDBStore, PostgresStore, Store
from andon.store.genealogy_queries import genealogy_links, genealogy_links_recursive
from andon.trace import Direction, backward, forward, recall

TARGET_MS = 100.0
T0_US = 1_767_225_600_000_000  # 2026-01-01 UTC
POSTGRES_URL = os.environ.get(
    "ANDON_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _names(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")


def synthetic_genealogy(units: int, lot_size: int) -> pa.Table:
    """Return the links of ``units`` assembled units as a ``genealogy`` table, in time order."""
    n = np.arange(units, dtype=np.int64)
    made = T0_US + n * 1_000_000  # one unit a second
    unit, component = _names("U-", n, 7), _names("C-", n, 7)
    unit_lot, supplier_lot = _names("LOT-U-", n // lot_size, 5), _names("SUP-", n // lot_size, 5)
    parent = pa.concat_arrays([supplier_lot, unit_lot, component])
    child = pa.concat_arrays([component, unit, unit])
    relation = pa.concat_arrays(
        [
            pa.array(np.full(units, "consumed", dtype=object), pa.string()),
            pa.array(np.full(units, "consumed", dtype=object), pa.string()),
            pa.array(np.full(units, "assembled_into", dtype=object), pa.string()),
        ]
    )
    ts = np.concatenate([made - 600_000_000, made, made])
    order = np.argsort(ts, kind="stable")
    table = pa.table(
        {
            "ts": pa.array(ts, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "source": pa.array(np.full(3 * units, "bench", dtype=object), pa.string()),
            "seq": pa.array(np.arange(3 * units, dtype=np.int64)),
            "parent": parent,
            "child": child,
            "relation": relation,
        }
    )
    return table.take(pa.array(order)).cast(schema_of(RecordKind.GENEALOGY))


def synthetic_units(units: int, lot_size: int) -> pa.Table:
    """Return one ``unit`` record per component and per unit (a force at its press), so that
    a trace's joins on unit records run against two million rows."""
    n = np.arange(units, dtype=np.int64)
    made = T0_US + n * 1_000_000
    site = pc.binary_join_element_wise(
        pa.scalar("bench/site"), pa.array(n % 2).cast(pa.string()), ""
    )
    unit_path = pc.binary_join_element_wise(site, pa.scalar("/assembly/a1/pressing/press1"), "")
    component_path = pc.binary_join_element_wise(site, pa.scalar("/machining/m1/sawing/saw1"), "")
    table = pa.table(
        {
            "ts": pa.array(np.concatenate([made - 300_000_000, made + 60_000_000]), pa.int64()),
            "source": pa.array(np.full(2 * units, "bench", dtype=object), pa.string()),
            "seq": pa.array(np.arange(2 * units, dtype=np.int64)),
            "serial": pa.concat_arrays([_names("C-", n, 7), _names("U-", n, 7)]),
            "path": pa.concat_arrays([component_path, unit_path]),
            "product": pa.array(np.repeat(["HSG", "GB"], units).astype(object), pa.string()),
            "lot": pa.concat_arrays(
                [_names("SUP-", n // lot_size, 5), _names("LOT-U-", n // lot_size, 5)]
            ),
            "parameter": pa.array(np.full(2 * units, "force_kn", dtype=object), pa.string()),
            "value": pa.array(np.linspace(10.0, 12.0, 2 * units)),
        }
    )
    table = table.set_column(0, "ts", table.column("ts").cast(pa.timestamp("us", tz="UTC")))
    return table.take(pa.array(np.argsort(table.column("ts").cast(pa.int64()).to_numpy())))


def _links(
    cache: Path, units: int, lot_size: int
) -> tuple[dict[RecordKind, pa.Table], float, bool]:
    paths = {
        RecordKind.GENEALOGY: cache / f"genealogy-{units}-{lot_size}.parquet",
        RecordKind.UNIT: cache / f"units-{units}-{lot_size}.parquet",
    }
    started = time.perf_counter()
    if all(p.exists() for p in paths.values()):
        tables = {kind: pq.read_table(p) for kind, p in paths.items()}
        return tables, time.perf_counter() - started, True
    tables = {
        RecordKind.GENEALOGY: synthetic_genealogy(units, lot_size),
        RecordKind.UNIT: synthetic_units(units, lot_size).cast(schema_of(RecordKind.UNIT)),
    }
    for kind, table in tables.items():
        pq.write_table(table, paths[kind])
    return tables, time.perf_counter() - started, False


def _load(store: Store, tables: dict[RecordKind, pa.Table]) -> dict[str, Any]:
    started = time.perf_counter()
    cached = True
    for kind, table in tables.items():
        stored = store.count_rows(kind)
        if stored == table.num_rows:
            continue
        if stored:
            msg = f"the cached store holds {stored} {kind.value} rows, not {table.num_rows}"
            raise StoreError(msg + ": remove the cache")
        store.write(kind, table)
        cached = False
    return {"cached": cached, "load_s": round(time.perf_counter() - started, 3)}


def _timed(run: Callable[[], Any], repeat: int) -> tuple[dict[str, float], Any]:
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    figures = {
        "wall_ms_min": round(min(walls), 2),
        "wall_ms_median": round(statistics.median(walls), 2),
        "wall_ms_max": round(max(walls), 2),
        "cpu_ms_median": round(statistics.median(cpus), 2),
        "cpu_ms_min": round(min(cpus), 2),
        "runs": repeat,
    }
    return figures, result


def _targets(units: int, lot_size: int) -> dict[str, str]:
    middle = units // 2
    return {"unit": f"U-{middle:07d}", "supplier_lot": f"SUP-{middle // lot_size:05d}"}


def _measure_store(store: Store, targets: dict[str, str], repeat: int) -> dict[str, Any]:
    unit, lot = targets["unit"], targets["supplier_lot"]
    out: dict[str, Any] = {}
    figures, trace = _timed(lambda: backward(store, unit), repeat)
    out["backward_unit"] = {**figures, "links": trace.links.num_rows, "nodes": list(trace.lots)}
    figures, trace = _timed(lambda: forward(store, lot), repeat)
    out["forward_supplier_lot"] = {**figures, "links": trace.links.num_rows}
    figures, answer = _timed(lambda: recall(store, lot, supplier="bench"), repeat)
    out["recall_supplier_lot"] = {**figures, "links": answer.trace.links.num_rows}
    walks: tuple[tuple[str, str, Direction], ...] = (
        ("walk_backward_unit", unit, "backward"),
        ("walk_forward_supplier_lot", lot, "forward"),
    )
    for name, node, direction in walks:
        figures, walked = _timed(
            partial(genealogy_links, store, node=node, direction=direction), repeat
        )
        out[name] = {**figures, "links": walked.num_rows}
        figures, recursive = _timed(
            partial(genealogy_links_recursive, store, node=node, direction=direction),
            max(1, repeat // 3),
        )
        out[name.replace("walk_", "recursive_")] = {
            **figures,
            "links": recursive.num_rows,
            "agrees_with_walk": recursive.equals(walked),
        }
    traces = ("backward_unit", "forward_supplier_lot", "recall_supplier_lot")
    out["meets_target"] = all(out[k]["wall_ms_median"] <= TARGET_MS for k in traces)
    return out


def _python_bfs(links: pa.Table, targets: dict[str, str], repeat: int) -> dict[str, Any]:
    started = time.perf_counter()
    parents = links.column("parent").to_pylist()
    children = links.column("child").to_pylist()
    down: dict[str, list[str]] = {}
    up: dict[str, list[str]] = {}
    for parent, child in zip(parents, children, strict=True):
        down.setdefault(parent, []).append(child)
        up.setdefault(child, []).append(parent)
    build_s = time.perf_counter() - started

    def bfs(start: str, edges: dict[str, list[str]]) -> int:
        seen, todo, walked = {start}, deque([start]), 0
        while todo:
            for far in edges.get(todo.popleft(), ()):
                walked += 1
                if far not in seen:
                    seen.add(far)
                    todo.append(far)
        return walked

    back, back_links = _timed(lambda: bfs(targets["unit"], up), repeat)
    fwd, fwd_links = _timed(lambda: bfs(targets["supplier_lot"], down), repeat)
    return {
        "build_adjacency_s": round(build_s, 3),
        "backward_unit": {**back, "links": back_links},
        "forward_supplier_lot": {**fwd, "links": fwd_links},
    }


def _open(dialect: str, cache: Path, units: int, lot_size: int) -> Store | str:
    if dialect == "duckdb":
        return DuckDBStore(cache / f"genealogy-{units}-{lot_size}.duckdb")
    try:
        return PostgresStore(POSTGRES_URL, schema=f"bench_genealogy_{units}_{lot_size}")
    except StoreError as exc:
        return f"PostgreSQL not available at {POSTGRES_URL}: {exc}"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 000 units, 3 runs")
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--lot-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--stores", default="duckdb,postgres")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "andon-genealogy-bench",
        help="where the generated links and loaded stores are kept between runs",
    )
    args = parser.parse_args(argv)
    units, lot_size, repeat = args.units, args.lot_size, args.repeat
    if args.quick:
        units, lot_size, repeat = 20_000, 100, 3
    args.cache.mkdir(parents=True, exist_ok=True)
    tables, generate_s, cached = _links(args.cache, units, lot_size)
    links = tables[RecordKind.GENEALOGY]
    targets = _targets(units, lot_size)
    result: dict[str, Any] = {
        "benchmark": "genealogy",
        "units": units,
        "lot_size": lot_size,
        "links": links.num_rows,
        "unit_records": tables[RecordKind.UNIT].num_rows,
        "target_ms": TARGET_MS,
        "generate_s": round(generate_s, 3),
        "generated_from_cache": cached,
        "targets": targets,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "stores": {},
    }
    for dialect in args.stores.split(","):
        store = _open(dialect, args.cache, units, lot_size)
        if isinstance(store, str):
            result["stores"][dialect] = {"skipped": store}
            continue
        try:
            loaded = _load(store, tables)
            result["stores"][dialect] = {**loaded, **_measure_store(store, targets, repeat)}
        finally:
            store.close()
    result["python_bfs"] = _python_bfs(links, targets, repeat)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
